/**
 * Device leases as PostgreSQL session advisory locks, on one dedicated
 * connection per bridge. A lock belongs to the server session that took it and
 * ends with it, so whatever ends the session (the bridge exits, its machine
 * dies, the network parts) hands its devices to the rest of the fleet; there is
 * no lease row to expire and no clock compared across machines.
 *
 * A frozen process (SIGSTOP, a VM paused) keeps its TCP connection open, and its
 * kernel still answers keepalives, so the session is also bounded on the
 * server's own clock: `idle_session_timeout` ends a session that sent nothing
 * for the lease time. The bridge queries every check interval (the snapshot
 * below is that heartbeat), so only a bridge that stopped working loses it.
 * TCP keepalives and `tcp_user_timeout` end sessions whose peer vanished while
 * the server was sending.
 *
 * Live bridges register in `jetbridge_fleet_bridges` with their backend pid and
 * hold a lock of their own; a row counts only while that lock is held, so rows
 * of dead bridges need no cleaning. Names map to lock keys through
 * `jetbridge_fleet_keys` (unique ids, no hash collisions). Locks use the
 * two-key form: (NS_BRIDGE | NS_DEVICE, id).
 */
import pg from 'pg';

/** First lock key of a bridge's registration lock. */
export const NS_BRIDGE = 0x4a42_0001;
/** First lock key of a device lease. */
export const NS_DEVICE = 0x4a42_0002;
/** Serialises schema creation between bridges starting together. */
const NS_SCHEMA = 0x4a42_0000;

export interface LeaseConnectionOptions {
  /** `postgres://` URL of the fleet's database. */
  url: string;
  /** The bridge's MQTT client id: its name in the fleet. */
  bridgeId: string;
  /** The server ends the session (and its locks) after this long without a query. */
  leaseTimeoutMs: number;
  /** Client-side bound on each query. */
  queryTimeoutMs: number;
}

export interface FleetBridge {
  readonly id: string;
  readonly owned: readonly string[];
}

/** Another live bridge already uses this bridge's client id. */
export class DuplicateBridgeError extends Error {
  constructor(readonly bridgeId: string) {
    super(`another live bridge of the fleet uses mqtt.clientId "${bridgeId}"; give each bridge its own`);
    this.name = 'DuplicateBridgeError';
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jetbridge_fleet_keys (
  kind text NOT NULL, name text NOT NULL, id serial NOT NULL UNIQUE, PRIMARY KEY (kind, name));
CREATE TABLE IF NOT EXISTS jetbridge_fleet_bridges (
  client_id text PRIMARY KEY, pid integer NOT NULL, joined_at timestamptz NOT NULL DEFAULT now());
`;

/** Live bridges (registration lock held by the pid they registered) and the device leases of each. */
const SNAPSHOT = `
WITH locks AS (
  SELECT classid::bigint AS ns, objid::bigint AS id, pid FROM pg_locks
  WHERE locktype = 'advisory' AND granted AND objsubid = 2
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
SELECT b.client_id AS id,
  COALESCE(array_agg(dk.name ORDER BY dk.name) FILTER (WHERE dk.name IS NOT NULL), '{}') AS owned
FROM jetbridge_fleet_bridges b
JOIN jetbridge_fleet_keys bk ON bk.kind = 'bridge' AND bk.name = b.client_id
JOIN locks bl ON bl.ns = ${NS_BRIDGE} AND bl.id = bk.id AND bl.pid = b.pid
LEFT JOIN locks dl ON dl.ns = ${NS_DEVICE} AND dl.pid = b.pid
LEFT JOIN jetbridge_fleet_keys dk ON dk.kind = 'device' AND dk.id = dl.id
GROUP BY b.client_id ORDER BY b.client_id`;

/** Session settings that bound how long a silent or vanished bridge keeps its locks. */
function sessionSettings(leaseTimeoutMs: number): string {
  const seconds = Math.max(1, Math.ceil(leaseTimeoutMs / 3000));
  return [
    `SET idle_session_timeout = ${Math.ceil(leaseTimeoutMs)}`,
    `SET tcp_keepalives_idle = ${seconds}`,
    `SET tcp_keepalives_interval = ${seconds}`,
    'SET tcp_keepalives_count = 3',
    `SET tcp_user_timeout = ${Math.ceil(leaseTimeoutMs)}`,
  ].join('; ');
}

/** One bridge's lease session. Any error leaves it unusable: destroy it and open another. */
export class LeaseConnection {
  private readonly keys = new Map<string, number>();

  private constructor(
    private readonly client: pg.Client,
    readonly bridgeId: string,
  ) {}

  /** Connects, creates the tables if needed and registers the bridge (its own lock). */
  static async open(options: LeaseConnectionOptions): Promise<LeaseConnection> {
    const client = new pg.Client({
      connectionString: options.url,
      keepAlive: true,
      keepAliveInitialDelayMillis: 1000,
      connectionTimeoutMillis: options.queryTimeoutMs,
      query_timeout: options.queryTimeoutMs,
      application_name: `jetbridge-fleet ${options.bridgeId}`.slice(0, 63),
    });
    // An error between queries (the server ended the session) must not crash the process;
    // the next query fails and the member reopens.
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query(sessionSettings(options.leaseTimeoutMs));
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(${NS_SCHEMA})`);
      await client.query(SCHEMA);
      await client.query('COMMIT');
      const connection = new LeaseConnection(client, options.bridgeId);
      await connection.register();
      return connection;
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
  }

  /** The fleet as the database sees it now; also this session's heartbeat. */
  async snapshot(): Promise<FleetBridge[]> {
    const { rows } = await this.client.query<{ id: string; owned: string[] }>(SNAPSHOT);
    return rows.map((row) => ({ id: row.id, owned: row.owned }));
  }

  /** Takes the device's lease if nobody holds it; true when this bridge now holds it. */
  async tryAcquire(device: string): Promise<boolean> {
    const id = await this.keyOf('device', device);
    const { rows } = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
      NS_DEVICE,
      id,
    ]);
    return rows[0]?.ok === true;
  }

  async release(device: string): Promise<void> {
    const id = await this.keyOf('device', device);
    await this.client.query('SELECT pg_advisory_unlock($1, $2)', [NS_DEVICE, id]);
  }

  /** Ends the session, and with it every lock it holds. */
  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }

  private async register(): Promise<void> {
    const id = await this.keyOf('bridge', this.bridgeId);
    const { rows } = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
      NS_BRIDGE,
      id,
    ]);
    if (rows[0]?.ok !== true) throw new DuplicateBridgeError(this.bridgeId);
    await this.client.query(
      `INSERT INTO jetbridge_fleet_bridges (client_id, pid) VALUES ($1, pg_backend_pid())
       ON CONFLICT (client_id) DO UPDATE SET pid = EXCLUDED.pid, joined_at = now()`,
      [this.bridgeId],
    );
  }

  private async keyOf(kind: 'bridge' | 'device', name: string): Promise<number> {
    const cacheKey = `${kind}\0${name}`;
    const known = this.keys.get(cacheKey);
    if (known !== undefined) return known;
    const { rows } = await this.client.query<{ id: number }>(
      `WITH added AS (INSERT INTO jetbridge_fleet_keys (kind, name) VALUES ($1, $2)
         ON CONFLICT (kind, name) DO NOTHING RETURNING id)
       SELECT id FROM added UNION ALL SELECT id FROM jetbridge_fleet_keys WHERE kind = $1 AND name = $2`,
      [kind, name],
    );
    const id = rows[0]?.id;
    if (id === undefined) throw new Error(`no lock key for ${kind} ${name}`);
    this.keys.set(cacheKey, id);
    return id;
  }
}

/** The live bridges and what each owns, read on a short-lived connection (for `jetbridge fleet`). */
export async function readFleet(url: string, timeoutMs = 5000): Promise<FleetBridge[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  await client.connect();
  try {
    const { rows: exists } = await client.query<{ t: string | null }>(
      "SELECT to_regclass('jetbridge_fleet_bridges') AS t",
    );
    if (exists[0]?.t === null) return [];
    const { rows } = await client.query<{ id: string; owned: string[] }>(SNAPSHOT);
    return rows.map((row) => ({ id: row.id, owned: row.owned }));
  } finally {
    await client.end().catch(() => {});
  }
}
