/**
 * `npm start`'s configuration, bridge.config.json, as shipped: it parses, and a
 * copy of it that differs only in its ports (free ones instead of 1883, 32767,
 * 8181 and 9464) runs the whole thing: the embedded broker, the emulated r1,
 * the HTTP port, and the bridge falling back to MQTT 3.1.1 to answer the
 * README's sample intent on jet/r1/bgp/result.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ResultMessage } from '../../src/mqtt/results.js';
import { Topics } from '../../src/mqtt/topics.js';
import { freePort } from '../helpers/ports.js';
import { body, startTestBridge, type TestBridge, type TestConfig } from './harness.js';

const SHIPPED_TEXT = readFileSync(new URL('../../bridge.config.json', import.meta.url), 'utf8');
const shipped = JSON.parse(SHIPPED_TEXT) as unknown;

/**
 * The shipped config with free loopback ports: every mention of the MQTT and
 * JET ports it uses (broker, notifications, device address) moves to a free
 * one, and the admin and HTTP ports become 0 (any free port).
 */
async function withFreePorts(): Promise<{ raw: Record<string, unknown>; brokerUrl: string }> {
  const mqttPort = await freePort();
  const jetPort = await freePort();
  const raw = JSON.parse(
    SHIPPED_TEXT.replaceAll('127.0.0.1:1883', `127.0.0.1:${mqttPort}`).replaceAll(
      '127.0.0.1:32767',
      `127.0.0.1:${jetPort}`,
    ),
  ) as {
    emulator: Record<string, unknown>;
    http: Record<string, unknown>;
  };
  if ('adminPort' in raw.emulator) raw.emulator.adminPort = 0;
  if ('port' in raw.http) raw.http.port = 0;
  return { raw, brokerUrl: `mqtt://127.0.0.1:${mqttPort}` };
}

describe("npm start's bridge.config.json", () => {
  let stateDir: string;
  let t: TestBridge;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'jetbridge-defaults-'));
  });

  afterAll(async () => {
    await t?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('parses: embedded broker, MQTT 5 asked for, emulated legacy device r1', () => {
    const config = parseConfig(shipped, {}, stateDir);

    expect(config.mqtt).toMatchObject({
      url: 'mqtt://127.0.0.1:1883',
      embeddedBroker: true,
      protocolVersion: 5,
      topicPrefix: 'jet',
    });
    expect(config.devices).toEqual([
      expect.objectContaining({ name: 'r1', address: '127.0.0.1:32767', dialect: 'legacy' }),
    ]);
    expect(config.emulator).toMatchObject({ enabled: true, devices: ['r1'] });
  });

  it('serves the sample intent end to end on the embedded broker, answering on jet/r1/bgp/result over MQTT 3.1.1', async () => {
    const { raw, brokerUrl } = await withFreePorts();
    const test: TestConfig = {
      raw,
      stateDir,
      brokerUrl,
      protocolVersion: 4,
      topics: new Topics('jet'),
      clientId: parseConfig(raw, {}, stateDir).mqtt.clientId,
      dispose: async () => undefined,
    };
    t = await startTestBridge(test);
    expect(t.config.state.path).toBe(join(stateDir, '.jetbridge/state.db'));
    await t.ready();

    const since = t.client.mark();
    await t.client.publish(
      'jet/r1/bgp/intent',
      '{"id":"demo-1","prefix":"10.123.0.0/24","nextHops":["10.0.0.1","10.0.0.2"],"localPref":200}',
    );

    const result = body<ResultMessage>(await t.client.next((m) => m.topic === 'jet/r1/bgp/result', since));
    expect(result).toMatchObject({
      id: 'demo-1',
      ok: true,
      device: 'r1',
      results: [{ prefix: '10.123.0.0/24', status: 'SUCCESS', added: 2 }],
    });
    expect(
      t
        .routes('10.123.0.0/24')
        .map((r) => r.nextHops[0])
        .sort(),
    ).toEqual(['10.0.0.1', '10.0.0.2']);
    const status = await t.client.next((m) => m.topic === `jet/bridge/${test.clientId}/status`);
    expect(status.text).toBe('online');
    const metrics = await fetch(`http://127.0.0.1:${t.bridge.httpPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/jetbridge_results_total\{device="r1",status="SUCCESS"\} 1/);
  });
});
