/**
 * A database of its own for a test file, on the PostgreSQL server the tests
 * share (127.0.0.1:5432, user postgres, trust auth; scripts/install-test-deps.sh
 * sets one up on a fresh machine). The name is unique per call, so test files
 * running in parallel, and engineers sharing the server, never meet; `drop()`
 * removes it with whatever connections a killed process left open.
 *
 * `JETBRIDGE_TEST_POSTGRES` overrides the server (a URL naming any database on it).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_POSTGRES_URL = process.env.JETBRIDGE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** The database's name: `jetbridge_test_<label>_<random>`. */
  readonly name: string;
  /** A `postgres://` URL for it, as `state.url` takes it. */
  readonly url: string;
  /** Drops it, ending any connection still open on it. */
  drop(): Promise<void>;
}

/** Creates an empty database; `label` (letters, digits, _) says which test it belongs to. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30);
  const name = `jetbridge_test_${safe}_${randomBytes(5).toString('hex')}`;
  await asAdmin(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Runs one statement on the server's maintenance database. */
async function asAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `cannot reach the test PostgreSQL server at ${TEST_POSTGRES_URL} (run scripts/install-test-deps.sh): ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
