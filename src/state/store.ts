/**
 * Durable record of what the bridge has programmed on each device, so a restart
 * (or a `kill -9`) can reconcile the router with it instead of forgetting routes.
 *
 * SQLite through better-sqlite3 in WAL mode: every batch of confirmed changes is
 * one transaction, and a crash at any moment leaves the last committed state
 * readable. `synchronous=NORMAL` is durable against a process crash; an operating
 * system crash may lose the last transactions, which the reconciler repairs from
 * the router's own view (Get) on the next start.
 */
import type Database from 'better-sqlite3';
import { openStateDb } from './sqlite.js';
import type { BgpPath, PathKey } from '../jet/model.js';
import { parsePathKey, pathKeyString } from '../jet/model.js';

/**
 * A row is `(device, path_key, path)`: the key is `table|prefix/length|cookie`
 * and `path` the JSON of the rest (next hops and attributes). Keeping the key
 * fields out of the JSON halves what each row writes, which is most of the
 * store's cost under bulk load. Rows from before hold the whole path, with
 * the cookie as a decimal string (JSON has no 64-bit integers); they still load.
 */
type StoredRest = Omit<BgpPath, keyof PathKey>;
type OldStoredPath = StoredRest & Omit<PathKey, 'cookie'> & { cookie: string };

/** What the pipeline records confirmed changes in (see threaded-store.ts for the bridge's). */
export interface ProgrammedStore {
  /** Records one confirmed batch atomically; resolves once it is committed. */
  apply(device: string, upserts: readonly BgpPath[], removes: readonly PathKey[]): Promise<void>;
}

/**
 * Rows per multi-row upsert. A statement runs per hundred paths instead of per
 * path, which takes about a fifth off the store's cost of a 1000-path batch,
 * the bridge's largest single cost under bulk load.
 */
const ROWS_PER_UPSERT = 100;

function upsertSql(rows: number): string {
  const values = Array.from({ length: rows }, () => '(?, ?, ?)').join(', ');
  return `INSERT INTO programmed (device, path_key, path) VALUES ${values} ON CONFLICT (device, path_key) DO UPDATE SET path = excluded.path`;
}

/** What a row keeps of a path besides its key (shared with the PostgreSQL backend). */
export function storedJson(p: BgpPath): string {
  // Rest destructuring copies the other fields faster than a spread and a delete.
  const { table: _table, prefix: _prefix, length: _length, cookie: _cookie, ...rest } = p;
  return JSON.stringify(rest satisfies StoredRest);
}

/** The path of a row, from its key and its JSON (either format). */
export function loadedPath(pathKey: string, json: string): BgpPath {
  const stored = JSON.parse(json) as StoredRest | OldStoredPath;
  if ('prefix' in stored) return { ...stored, cookie: BigInt(stored.cookie) };
  return Object.assign(parsePathKey(pathKey), stored);
}

/** The store itself, synchronous: the bridge runs it on a thread of its own (threaded-store.ts). */
export class SqliteProgrammedStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement<[string, string, string]>;
  private readonly upsertMany: Database.Statement<string[]>;
  private readonly remove: Database.Statement<[string, string]>;
  private readonly select: Database.Statement<[string], { path_key: string; path: string }>;
  private readonly applyBatch: (device: string, upserts: readonly BgpPath[], removes: readonly PathKey[]) => void;

  constructor(file: string) {
    this.db = openStateDb(file);
    this.db.exec(`CREATE TABLE IF NOT EXISTS programmed (
      device TEXT NOT NULL,
      path_key TEXT NOT NULL,
      path TEXT NOT NULL,
      PRIMARY KEY (device, path_key)
    ) WITHOUT ROWID`);
    this.upsert = this.db.prepare(upsertSql(1));
    this.upsertMany = this.db.prepare(upsertSql(ROWS_PER_UPSERT));
    this.remove = this.db.prepare('DELETE FROM programmed WHERE device = ? AND path_key = ?');
    this.select = this.db.prepare('SELECT path_key, path FROM programmed WHERE device = ?');
    this.applyBatch = this.db.transaction((device, upserts, removes) => {
      for (const key of removes) this.remove.run(device, pathKeyString(key));
      let next = 0;
      const values = new Array<string>(ROWS_PER_UPSERT * 3);
      for (; next + ROWS_PER_UPSERT <= upserts.length; next += ROWS_PER_UPSERT) {
        for (let row = 0; row < ROWS_PER_UPSERT; row++) {
          const p = upserts[next + row]!;
          values[row * 3] = device;
          values[row * 3 + 1] = pathKeyString(p);
          values[row * 3 + 2] = storedJson(p);
        }
        this.upsertMany.run(...values);
      }
      for (const p of upserts.slice(next)) this.upsert.run(device, pathKeyString(p), storedJson(p));
    });
  }

  load(device: string): BgpPath[] {
    return this.select.all(device).map((row) => loadedPath(row.path_key, row.path));
  }

  apply(device: string, upserts: readonly BgpPath[], removes: readonly PathKey[]): void {
    if (upserts.length === 0 && removes.length === 0) return;
    this.applyBatch(device, upserts, removes);
  }

  close(): void {
    this.db.close();
  }
}
