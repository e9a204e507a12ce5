/**
 * Scaling out: two bridge processes on one Mosquitto and one topic prefix, each
 * with its own MQTT client id and persistent session, owning different devices
 * (r1 and r2, each emulated by its own bridge). An intent is answered once, by
 * the bridge that owns its device, and programmed only on that device; neither
 * bridge answers UNKNOWN_DEVICE for the other's device, not even while the
 * owner is down and its session holds the intent until it comes back.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ResultMessage } from '../../src/mqtt/results.js';
import { parseExposition, type Exposition } from '../http/prom-text.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { emulatorRoutes, startBridge, type BridgeUnderTest } from './support.js';

const REPLY_WAIT = { timeout: 20_000, interval: 50 };

interface Reply {
  topic: string;
  message: ResultMessage;
}

let mosquitto: RunningMosquitto;
let bridge1: BridgeUnderTest;
let bridge2: BridgeUnderTest;
let publisher: MqttClient;
const replies: Reply[] = [];

beforeAll(async () => {
  mosquitto = await startMosquitto();
  [bridge1, bridge2] = await Promise.all([
    startBridge({ device: 'r1', broker: { url: mosquitto.url }, clientId: 'bridge-east' }),
    startBridge({ device: 'r2', broker: { url: mosquitto.url }, clientId: 'bridge-west' }),
  ]);
  // An MQTT 3.1.1 publisher: no response topic, so every answer lands on a
  // public result topic, where this one subscription sees them all.
  publisher = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
  publisher.on('message', (topic, payload) =>
    replies.push({ topic, message: JSON.parse(payload.toString()) as ResultMessage }),
  );
  await publisher.subscribeAsync('jet/+/bgp/result', { qos: 1 });
}, 90_000);

afterAll(async () => {
  await publisher?.endAsync();
  await Promise.all([bridge1?.dispose(), bridge2?.dispose()]);
  await mosquitto?.stop();
}, 30_000);

function announce(device: string, id: string, prefix: string): Promise<unknown> {
  return publisher.publishAsync(`jet/${device}/bgp/intent`, JSON.stringify({ id, prefix, nextHops: ['10.0.0.1'] }), {
    qos: 1,
  });
}

function repliesTo(id: string): Reply[] {
  return replies.filter((r) => r.message.id === id);
}

async function metricsOf(bridge: BridgeUnderTest): Promise<Exposition> {
  return parseExposition(await (await fetch(`${bridge.httpUrl}/metrics`)).text());
}

/** Intent and result samples a bridge counted for `device`. */
function trafficFor(metrics: Exposition, device: string) {
  return metrics.samples.filter(
    (s) =>
      ['jetbridge_intents_received_total', 'jetbridge_results_total'].includes(s.name) && s.labels.device === device,
  );
}

const prefixesOn = async (bridge: BridgeUnderTest) => (await emulatorRoutes(bridge)).map((r) => r.prefix);

describe('two bridges owning different devices on one broker', () => {
  it('answer and program only their own devices', { timeout: 60_000 }, async () => {
    await announce('r1', 'east-1', '10.1.0.0/24');
    await announce('r2', 'west-1', '10.2.0.0/24');
    await vi.waitFor(() => expect(repliesTo('east-1').length + repliesTo('west-1').length).toBe(2), REPLY_WAIT);

    expect(repliesTo('east-1')).toEqual([
      { topic: 'jet/r1/bgp/result', message: expect.objectContaining({ ok: true, device: 'r1' }) },
    ]);
    expect(repliesTo('west-1')).toEqual([
      { topic: 'jet/r2/bgp/result', message: expect.objectContaining({ ok: true, device: 'r2' }) },
    ]);
    expect(await prefixesOn(bridge1)).toEqual(['10.1.0.0/24']);
    expect(await prefixesOn(bridge2)).toEqual(['10.2.0.0/24']);

    const [east, west] = await Promise.all([metricsOf(bridge1), metricsOf(bridge2)]);
    expect(trafficFor(east, 'r1').length).toBeGreaterThan(0);
    expect(trafficFor(east, 'r2')).toEqual([]);
    expect(trafficFor(west, 'r2').length).toBeGreaterThan(0);
    expect(trafficFor(west, 'r1')).toEqual([]);
  });

  it("leave a device's intents to its owner's persistent session while the owner is down", {
    timeout: 90_000,
  }, async () => {
    expect(await bridge1.stop()).toBe(0);
    await announce('r1', 'east-2', '10.1.1.0/24');
    // A round trip through bridge 2 after the r1 intent: had bridge 2 taken it, it would have answered by now.
    await announce('r2', 'west-2', '10.2.1.0/24');
    await vi.waitFor(() => expect(repliesTo('west-2')).toHaveLength(1), REPLY_WAIT);
    expect(repliesTo('east-2')).toEqual([]);

    await bridge1.restart();
    await vi.waitFor(() => expect(repliesTo('east-2')).toHaveLength(1), REPLY_WAIT);
    expect(repliesTo('east-2')[0]).toEqual({
      topic: 'jet/r1/bgp/result',
      message: expect.objectContaining({ ok: true, device: 'r1' }),
    });
    expect(await prefixesOn(bridge1)).toContain('10.1.1.0/24');
    expect(await prefixesOn(bridge2)).not.toContain('10.1.1.0/24');
    expect(trafficFor(await metricsOf(bridge2), 'r1')).toEqual([]);
  });

  it('never answered UNKNOWN_DEVICE', () => {
    expect(replies.length).toBeGreaterThanOrEqual(4);
    expect(replies.filter((r) => JSON.stringify(r.message).includes('UNKNOWN_DEVICE'))).toEqual([]);
  });
});
