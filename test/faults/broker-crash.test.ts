/**
 * Fault: the MQTT broker goes away in the middle of a burst and comes back on
 * the same port. The bridge reconnects to its persistent session, keeps the
 * results it could not publish in its outbox and sends them afterwards.
 *
 * Stopped cleanly (SIGTERM), Mosquitto saves every session and message, so
 * nothing may be lost at all. Killed (SIGKILL), it loses what it acknowledged
 * after its last database write; its log tells those losses apart from the
 * bridge's (see broker-log.ts), and the bridge may have none.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { attributeLosses, traceBridge } from './broker-log.js';
import { payloadLength, resultTopic } from './intent-traffic.js';
import { DURABLE_BROKER, runScenario, startFaultRig, type FaultRig } from './rig.js';

/** How long the killed broker stays dead: a few of the bridge's reconnect attempts. */
const OUTAGE_MS = 1500;
const BURST = { count: 1500, chunk: 50, intervalMs: 25 };

describe('fault: the broker goes away mid-burst', () => {
  let broker: RunningMosquitto | undefined;
  let rig: FaultRig | undefined;

  afterEach(async () => {
    await rig?.stop();
    await broker?.stop();
    rig = undefined;
    broker = undefined;
  });

  it('loses nothing when the broker is stopped and restarted', { timeout: 90_000 }, async () => {
    broker = await startMosquitto(DURABLE_BROKER);
    rig = await startFaultRig({ broker });
    const outcome = await runScenario(rig, {
      name: 'broker stopped (SIGTERM), restarted',
      burst: BURST,
      faultAt: 0.3,
      async fault({ broker }) {
        await broker.restart();
      },
    });
    expect(outcome.lost).toBe(0);
    expect(rig.bridge.output()).toContain('lost the connection to the MQTT broker');
  });

  it('loses nothing on the bridge side when the broker is killed and restarted', { timeout: 90_000 }, async () => {
    // The full log names every PUBLISH and PUBACK, which the loss attribution reads.
    broker = await startMosquitto({ ...DURABLE_BROKER, extraConfig: [...DURABLE_BROKER.extraConfig, 'log_type all'] });
    rig = await startFaultRig({ broker });
    await runScenario(rig, {
      name: 'broker killed (SIGKILL), restarted',
      burst: BURST,
      faultAt: 0.3,
      async fault({ broker }) {
        broker.kill();
        await sleep(OUTAGE_MS);
        await broker.restart();
      },
      attributeLosses({ broker, bridgeId, requestTopic, resultRoot }, lost) {
        const trace = traceBridge(broker.log(), bridgeId, requestTopic);
        return attributeLosses(trace, lost, { payloadLength, resultTopic: (n) => resultTopic(resultRoot, n) });
      },
    });
    expect(rig.bridge.output()).toContain('lost the connection to the MQTT broker');
  });
});
