/**
 * Faults of the router side, injected in the JET emulator in the middle of a
 * burst: connections dropped, UNAVAILABLE for a while, TRY_AGAIN for a while, and
 * calls that stall past the bridge's deadline. The bridge retries with backoff,
 * logs in and initializes again, keeps intents queued meanwhile, and programs
 * every one once the router recovers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientEvent, Faults } from '../../src/emulator/emulator.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { DURABLE_BROKER, runScenario, startFaultRig, type FaultRig } from './rig.js';

/** How long a lasting fault stays on: several retries, well inside the bridge's budget. */
const FAULT_MS = 1200;
const BURST = { count: 1500, chunk: 50, intervalMs: 25 };
const RPC_TIMEOUT_MS = 300;

/** The bridge's routes on the router when a lasting fault began and when it ended. */
interface HeldProgress {
  atStart: number;
  atEnd: number;
}

/**
 * Keeps `faults` on for FAULT_MS and counts the bridge's routes meanwhile. The
 * first count waits a moment: a call that passed the emulator's checks before
 * the fault may still land.
 */
async function holdFault({ emulator, rib }: FaultRig, faults: Faults): Promise<HeldProgress> {
  emulator.setFaults(faults);
  await sleep(50);
  const atStart = rib().length;
  await sleep(FAULT_MS);
  const atEnd = rib().length;
  emulator.setFaults({});
  return { atStart, atEnd };
}

/** The fault hit in the middle of the burst and nothing was programmed while it lasted. */
function expectMidBurstStandstill(held: HeldProgress | undefined): void {
  expect(held).toBeDefined();
  expect(held!.atStart).toBeLessThan(BURST.count);
  expect(held!.atEnd).toBe(held!.atStart);
}

describe('faults of the router', () => {
  let broker: RunningMosquitto;
  let rig: FaultRig | undefined;
  let clientEvents: ClientEvent[] = [];
  /** The bridge's routes on the router when a one-shot fault struck. */
  let routesAtFault = Number.NaN;

  async function start(options: { rpcTimeoutMs?: number } = {}): Promise<FaultRig> {
    rig = await startFaultRig({ broker, ...options });
    clientEvents = [];
    routesAtFault = Number.NaN;
    rig.emulator.events.on('client', (event: ClientEvent) => clientEvents.push(event));
    return rig;
  }

  /** Logins after the bridge was up: each one is a reconnect. */
  const relogins = () => clientEvents.filter((e) => e.type === 'login').length;

  beforeAll(async () => {
    broker = await startMosquitto(DURABLE_BROKER);
  });
  afterEach(async () => {
    await rig?.stop();
    rig = undefined;
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('survives the router dropping every connection', { timeout: 60_000 }, async () => {
    await runScenario(await start(), {
      name: 'emulator drops connections',
      burst: BURST,
      faultAt: 0.3,
      async fault({ emulator, rib }) {
        routesAtFault = rib().length;
        emulator.dropConnections();
        await sleep(200);
        emulator.dropConnections();
      },
    });
    expect(routesAtFault).toBeLessThan(BURST.count);
    expect(relogins()).toBeGreaterThanOrEqual(1);
  });

  it('waits out UNAVAILABLE', { timeout: 60_000 }, async () => {
    let held: HeldProgress | undefined;
    await runScenario(await start(), {
      name: 'emulator answers UNAVAILABLE',
      burst: BURST,
      faultAt: 0.3,
      async fault(rig) {
        held = await holdFault(rig, { unavailable: true });
      },
    });
    expectMidBurstStandstill(held);
    // UNAVAILABLE means the connection cannot be trusted: the bridge logged in again.
    expect(relogins()).toBeGreaterThanOrEqual(1);
  });

  it('retries TRY_AGAIN', { timeout: 60_000 }, async () => {
    let held: HeldProgress | undefined;
    await runScenario(await start(), {
      name: 'emulator answers TRY_AGAIN',
      burst: BURST,
      faultAt: 0.3,
      async fault(rig) {
        held = await holdFault(rig, { tryAgain: true });
      },
    });
    expectMidBurstStandstill(held);
    // TRY_AGAIN is an answer on a healthy connection: no new login.
    expect(relogins()).toBe(0);
  });

  it('recovers from calls stalled past the deadline', { timeout: 60_000 }, async () => {
    await runScenario(await start({ rpcTimeoutMs: RPC_TIMEOUT_MS }), {
      name: `emulator stalls past the ${RPC_TIMEOUT_MS} ms deadline`,
      burst: BURST,
      faultAt: 0.3,
      async fault({ emulator, rib }) {
        routesAtFault = rib().length;
        emulator.setFaults({ latencyMs: RPC_TIMEOUT_MS * 3 });
        await sleep(FAULT_MS);
        emulator.setFaults({});
      },
    });
    expect(routesAtFault).toBeLessThan(BURST.count);
    expect(relogins()).toBeGreaterThanOrEqual(1);
  });
});
