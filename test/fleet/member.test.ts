/**
 * Fleet membership against a real PostgreSQL server (a database of its own):
 * leases spread over live bridges, a bridge whose session ends loses its devices
 * to the others and says so, a bridge that returns takes a share without any
 * device moving twice, and a session that stays silent is ended by the server.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LeaseConnection, readFleet, type FleetBridge } from '../../src/fleet/leases.js';
import { FleetMember, type DeviceOwnership } from '../../src/fleet/member.js';
import { runCli } from '../helpers/bridge-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

const DEVICES = ['r1', 'r2', 'r3', 'r4'];
const logger = pino({ level: 'silent' });

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('fleet_member');
});
afterAll(() => db?.drop());

/** A bridge's side of ownership: what it serves, and every start and stop in order. */
class Recorder implements DeviceOwnership {
  readonly serving = new Set<string>();
  readonly events: string[] = [];
  async start(device: string): Promise<void> {
    this.serving.add(device);
    this.events.push(`start ${device}`);
  }
  async stop(device: string, handover: boolean): Promise<void> {
    this.serving.delete(device);
    this.events.push(`${handover ? 'handover' : 'lost'} ${device}`);
  }
}

const members: FleetMember[] = [];
afterEach(async () => {
  for (const m of members.splice(0)) await m.stop();
});

async function join(id: string, leaseTimeoutMs = 3000): Promise<{ member: FleetMember; recorder: Recorder }> {
  const recorder = new Recorder();
  const member = new FleetMember({
    url: db.url,
    bridgeId: id,
    devices: DEVICES,
    leaseTimeoutMs,
    checkIntervalMs: 100,
    ownership: recorder,
    logger,
  });
  members.push(member);
  await member.start();
  return { member, recorder };
}

async function terminateSessionOf(bridgeId: string): Promise<void> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'jetbridge-fleet ' || $1",
    [bridgeId],
  );
  await client.end();
}

describe('a fleet of bridges on PostgreSQL advisory locks', () => {
  it('spreads four devices two and two, and the database shows who owns what', async () => {
    const a = await join('fa');
    const b = await join('fb');
    await vi.waitFor(
      () => {
        expect(a.recorder.serving.size).toBe(2);
        expect(b.recorder.serving.size).toBe(2);
      },
      { timeout: 5000 },
    );
    expect([...a.recorder.serving, ...b.recorder.serving].sort()).toEqual(DEVICES);
    const fleet = await readFleet(db.url);
    expect(fleet.map((f) => f.id)).toEqual(['fa', 'fb']);
    expect(fleet.find((f) => f.id === 'fa')?.owned).toEqual(a.member.ownedDevices());
  });

  it('moves the devices of a bridge whose session ended, fences it, and rebalances when it returns', async () => {
    const a = await join('ga');
    const b = await join('gb');
    await vi.waitFor(() => expect(b.recorder.serving.size).toBe(2), { timeout: 5000 });
    const bDevices = b.member.ownedDevices();

    const before = a.recorder.events.length;
    await terminateSessionOf('gb');
    await vi.waitFor(
      () => {
        expect(a.recorder.serving.size).toBe(4);
        for (const d of bDevices) expect(b.recorder.events).toContain(`lost ${d}`);
      },
      { timeout: 5000 },
    );
    for (const d of bDevices) expect(b.member.holds(d)).toBe(false);

    // b joins again with a new session: it gets two devices back, each moved once.
    await vi.waitFor(() => expect(b.recorder.serving.size).toBe(2), { timeout: 5000 });
    await sleep(500);
    expect(a.recorder.serving.size).toBe(2);
    const since = a.recorder.events.slice(before);
    expect(since.filter((e) => e.startsWith('start'))).toHaveLength(2);
    expect(since.filter((e) => e.startsWith('handover'))).toHaveLength(2);
    expect(since.filter((e) => e.startsWith('lost'))).toEqual([]);
  });

  it('jetbridge fleet lists the live bridges and what each owns', async () => {
    const a = await join('ca');
    await vi.waitFor(() => expect(a.recorder.serving.size).toBe(4), { timeout: 5000 });
    const json = await runCli(['fleet', '--state-url', db.url, '--json']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as FleetBridge[]).find((b) => b.id === 'ca')?.owned).toEqual(DEVICES);
    const text = await runCli(['fleet', '--state-url', db.url]);
    expect(text.stdout).toMatch(/^ca\s+r1, r2, r3, r4$/m);
    const down = await runCli(['fleet', '--state-url', 'postgres://postgres@127.0.0.1:1/none']);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot read the fleet database');
  }, 60_000);

  it('refuses a second live bridge with the same client id', async () => {
    await join('dup');
    await expect(join('dup')).rejects.toThrow(/another live bridge of the fleet uses mqtt.clientId "dup"/);
  });

  it('ends a silent session on the server clock, so a frozen holder loses its leases', async () => {
    const frozen = await LeaseConnection.open({
      url: db.url,
      bridgeId: 'frozen',
      leaseTimeoutMs: 1000,
      queryTimeoutMs: 1000,
    });
    for (const d of DEVICES) expect(await frozen.tryAcquire(d)).toBe(true);
    const started = performance.now();
    const survivor = await join('survivor');
    expect(survivor.recorder.serving.size).toBe(0);
    // The frozen holder sends nothing; the server ends its session after about a second.
    await vi.waitFor(() => expect(survivor.recorder.serving.size).toBe(4), { timeout: 5000, interval: 50 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    await frozen.close();
  });
});
