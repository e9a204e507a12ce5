/**
 * The bridge's tables in PostgreSQL, created and migrated at start.
 *
 * Everything lives in the schema `jetbridge` so a database shared with other
 * applications stays tidy. `jetbridge.schema_version` holds one row per applied
 * migration; a bridge applies the ones it knows and the database lacks, under a
 * transaction-scoped advisory lock, so bridges of a fleet starting together
 * migrate once. A database migrated by a newer bridge is refused rather than
 * written with assumptions that no longer hold.
 *
 * Tables are keyed by device first: the state is per device, and only a
 * device's owner writes its rows (see postgres.ts for the fencing check).
 */
import type pg from 'pg';

/** Any lock key will do as long as no other application uses it. */
const MIGRATION_LOCK_KEY = "hashtextextended('jetbridge schema migration', 0)";

/** In order; a migration is never edited once released, only followed by another. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jetbridge.programmed (
     device text NOT NULL,
     path_key text NOT NULL,
     path text NOT NULL,
     PRIMARY KEY (device, path_key)
   );
   CREATE TABLE jetbridge.inbox (
     device text NOT NULL,
     seq bigint NOT NULL,
     topic text NOT NULL,
     payload bytea NOT NULL,
     qos smallint NOT NULL,
     response_topic text,
     correlation_data bytea,
     PRIMARY KEY (device, seq)
   );
   -- The advisory lock key of a device's ownership lease, for whoever holds leases.
   CREATE FUNCTION jetbridge.device_lock_key(device text) RETURNS bigint
     LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended('jetbridge device ' || device, 0) $$;
   -- Raises JB001 naming the devices whose lease (session advisory lock) this
   -- connection does not hold: a write guarded by it is all or nothing.
   CREATE FUNCTION jetbridge.fence(devices text[]) RETURNS void LANGUAGE plpgsql AS $$
   DECLARE
     lost text[];
   BEGIN
     IF cardinality(devices) = 0 THEN
       RETURN;
     END IF;
     SELECT array_agg(d) INTO lost FROM unnest(devices) AS d
      WHERE NOT EXISTS (
        SELECT 1 FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted AND l.objsubid = 1
           AND ((l.classid::bigint << 32) | l.objid::bigint) = jetbridge.device_lock_key(d));
     IF lost IS NOT NULL THEN
       RAISE EXCEPTION USING ERRCODE = 'JB001', MESSAGE = 'not the owner of ' || array_to_string(lost, ', '),
         DETAIL = array_to_string(lost, E'\\n');
     END IF;
   END $$;`,
];

/** The schema version this bridge writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** SQLSTATE of jetbridge.fence(): a write for a device whose lease this connection lacks. */
export const NOT_OWNER = 'JB001';

/** Creates or migrates the schema; returns the versions applied now (empty when up to date). */
export async function migrate(client: pg.Client): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await client.query('CREATE SCHEMA IF NOT EXISTS jetbridge');
    await client.query(`CREATE TABLE IF NOT EXISTS jetbridge.schema_version (
      version integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM jetbridge.schema_version',
    );
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION)
      throw new Error(
        `the database's jetbridge schema is version ${current}, newer than this bridge's (${SCHEMA_VERSION}): upgrade the bridge`,
      );
    const applied: number[] = [];
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
      await client.query(MIGRATIONS[version - 1] as string);
      await client.query('INSERT INTO jetbridge.schema_version (version) VALUES ($1)', [version]);
      applied.push(version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
