/**
 * The bridge's state in PostgreSQL (`state.url`): what each device has
 * programmed and its inbox, in tables several bridges share (postgres-schema.ts).
 *
 * Writes are grouped. Everything asked in one turn of the event loop (inbox
 * entries, settled entries, confirmed batches of paths, for any device) goes
 * out as ONE statement, a chain of data-modifying CTEs that commits or fails as
 * a whole; the next group waits for it. So the database always holds a prefix
 * of what was asked, in order: kill -9 at any moment leaves whole groups. An
 * entry put and settled within one group is never written at all.
 *
 * Durability: the session runs with `synchronous_commit = off`. A commit is in
 * the server once the statement returns, so a crash of the bridge (the failure
 * this state exists for) loses nothing the bridge was told is committed; a
 * crash of the database server may lose its last fraction of a second of
 * commits, as SQLite's `synchronous=OFF` inbox may on a machine crash. Waiting
 * for the WAL flush would put an fsync under every acknowledgement.
 *
 * Fleet hooks (leases are not taken here):
 * - One connection carries every read and write, one statement at a time, and
 *   `withSession` lends it out between them. A fleet takes a device's lease
 *   as a session advisory lock ON THIS CONNECTION (`withSession((c) =>
 *   c.query('SELECT pg_try_advisory_lock(jetbridge.device_lock_key($1))',
 *   [device]))`) before `openDevice(device, { fenced: true })`, and closes
 *   the device's state before unlocking it.
 * - A fenced device's writes carry the check: every statement that writes
 *   rows of fenced devices also calls `jetbridge.fence(devices)`, which fails
 *   the statement unless this session holds each device's lock. The failed
 *   group is written again without the devices that failed it; their state
 *   handles are fenced for good: every write rejects with `NotOwnerError`,
 *   a put's `committed` included, so the request is never acknowledged.
 * - The connection is never reopened behind the caller's back: a session
 *   that ended took its locks with it, so a lost connection fails every
 *   handle, and `onLost` says so. The owner reopens and relocks.
 */
import pg from 'pg';
import type { BgpPath, PathKey } from '../jet/model.js';
import { pathKeyString } from '../jet/model.js';
import type { DeviceState, InboxEntry, StateBackend } from './backend.js';
import type { InboxMessage, StoredInboxMessage } from './inbox.js';
import { migrate, NOT_OWNER } from './postgres-schema.js';
import { loadedPath, storedJson } from './store.js';

export interface PostgresStateOptions {
  /** `postgres://` or `postgresql://` URL. */
  url: string;
  /** Called once when the connection ends unasked for; every write fails from then on. */
  onLost?: (error: Error) => void;
  /** How long to wait for the server at start (ms). */
  connectTimeoutMs?: number;
}

/** A write refused because this bridge no longer holds the device's lease. */
export class NotOwnerError extends Error {
  constructor(readonly device: string) {
    super(`this bridge no longer owns device ${device}: its state is not written`);
  }
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

interface Waiter {
  device: string;
  resolve(): void;
  reject(error: Error): void;
}

interface InboxRow {
  device: string;
  seq: number;
  msg: InboxMessage;
}

/** What one turn of the event loop asked for, folded: the last word per row wins. */
class Group {
  /** `device seq` → entry not yet written. */
  readonly puts = new Map<string, InboxRow>();
  readonly settles: Array<{ device: string; seq: number }> = [];
  /** device → path key → path to keep, or null to delete. */
  readonly paths = new Map<string, Map<string, BgpPath | null>>();
  readonly waiters: Waiter[] = [];
  readonly fenced = new Set<string>();

  get empty(): boolean {
    return this.waiters.length === 0 && this.settles.length === 0 && this.puts.size === 0;
  }

  /** The same group without `devices` (after they failed the fence). */
  without(devices: ReadonlySet<string>): Group {
    const rest = new Group();
    for (const [key, row] of this.puts) if (!devices.has(row.device)) rest.puts.set(key, row);
    rest.settles.push(...this.settles.filter((s) => !devices.has(s.device)));
    for (const [device, paths] of this.paths) if (!devices.has(device)) rest.paths.set(device, paths);
    rest.waiters.push(...this.waiters.filter((w) => !devices.has(w.device)));
    for (const device of this.fenced) if (!devices.has(device)) rest.fenced.add(device);
    return rest;
  }
}

const WRITE_GROUP_SQL = `WITH
  put AS (
    INSERT INTO jetbridge.inbox (device, seq, topic, payload, qos, response_topic, correlation_data)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bytea[], $5::smallint[], $6::text[], $7::bytea[])),
  settle AS (
    DELETE FROM jetbridge.inbox i USING unnest($8::text[], $9::bigint[]) AS s(device, seq)
    WHERE i.device = s.device AND i.seq = s.seq),
  upsert AS (
    INSERT INTO jetbridge.programmed (device, path_key, path)
    SELECT * FROM unnest($10::text[], $11::text[], $12::text[])
    ON CONFLICT (device, path_key) DO UPDATE SET path = excluded.path),
  remove AS (
    DELETE FROM jetbridge.programmed p USING unnest($13::text[], $14::text[]) AS r(device, path_key)
    WHERE p.device = r.device AND p.path_key = r.path_key)
SELECT jetbridge.fence($15::text[])`;

/** The statement's parameters for one group. */
function groupParams(group: Group): unknown[] {
  const puts = [...group.puts.values()];
  const upserts: Array<[string, string, BgpPath]> = [];
  const removes: Array<[string, string]> = [];
  for (const [device, paths] of group.paths) {
    for (const [key, path] of paths) {
      if (path === null) removes.push([device, key]);
      else upserts.push([device, key, path]);
    }
  }
  return [
    puts.map((r) => r.device),
    puts.map((r) => r.seq),
    puts.map((r) => r.msg.topic),
    puts.map((r) => r.msg.payload),
    puts.map((r) => r.msg.qos),
    puts.map((r) => r.msg.responseTopic ?? null),
    puts.map((r) => r.msg.correlationData ?? null),
    group.settles.map((s) => s.device),
    group.settles.map((s) => s.seq),
    upserts.map((u) => u[0]),
    upserts.map((u) => u[1]),
    upserts.map((u) => storedJson(u[2])),
    removes.map((r) => r[0]),
    removes.map((r) => r[1]),
    [...group.fenced],
  ];
}

/** The devices a JB001 error names (one per line of its detail). */
function devicesNotOwned(error: unknown): Set<string> | undefined {
  const { code, detail } = error as { code?: unknown; detail?: unknown };
  if (code !== NOT_OWNER || typeof detail !== 'string') return undefined;
  return new Set(detail.split('\n'));
}

export class PostgresState implements StateBackend {
  readonly kind = 'postgres';
  private group = new Group();
  private scheduled = false;
  /** The statement in flight; the next group starts after it. */
  private writing: Promise<void> = Promise.resolve();
  /** Devices whose lease was found gone: their writes reject. */
  private readonly notOwned = new Set<string>();
  private readonly open = new Set<string>();
  private lost: Error | undefined;
  private closing: Promise<void> | undefined;
  /** The last use of the connection; the next one starts after it (pg runs one query at a time). */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    /** The one connection: every read and write, and a fleet's advisory locks (see the module comment). */
    private readonly session: pg.Client,
    private readonly where: string,
  ) {}

  /**
   * Runs `use` with the state's connection once the queries before it are done,
   * and holds later ones back until it settles. Keep it short: writes wait.
   */
  withSession<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
    const run = this.tail.then(() => use(this.session));
    this.tail = run.catch(() => {});
    return run;
  }

  /** Connects, creates or migrates the schema, and returns the state. */
  static async open(options: PostgresStateOptions): Promise<PostgresState> {
    const where = redactedUrl(options.url);
    const client = new pg.Client({
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      keepAlive: true,
      application_name: 'jetbridge',
    });
    // Until `onLost` is wired, a failing connection must not crash the process.
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SET synchronous_commit = off');
      await migrate(client);
    } catch (error) {
      await client.end().catch(() => {});
      throw new Error(`cannot use the PostgreSQL state at ${where}: ${(error as Error).message}`, { cause: error });
    }
    const state = new PostgresState(client, where);
    const onEnd = (error?: Error) => state.connectionLost(error, options.onLost);
    client.on('error', onEnd);
    client.on('end', () => onEnd());
    return state;
  }

  async openDevice(device: string, options: { fenced?: boolean } = {}): Promise<DeviceState> {
    if (this.open.has(device)) throw new Error(`the state of device ${device} is already open`);
    this.failIfUnusable(device);
    const { rows } = await this.withSession((c) =>
      c.query<{ last: string | null }>('SELECT max(seq) AS last FROM jetbridge.inbox WHERE device = $1', [device]),
    );
    this.notOwned.delete(device);
    this.open.add(device);
    return new PostgresDeviceState(this, device, Number(rows[0]?.last ?? 0) + 1, options.fenced === true);
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      this.flushSoon();
      await this.settled();
      if (this.lost === undefined) await this.withSession((c) => c.end());
    })();
    return this.closing;
  }

  /** Resolves once everything asked so far has been written (or has failed). */
  async settled(): Promise<void> {
    while (this.scheduled || !this.group.empty) {
      this.flushSoon();
      await new Promise<void>((resolve) => setImmediate(resolve));
      await this.writing;
    }
    await this.writing;
  }

  /** @internal The device handle's entry points. */
  put(device: string, row: InboxRow, fenced: boolean): Promise<void> {
    const committed = this.enqueue(device, fenced);
    this.group.puts.set(`${device} ${row.seq}`, row);
    return committed;
  }

  /** @internal */
  settle(device: string, seq: number): void {
    if (this.lost !== undefined || this.notOwned.has(device)) return;
    // Never written yet: forgetting the entry is all settling takes.
    if (!this.group.puts.delete(`${device} ${seq}`)) this.group.settles.push({ device, seq });
    this.flushSoon();
  }

  /** @internal */
  apply(device: string, upserts: readonly BgpPath[], removes: readonly PathKey[], fenced: boolean): Promise<void> {
    const committed = this.enqueue(device, fenced);
    let paths = this.group.paths.get(device);
    if (paths === undefined) {
      paths = new Map();
      this.group.paths.set(device, paths);
    }
    // The pipeline removes, then upserts, within one batch; later batches overwrite earlier ones.
    for (const key of removes) paths.set(pathKeyString(key), null);
    for (const p of upserts) paths.set(pathKeyString(p), p);
    return committed;
  }

  /** @internal */
  async load(device: string): Promise<BgpPath[]> {
    this.failIfUnusable(device);
    const { rows } = await this.withSession((c) =>
      c.query<{ path_key: string; path: string }>('SELECT path_key, path FROM jetbridge.programmed WHERE device = $1', [
        device,
      ]),
    );
    return rows.map((r) => loadedPath(r.path_key, r.path));
  }

  /** @internal */
  async pending(device: string): Promise<StoredInboxMessage[]> {
    this.failIfUnusable(device);
    await this.settled();
    const { rows } = await this.withSession((c) =>
      c.query<{
        seq: string;
        topic: string;
        payload: Buffer;
        qos: number;
        response_topic: string | null;
        correlation_data: Buffer | null;
      }>(
        'SELECT seq, topic, payload, qos, response_topic, correlation_data FROM jetbridge.inbox WHERE device = $1 ORDER BY seq',
        [device],
      ),
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      topic: r.topic,
      payload: r.payload,
      qos: r.qos as 0 | 1 | 2,
      ...(r.response_topic !== null && { responseTopic: r.response_topic }),
      ...(r.correlation_data !== null && { correlationData: r.correlation_data }),
    }));
  }

  /** @internal Waits for what the device asked for, then forgets the device. */
  async release(device: string): Promise<void> {
    await this.settled();
    this.open.delete(device);
  }

  /** @internal */
  failIfUnusable(device: string): void {
    if (this.lost !== undefined)
      throw new Error(`the PostgreSQL state at ${this.where} is unusable: ${this.lost.message}`);
    if (this.notOwned.has(device)) throw new NotOwnerError(device);
  }

  private enqueue(device: string, fenced: boolean): Promise<void> {
    this.failIfUnusable(device);
    if (fenced) this.group.fenced.add(device);
    const waiting = new Promise<void>((resolve, reject) => this.group.waiters.push({ device, resolve, reject }));
    this.flushSoon();
    return waiting;
  }

  private flushSoon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const group = this.group;
      if (group.empty) return;
      this.group = new Group();
      this.writing = this.withSession(() => this.write(group));
    });
  }

  /** Writes one group; a fence failure writes the rest again without the devices it names. */
  private async write(group: Group): Promise<void> {
    let remaining = group;
    for (;;) {
      if (this.lost !== undefined) return this.fail(remaining.waiters, this.lost);
      try {
        await this.session.query({
          name: 'jetbridge-write-group',
          text: WRITE_GROUP_SQL,
          values: groupParams(remaining),
        });
        for (const w of remaining.waiters) w.resolve();
        return;
      } catch (error) {
        const notOwned = devicesNotOwned(error);
        if (notOwned === undefined) return this.fail(remaining.waiters, error as Error);
        for (const device of notOwned) this.notOwned.add(device);
        for (const w of remaining.waiters) if (notOwned.has(w.device)) w.reject(new NotOwnerError(w.device));
        remaining = remaining.without(notOwned);
        if (remaining.empty) return;
      }
    }
  }

  private fail(waiters: readonly Waiter[], error: Error): void {
    const reason = new Error(`could not write the PostgreSQL state at ${this.where}: ${error.message}`, {
      cause: error,
    });
    for (const w of waiters) w.reject(reason);
  }

  private connectionLost(error: Error | undefined, onLost: ((error: Error) => void) | undefined): void {
    if (this.lost !== undefined) return;
    this.lost = error ?? new Error('the connection ended');
    if (this.closing === undefined) onLost?.(this.lost);
  }
}

/** One device's view of the shared state (see backend.ts). */
class PostgresDeviceState implements DeviceState {
  private closed = false;

  constructor(
    private readonly state: PostgresState,
    readonly device: string,
    private nextSeq: number,
    private readonly fenced: boolean,
  ) {}

  loadProgrammed(): Promise<BgpPath[]> {
    return this.state.load(this.device);
  }

  applyProgrammed(upserts: readonly BgpPath[], removes: readonly PathKey[]): Promise<void> {
    this.check();
    if (upserts.length === 0 && removes.length === 0) return Promise.resolve();
    return this.state.apply(this.device, upserts, removes, this.fenced);
  }

  put(msg: InboxMessage): InboxEntry {
    this.check();
    const seq = this.nextSeq++;
    const committed = this.state.put(this.device, { device: this.device, seq, msg }, this.fenced);
    return { seq, committed };
  }

  settle(seq: number): void {
    if (!this.closed) this.state.settle(this.device, seq);
  }

  pending(): Promise<StoredInboxMessage[]> {
    return this.state.pending(this.device);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.state.release(this.device);
  }

  private check(): void {
    if (this.closed) throw new Error(`the state of device ${this.device} is closed`);
  }
}
