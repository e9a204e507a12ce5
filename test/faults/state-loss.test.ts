/**
 * Fault: the router loses the bridge's routes. The bridge's connection drops and
 * the router stays unusable (UNAVAILABLE) past its purge timeout, so the client
 * state and every route it owned are purged. When the router recovers, Initialize
 * answers a fresh SUCCESS, the bridge reconciles from its durable state, and the
 * RIB holds the desired routes again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientEvent } from '../../src/emulator/emulator.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { DURABLE_BROKER, JET_CLIENT_ID, runScenario, startFaultRig, type FaultRig } from './rig.js';

const PURGE_TIMEOUT_MS = 100;
/** The router stays unusable this long: many purge timeouts. */
const OUTAGE_MS = 1000;
const COUNT = 1500;

function routesPurged(events: readonly ClientEvent[]): number {
  return events.reduce((sum, e) => (e.type === 'purged' && e.clientId === JET_CLIENT_ID ? sum + e.routes : sum), 0);
}

interface ReconcileReport {
  added: number;
}

/** The bridge's "reconciled" log lines (pino JSON), in order. */
function reconcileReports(output: string): ReconcileReport[] {
  return output
    .split('\n')
    .filter((line) => line.includes('reconciled the router with the durable state'))
    .map((line) => JSON.parse(line) as ReconcileReport);
}

describe('fault: the router purges the bridge state', () => {
  let broker: RunningMosquitto;
  let rig: FaultRig | undefined;

  beforeAll(async () => {
    broker = await startMosquitto(DURABLE_BROKER);
  });
  afterAll(async () => {
    await rig?.stop();
    await broker?.stop();
  });

  it('reconciles after a fresh Initialize and ends with the desired RIB', { timeout: 90_000 }, async () => {
    rig = await startFaultRig({ broker, purgeTimeoutMs: PURGE_TIMEOUT_MS });
    const events: ClientEvent[] = [];
    rig.emulator.events.on('client', (event: ClientEvent) => events.push(event));
    let purgedRoutes = 0;
    await runScenario(rig, {
      name: `router purges the client state (purge timeout ${PURGE_TIMEOUT_MS} ms)`,
      burst: { count: COUNT, chunk: 50, intervalMs: 25 },
      faultAt: 0.3,
      async fault({ emulator }) {
        emulator.setFaults({ unavailable: true });
        emulator.dropConnections();
        await sleep(OUTAGE_MS);
        purgedRoutes = routesPurged(events);
        emulator.setFaults({});
      },
    });
    // The router really lost routes, and the session came back without its old state.
    expect(purgedRoutes).toBeGreaterThan(0);
    const fresh = events.filter((e) => e.type === 'initialized' && e.clientId === JET_CLIENT_ID && !e.rebound);
    expect(fresh.length).toBeGreaterThanOrEqual(1);
    // Reconciliation put back routes: the start-up one found nothing to add.
    expect(reconcileReports(rig.bridge.output()).some((report) => report.added > 0)).toBe(true);
  });
});
