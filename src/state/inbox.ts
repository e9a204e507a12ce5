/**
 * The bridge's durable inbox: every QoS 1/2 request is written here before it is
 * acknowledged to the broker, and removed once its result has been published.
 *
 * Why not acknowledge after the result? MQTT requires PUBACKs in the order the
 * messages arrived, and mqtt.js reads nothing more from the socket while one
 * acknowledgement is pending (see src/mqtt/client.ts). Holding each PUBACK until
 * its JET result would let one intent through at a time. So the guarantee is kept
 * in two halves: the broker holds a message until it is in this inbox, and the
 * inbox holds it until its result is out. After a crash, whatever is still here is
 * served again before new messages.
 *
 * A put is on the path of every message, so the inbox has a file of its own
 * (`<state.path>-inbox`), held by the bridge alone (no locking per
 * transaction, and a second bridge on the same state cannot start), with
 * `synchronous=OFF`: a put is one write to the operating system, never an
 * fsync. That keeps every message across a crash of the bridge (tested with
 * kill -9). A crash of the machine may lose the last messages, as it would
 * with `NORMAL`, and may also leave the file unreadable: the inbox then sets
 * it aside and starts empty, and says so.
 */
import { existsSync, renameSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { openStateDb } from './sqlite.js';

/** Where the inbox of the state file `statePath` lives. */
export function inboxFileFor(statePath: string): string {
  return statePath === ':memory:' ? statePath : `${statePath}-inbox`;
}

/** A damaged inbox file, moved out of the way. */
export interface SetAside {
  movedTo: string;
  reason: string;
}

export interface InboxMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  responseTopic?: string;
  correlationData?: Buffer;
}

export interface StoredInboxMessage extends InboxMessage {
  seq: number;
}

interface Row {
  seq: number;
  topic: string;
  payload: Buffer;
  qos: number;
  response_topic: string | null;
  correlation_data: Buffer | null;
}

export class SqliteInbox {
  /** Set when the file could not be read and was moved aside; the inbox started empty. */
  readonly setAside: SetAside | undefined;
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[string, Buffer, number, string | null, Buffer | null]>;
  private readonly settleMany: (seqs: number[]) => void;
  private settled: number[] = [];
  private flushScheduled = false;

  constructor(file: string, options: { busyTimeoutMs?: number } = {}) {
    let db: Database.Database;
    try {
      db = openChecked(file, options.busyTimeoutMs);
    } catch (error) {
      // Only damage is set aside: a busy or locked file belongs to someone else.
      if (isBusy(error))
        throw new Error(
          `the inbox file ${file} is in use by another process (another bridge on the same state.path?)`,
          { cause: error },
        );
      if (file === ':memory:' || !isDamaged(error)) throw error;
      const movedTo = `${file}.unreadable-${Date.now()}`;
      for (const suffix of ['', '-wal', '-shm'])
        if (existsSync(file + suffix)) renameSync(file + suffix, movedTo + suffix);
      this.setAside = { movedTo, reason: (error as Error).message };
      db = openChecked(file, options.busyTimeoutMs);
    }
    this.db = db;
    // A plain INTEGER PRIMARY KEY, not AUTOINCREMENT: that would also rewrite the
    // sqlite_sequence page on every put, doubling what each put writes to the WAL.
    // A seq is only reused after its row is deleted, that is after its message was
    // answered, and new rows still sort after every unsettled one.
    this.db.exec(`CREATE TABLE IF NOT EXISTS inbox (
      seq INTEGER PRIMARY KEY,
      topic TEXT NOT NULL,
      payload BLOB NOT NULL,
      qos INTEGER NOT NULL,
      response_topic TEXT,
      correlation_data BLOB
    )`);
    this.insert = this.db.prepare(
      'INSERT INTO inbox (topic, payload, qos, response_topic, correlation_data) VALUES (?, ?, ?, ?, ?)',
    );
    const remove = this.db.prepare<[number]>('DELETE FROM inbox WHERE seq = ?');
    this.settleMany = this.db.transaction((seqs: number[]) => {
      for (const seq of seqs) remove.run(seq);
    });
  }

  /**
   * Moves the messages an earlier version kept in an `inbox` table of the state
   * file itself into this inbox, ahead of new ones; returns how many.
   */
  adoptFrom(stateFile: string): number {
    if (stateFile === ':memory:' || !existsSync(stateFile)) return 0;
    const old = openStateDb(stateFile);
    try {
      if (old.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inbox'").get() === undefined)
        return 0;
      const rows = old.prepare<[], Row>('SELECT * FROM inbox ORDER BY seq').all();
      this.db.transaction(() => {
        for (const r of rows) this.insert.run(r.topic, r.payload, r.qos, r.response_topic, r.correlation_data);
      })();
      old.exec('DROP TABLE inbox');
      return rows.length;
    } finally {
      old.close();
    }
  }

  /** Records a message durably (synchronously, before the caller acknowledges it). */
  put(msg: InboxMessage): number {
    return Number(
      this.insert.run(msg.topic, msg.payload, msg.qos, msg.responseTopic ?? null, msg.correlationData ?? null)
        .lastInsertRowid,
    );
  }

  /** Marks a message's result as published; removals are grouped into one transaction per tick. */
  settle(seq: number): void {
    this.settled.push(seq);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Messages accepted but not settled, oldest first: the work a crash interrupted. */
  pending(): StoredInboxMessage[] {
    const rows = this.db.prepare<[], Row>('SELECT * FROM inbox ORDER BY seq').all();
    return rows.map((r) => ({
      seq: r.seq,
      topic: r.topic,
      payload: r.payload,
      qos: r.qos as 0 | 1 | 2,
      ...(r.response_topic !== null && { responseTopic: r.response_topic }),
      ...(r.correlation_data !== null && { correlationData: r.correlation_data }),
    }));
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.settled.length === 0) return;
    const seqs = this.settled;
    this.settled = [];
    this.settleMany(seqs);
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}

/** What quick_check finds wrong with a file SQLite could open. */
class DamagedInbox extends Error {}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function isDamaged(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return error instanceof DamagedInbox || code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}

/** Opens the inbox file and reads it through once, so that a damaged file fails here. */
function openChecked(file: string, busyTimeoutMs: number | undefined): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = openStateDb(file, {
      synchronous: 'OFF',
      exclusive: true,
      ...(busyTimeoutMs !== undefined && { busyTimeoutMs }),
    });
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new DamagedInbox(`quick_check: ${String(check)}`);
    return db;
  } catch (error) {
    db?.close();
    throw error;
  }
}
