/**
 * The bridge on PostgreSQL state (`state.url`), end to end: embedded broker,
 * emulated router, a database of the test's own. What JET confirmed is in the
 * `jetbridge.programmed` rows, answered requests leave no inbox row, and a
 * bridge restarted on the same database puts the routes back on the (emptied)
 * router and answers the same intents as unchanged.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { makeTestConfig, startTestBridge, WAIT_MS, type TestBridge, type TestConfig } from './harness.js';

const ANNOUNCE_A = { id: 'a-1', prefix: '10.71.1.0/24', nextHops: ['10.0.0.1'] };
const ANNOUNCE_B = { id: 'b-1', prefix: '10.71.2.0/24', nextHops: ['10.0.0.2'] };
const ANNOUNCE_C = { id: 'c-1', prefix: '10.71.3.0/24', nextHops: ['10.0.0.3'] };
const WITHDRAW_C = { id: 'c-2', prefix: '10.71.3.0/24', action: 'withdraw' };

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the bridge with its state in PostgreSQL', () => {
  let database: TestDatabase;
  let config: TestConfig;
  let bridge: TestBridge | undefined;

  /** One query on the test database, on a connection of its own. */
  async function rows<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase('bridge_state');
    config = await makeTestConfig({ broker: { kind: 'embedded' }, pipeline: { debounceMs: 10 } });
    config.raw.state = { url: database.url };
  });

  afterAll(async () => {
    await bridge?.stop();
    await config?.dispose();
    await database?.drop();
  });

  it('records what JET confirmed, and a restarted bridge restores it and answers unchanged', async () => {
    bridge = await startTestBridge(config);
    expect(bridge.config.state.url).toBe(database.url);
    await bridge.ready();
    for (const intent of [ANNOUNCE_A, ANNOUNCE_B, ANNOUNCE_C])
      expect((await bridge.request(intent)).results[0]).toMatchObject({ status: 'SUCCESS', added: 1 });
    expect((await bridge.request(WITHDRAW_C)).results[0]).toMatchObject({ status: 'SUCCESS' });
    expect(bridge.routes('10.71.1.0/24')).toHaveLength(1);
    expect(bridge.routes('10.71.3.0/24')).toHaveLength(0);

    const programmed = await rows<{ device: string; path_key: string }>(
      'SELECT device, path_key FROM jetbridge.programmed ORDER BY path_key',
    );
    expect(programmed.map((r) => r.device)).toEqual(['r1', 'r1']);
    expect(programmed.map((r) => r.path_key).join(' ')).toMatch(/10\.71\.1\.0.*10\.71\.2\.0/);
    await bridge.stop({ keepState: true });
    // Every request was answered, so none is left in the inbox.
    expect(await rows('SELECT seq FROM jetbridge.inbox')).toEqual([]);

    // The emulator stops with the bridge: the next one meets an empty router and restores it from the database.
    bridge = await startTestBridge(config);
    const second = bridge;
    await until(
      () => second.routes('10.71.1.0/24').length === 1 && second.routes('10.71.2.0/24').length === 1,
      'the reconciler restores both routes',
    );
    await second.ready();
    for (const intent of [ANNOUNCE_A, ANNOUNCE_B])
      expect((await second.request({ ...intent, id: `${intent.id}-again` })).results[0]).toMatchObject({
        status: 'SUCCESS',
        unchanged: true,
      });
    expect(second.routes('10.71.3.0/24')).toHaveLength(0);
    expect(await rows('SELECT path_key FROM jetbridge.programmed')).toHaveLength(2);
  });
});
