import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_POSTGRES_URL } from './postgres.js';

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('createTestDatabase', () => {
  it('creates a database of its own and drops it even with a connection left open', async () => {
    const a = await createTestDatabase('helper');
    const b = await createTestDatabase('helper');
    expect(a.name).not.toBe(b.name);
    const left = new pg.Client({ connectionString: a.url });
    left.on('error', () => {});
    await left.connect();
    await left.query('CREATE TABLE t (x int)');
    expect(await databaseExists(a.name)).toBe(true);
    await a.drop();
    await b.drop();
    expect(await databaseExists(a.name)).toBe(false);
    expect(await databaseExists(b.name)).toBe(false);
    await left.end().catch(() => {});
  });
});
