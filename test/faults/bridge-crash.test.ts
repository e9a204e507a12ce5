/**
 * Fault: the bridge process dies with SIGKILL in the middle of a burst and is
 * started again. Intents it had journaled come back from its durable inbox, the
 * ones it had not acknowledged come back from the broker's persistent session,
 * and the first Initialize reconciles the router with the durable state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { DURABLE_BROKER, runScenario, startFaultRig, type FaultRig } from './rig.js';

describe('fault: kill -9 of the bridge mid-burst', () => {
  let broker: RunningMosquitto;
  let rig: FaultRig | undefined;

  beforeAll(async () => {
    broker = await startMosquitto(DURABLE_BROKER);
  });
  afterAll(async () => {
    await rig?.stop();
    await broker?.stop();
  });

  it('answers every intent and leaves the RIB equal to the desired state', { timeout: 90_000 }, async () => {
    rig = await startFaultRig({ broker });
    await runScenario(rig, {
      name: 'kill -9 bridge, restart',
      burst: { count: 2000, chunk: 50, intervalMs: 25 },
      faultAt: 0.3,
      async fault({ bridge }) {
        await bridge.kill();
        await bridge.start();
      },
    });
    expect(rig.bridge.starts).toBe(2);
    // The restarted bridge still shuts down cleanly on SIGTERM.
    expect(await rig.bridge.stop()).toBe(0);
  });
});
