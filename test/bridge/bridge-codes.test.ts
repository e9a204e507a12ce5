/**
 * Every answer the bridge gives without JET doing the work: INVALID_PAYLOAD,
 * UNKNOWN_DEVICE, POLICY_DENIED, RATE_LIMITED, DEVICE_UNAVAILABLE (SUPERSEDED
 * is in the coalescing scenario), and that the bridge keeps serving after each.
 * One bridge on a Mosquitto of this file's own, MQTT 5.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntentResult } from '../../src/mqtt/results.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { body, makeTestConfig, startTestBridge, type TestBridge } from './harness.js';

const MAX_PAYLOAD_BYTES = 4096;
const UNAVAILABLE_BUDGET_MS = 400;

describe('the bridge answers what never reaches JET with a bridge code', () => {
  let mosquitto: RunningMosquitto;
  let t: TestBridge;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    const budget = { unavailableBudgetMs: UNAVAILABLE_BUDGET_MS };
    const config = await makeTestConfig({
      broker: { kind: 'mosquitto', url: mosquitto.url },
      devices: [
        { name: 'r1', dialect: 'legacy', config: budget },
        { name: 'r2', dialect: 'jnx', config: budget },
        // Two intents at once, then one every ten seconds: the third of a message is over.
        { name: 'r3', config: { rateLimit: { perSec: 0.1, burst: 2 } } },
      ],
      mqtt: { maxPayloadBytes: MAX_PAYLOAD_BYTES },
      pipeline: { debounceMs: 10 },
    });
    t = await startTestBridge(config);
    await Promise.all(['r1', 'r2', 'r3'].map((device) => t.ready(device)));
  });

  afterAll(async () => {
    await t?.stop();
    await mosquitto?.stop();
  });

  /** Proves the bridge still serves: a fresh announce on `device` succeeds. */
  async function stillServes(id: string, prefix: string, device = 'r1'): Promise<void> {
    const result = await t.request({ id, prefix, nextHops: ['10.0.0.1'] }, { device });
    expect(result.results[0]).toMatchObject({ status: 'SUCCESS', added: 1 });
    expect(t.routes(prefix, device)).toHaveLength(1);
  }

  it('INVALID_PAYLOAD for a payload that is not JSON, naming the problem', async () => {
    const result = await t.request('{"prefix": "10.2.0.0/24",');

    expect(result).toMatchObject({ ok: false, device: 'r1', results: [] });
    expect(result.error).toMatch(/^INVALID_PAYLOAD: payload is not JSON/);
    await stillServes('after-not-json', '10.2.0.0/24');
  });

  it('INVALID_PAYLOAD for a bad prefix, naming the field, while the valid intent next to it is programmed', async () => {
    const result = await t.request(
      {
        intents: [
          { id: 'bad-prefix', prefix: '10.2.1.300/24', nextHops: ['10.0.0.1'] },
          { id: 'good-prefix', prefix: '10.2.1.0/24', nextHops: ['10.0.0.1'] },
        ],
      },
      { match: (r) => r.results.some((x) => x.id === 'bad-prefix') },
    );

    expect(result.ok).toBe(false);
    const [bad, good] = result.results;
    expect(bad).toMatchObject({ id: 'bad-prefix', status: 'INVALID_PAYLOAD' });
    expect(bad!.error).toMatch(/^intents\[0\]\.prefix: "10\.2\.1\.300\/24" is not a valid prefix/);
    expect(good).toMatchObject({ id: 'good-prefix', status: 'SUCCESS', added: 1 });
    expect(t.routes('10.2.1.0/24')).toHaveLength(1);
  });

  it('INVALID_PAYLOAD for a payload over the size limit', async () => {
    const oversized = JSON.stringify({ id: 'big', prefix: '10.2.2.0/24', nextHops: ['10.0.0.1'] }).padEnd(
      MAX_PAYLOAD_BYTES + 1,
      ' ',
    );

    const result = await t.request(oversized, { match: (r) => r.error !== undefined && /larger than/.test(r.error) });

    expect(result).toMatchObject({ ok: false, results: [] });
    expect(result.error).toBe(`INVALID_PAYLOAD: payload is larger than the limit of ${MAX_PAYLOAD_BYTES} bytes`);
    expect(t.routes('10.2.2.0/24')).toEqual([]);
    await stillServes('after-oversized', '10.2.3.0/24');
  });

  it('UNKNOWN_DEVICE on the result topic of the device the topic names', async () => {
    const result = await t.request({ id: 'nope-1', prefix: '10.2.4.0/24', nextHops: ['10.0.0.1'] }, { device: 'nope' });

    expect(result).toMatchObject({ id: 'nope-1', ok: false, device: 'nope' });
    expect(result.error).toMatch(/^UNKNOWN_DEVICE: device "nope" is not configured/);
    expect(result.results[0]).toMatchObject({ id: 'nope-1', status: 'UNKNOWN_DEVICE' });
    for (const device of ['r1', 'r2', 'r3']) expect(t.routes('10.2.4.0/24', device)).toEqual([]);
  });

  it('POLICY_DENIED for the default route, which the default policy refuses', async () => {
    const result = await t.request({ id: 'default-route', prefix: '0.0.0.0/0', nextHops: ['10.0.0.1'] });

    expect(result.ok).toBe(false);
    expect(result.results[0]).toMatchObject({ id: 'default-route', status: 'POLICY_DENIED' });
    expect(result.results[0]!.error).toContain('0.0.0.0/0');
    expect(t.routes('0.0.0.0/0')).toEqual([]);
  });

  it('RATE_LIMITED for the intents past the device rate limit', async () => {
    const intents = [0, 1, 2].map((i) => ({ id: `rate-${i}`, prefix: `10.2.${5 + i}.0/24`, nextHops: ['10.0.0.1'] }));

    const result = await t.request(intents, { device: 'r3', match: (r) => r.results[0]?.id === 'rate-0' });

    expect(result.results.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS', 'RATE_LIMITED']);
    expect(result.results[2]!.error).toMatch(/rate limit/);
    expect(t.routes('10.2.7.0/24', 'r3')).toEqual([]);
    expect(t.routes('10.2.6.0/24', 'r3')).toHaveLength(1);
  });

  it.each([
    ['r1', 'legacy'],
    ['r2', 'jnx'],
  ])(
    'DEVICE_UNAVAILABLE when %s (%s) stays unreachable past the budget, then serves again',
    async (device, dialect) => {
      const emulator = t.emulator(device);
      emulator.setFaults({ unavailable: true });
      const result = await t
        .request({ id: `down-${dialect}`, prefix: '10.2.8.0/24', nextHops: ['10.0.0.1'] }, { device })
        .finally(() => emulator.setFaults({}));

      expect(result.results[0]).toMatchObject({ id: `down-${dialect}`, status: 'DEVICE_UNAVAILABLE', added: 0 });
      expect(result.results[0]!.error).toContain(device);
      expect(t.routes('10.2.8.0/24', device)).toEqual([]);

      await t.ready(device);
      await stillServes(`up-${dialect}`, '10.2.8.0/24', device);
    },
  );

  it('publishes one result per message even when the message mixes every refusal', async () => {
    const since = t.client.mark();
    const result = await t.request(
      [
        { id: 'mix-denied', prefix: '0.0.0.0/0', nextHops: ['10.0.0.1'] },
        { id: 'mix-invalid', prefix: '10.2.9.0/24', nextHops: ['not-an-address'] },
        { id: 'mix-ok', prefix: '10.2.9.0/24', nextHops: ['10.0.0.1'] },
      ],
      { match: (r) => r.results[0]?.id === 'mix-denied' },
    );

    expect(result.results.map((r) => r.status)).toEqual(['POLICY_DENIED', 'INVALID_PAYLOAD', 'SUCCESS']);
    expect(result.results[1]!.error).toMatch(/^intents\[1\]\.nextHops\[0\]: "not-an-address" is not an IPv4 address/);
    const resultTopic = t.topics.intentResult('r1');
    expect(
      t.client.log
        .slice(since)
        .filter((m) => m.topic === resultTopic)
        .map((m) => body<{ results: IntentResult[] }>(m).results[0]?.id),
    ).toEqual(['mix-denied']);
  });
});
