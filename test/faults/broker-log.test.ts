/**
 * The loss attribution of the broker-kill scenario, on a Mosquitto log excerpt
 * shaped like the real ones: who lost each intent the users never saw answered.
 */
import { describe, expect, it } from 'vitest';
import { attributeLosses, traceBridge } from './broker-log.js';

const BRIDGE = 'bridge-f-1';
const REQUESTS = 'f-1/r1/bgp/intent';
const names = { payloadLength: (n: number) => 128 + n, resultTopic: (n: number) => `f-1/r1/bgp/result/intent-${n}` };

/** Intents 0..3 reach the broker; the bridge answers 0, acknowledges 1 and 2 but answers neither, never acknowledges 3. */
const LOG = [
  '1: mosquitto version 2.0.11 starting',
  `1: Received PUBLISH from publisher-1 (d0, q1, r0, m10, '${REQUESTS}', ... (128 bytes))`,
  `1: Sending PUBLISH to ${BRIDGE} (d0, q1, r0, m1, '${REQUESTS}', ... (128 bytes))`,
  `1: Sending PUBLISH to ${BRIDGE} (d0, q1, r0, m2, '${REQUESTS}', ... (129 bytes))`,
  `1: Sending PUBLISH to ${BRIDGE} (d0, q1, r0, m3, '${REQUESTS}', ... (130 bytes))`,
  `1: Received PUBACK from ${BRIDGE} (Mid: 1, RC:0)`,
  `1: Received PUBACK from ${BRIDGE} (Mid: 2, RC:0)`,
  `1: Received PUBLISH from ${BRIDGE} (d0, q1, r0, m7, '${names.resultTopic(0)}', ... (228 bytes))`,
  `1: Sending PUBLISH to ${BRIDGE} (d0, q1, r0, m4, '${REQUESTS}', ... (131 bytes))`,
  '2: mosquitto version 2.0.11 starting',
  // Message ids start again: m3 in this run names intent 2, redelivered, and its PUBACK counts for intent 2.
  `2: Sending PUBLISH to ${BRIDGE} (d1, q1, r0, m3, '${REQUESTS}', ... (130 bytes))`,
  `2: Received PUBACK from ${BRIDGE} (Mid: 3, RC:0)`,
  // A PUBACK for an id the broker did not send in this run names nothing.
  `2: Received PUBACK from ${BRIDGE} (Mid: 4, RC:0)`,
].join('\n');

describe('traceBridge', () => {
  it('maps the bridge PUBACKs to payload lengths within each broker run and collects its publishes', () => {
    const trace = traceBridge(LOG, BRIDGE, REQUESTS);
    expect([...trace.acknowledged].sort()).toEqual([128, 129, 130]);
    expect([...trace.published]).toEqual([names.resultTopic(0)]);
  });
});

describe('attributeLosses', () => {
  const trace = traceBridge(LOG, BRIDGE, REQUESTS);

  it('puts a lost result the broker had received on the broker', () => {
    expect(attributeLosses(trace, [0], names)).toEqual({ atBroker: [0], neverAnswered: [], byBridge: [] });
  });

  it('puts an intent the bridge acknowledged and never answered on the bridge', () => {
    expect(attributeLosses(trace, [1, 2], names)).toEqual({ atBroker: [], neverAnswered: [], byBridge: [1, 2] });
  });

  it('puts an intent the bridge never acknowledged on the broker, as never answered', () => {
    expect(attributeLosses(trace, [3, 4], names)).toEqual({ atBroker: [3, 4], neverAnswered: [3, 4], byBridge: [] });
  });
});
