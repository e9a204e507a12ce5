/**
 * What only the PostgreSQL backend has: a schema it creates and versions, a
 * device handed from one bridge to another, the fencing check a fleet's
 * leases rely on, and whole groups of writes after a kill -9 of the writer.
 * The behaviour both backends share is in device-state.test.ts.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BgpPath } from '../../src/jet/model.js';
import { SCHEMA_VERSION } from '../../src/state/postgres-schema.js';
import { NotOwnerError, PostgresState } from '../../src/state/postgres.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

const route: BgpPath = { table: 'inet.0', prefix: '10.9.0.0', length: 24, cookie: 9n, nextHops: ['10.0.0.9'] };
const intent = (text: string) => ({ topic: 'jet/r1/bgp/intent', payload: Buffer.from(text), qos: 1 as const });

let db: TestDatabase;
const opened: PostgresState[] = [];
const open = async (): Promise<PostgresState> => {
  const state = await PostgresState.open({ url: db.url });
  opened.push(state);
  return state;
};
async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}
const lock = (state: PostgresState, device: string) =>
  state.withSession((c) => c.query('SELECT pg_advisory_lock(jetbridge.device_lock_key($1))', [device]));

beforeAll(async () => {
  db = await createTestDatabase('postgres_state');
});
afterEach(async () => {
  for (const state of opened.splice(0)) await state.close();
});
afterAll(() => db?.drop());

describe('PostgresState schema', () => {
  it('creates its tables once and records the version; a second bridge finds them', async () => {
    await Promise.all([open(), open()]);
    expect(await sql('SELECT version FROM jetbridge.schema_version ORDER BY version')).toEqual(
      Array.from({ length: SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })),
    );
  });

  it('refuses a database a newer bridge has migrated, saying which versions', async () => {
    await open();
    await sql('INSERT INTO jetbridge.schema_version (version) VALUES ($1)', [SCHEMA_VERSION + 1]);
    try {
      await expect(PostgresState.open({ url: db.url })).rejects.toThrow(
        new RegExp(`schema is version ${SCHEMA_VERSION + 1}, newer than this bridge's \\(${SCHEMA_VERSION}\\)`),
      );
    } finally {
      await sql('DELETE FROM jetbridge.schema_version WHERE version > $1', [SCHEMA_VERSION]);
    }
  });

  it('names the server, not the password, when it cannot connect', async () => {
    const url = 'postgres://someone:hunter2@127.0.0.1:1/none';
    const failure = PostgresState.open({ url, connectTimeoutMs: 2000 });
    await expect(failure).rejects.toThrow(
      /cannot use the PostgreSQL state at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/none/,
    );
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });
});

describe('a device handed from one bridge to another', () => {
  it("gives the new holder the old one's unanswered requests in publish order, then its own after them", async () => {
    const first = await open();
    const before = await first.openDevice('handover');
    const entries = ['a', 'b', 'c', 'd'].map((t) => before.put({ ...intent(t), topic: 'jet/handover/bgp/intent' }));
    await Promise.all(entries.map((e) => e.committed));
    before.settle(entries[1]?.seq ?? -1);
    await before.applyProgrammed([route], []);
    await before.close();

    const second = await open();
    const after = await second.openDevice('handover');
    await after.put({ ...intent('e'), topic: 'jet/handover/bgp/intent' }).committed;
    expect((await after.pending()).map((m) => m.payload.toString())).toEqual(['a', 'c', 'd', 'e']);
    expect(await after.loadProgrammed()).toEqual([route]);
  });
});

describe('fencing', () => {
  it("writes a fenced device's state only while this connection holds the device's lock", async () => {
    const state = await open();
    await lock(state, 'owned');
    const owned = await state.openDevice('owned', { fenced: true });
    const lost = await state.openDevice('lost', { fenced: true });
    const unfenced = await state.openDevice('unfenced');

    // One group: the refused device's writes fail, the others' are written all the same.
    const refusedPut = lost.put(intent('nobody owns me'));
    const refusedApply = lost.applyProgrammed([route], []);
    const ownedPut = owned.put(intent('mine'));
    const ownedApply = owned.applyProgrammed([route], []);
    const unfencedApply = unfenced.applyProgrammed([route], []);
    await expect(refusedPut.committed).rejects.toBeInstanceOf(NotOwnerError);
    await expect(refusedApply).rejects.toThrow(/no longer owns device lost/);
    await Promise.all([ownedPut.committed, ownedApply, unfencedApply]);

    expect(
      await sql(
        "SELECT device FROM jetbridge.programmed WHERE device IN ('owned', 'lost', 'unfenced') ORDER BY device",
      ),
    ).toEqual([{ device: 'owned' }, { device: 'unfenced' }]);
    expect(await sql("SELECT device FROM jetbridge.inbox WHERE device IN ('owned', 'lost')")).toEqual([
      { device: 'owned' },
    ]);
    // Fenced for good: no later write even reaches the database.
    expect(() => lost.put(intent('again'))).toThrow(NotOwnerError);
  });

  it('refuses the writes of a device whose lock another session took', async () => {
    const holder = await open();
    await lock(holder, 'taken');
    const device = await holder.openDevice('taken', { fenced: true });
    await device.applyProgrammed([route], []);
    await holder.withSession((c) => c.query('SELECT pg_advisory_unlock(jetbridge.device_lock_key($1))', ['taken']));
    const other = await open();
    await lock(other, 'taken');
    await expect(device.applyProgrammed([{ ...route, med: 1 }], [])).rejects.toBeInstanceOf(NotOwnerError);
  });
});

describe('PostgresState under kill -9', () => {
  it('leaves whole groups: every committed round, no half of one', { timeout: 60_000 }, async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/postgres-writer.ts'), db.url],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let committed = -1;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('writer made no progress')), 40_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        const lines = chunk.toString().trim().split('\n');
        committed = Number(lines[lines.length - 1]);
        if (committed >= 30) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));

    const paths = await sql<{ n: string }>("SELECT count(*) AS n FROM jetbridge.programmed WHERE device = 'r1'");
    const rounds = Number(paths[0]?.n) / 100;
    expect(Number.isInteger(rounds)).toBe(true);
    expect(rounds).toBeGreaterThanOrEqual(committed + 1);
    // The inbox holds exactly the last written round's ten requests: the round
    // before it was settled in the same statement that wrote it.
    const inbox = await sql<{ payload: Buffer }>(
      "SELECT payload FROM jetbridge.inbox WHERE device = 'r1' ORDER BY seq",
    );
    const last = rounds - 1;
    expect(inbox.map((r) => r.payload.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `${last}.${i}`));
  });
});
