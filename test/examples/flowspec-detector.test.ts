/**
 * The worked example of examples/flowspec: the detector sees a flood start and
 * publishes a FlowSpec intent, the route is in the emulator's inetflow.0 while
 * the flood lasts, and the withdraw it publishes when the flood ends takes it
 * out again. The bridge and emulator are real; the samples are made up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FloodDetector, type TrafficSample } from '../../examples/flowspec/detector.js';
import { makeTestConfig, startTestBridge, type TestBridge } from '../bridge/harness.js';

const sample = (packetsPerSecond: number): TrafficSample => ({
  destination: '203.0.113.5',
  protocol: 'udp',
  port: 53,
  packetsPerSecond,
});

describe('the FlowSpec flood detector example', () => {
  let t: TestBridge;

  beforeAll(async () => {
    const config = await makeTestConfig({
      broker: { kind: 'embedded' },
      devices: [{ name: 'r1', config: { policy: { tables: ['inet.0', 'inet6.0', 'inetflow.0', 'inet6flow.0'] } } }],
      topicPrefix: 'detector',
      pipeline: { debounceMs: 10 },
    });
    t = await startTestBridge(config);
    await t.ready();
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('rate-limits the flood in inetflow.0 while it lasts and withdraws it after', async () => {
    const detector = new FloodDetector({ startPps: 100_000, endPps: 10_000, quietSamples: 2, rateLimit: 2_000_000 });
    const flowRoutes = () =>
      t
        .emulator()
        .routes()
        .filter((r) => r.table === 'inetflow.0');

    expect(detector.observe(sample(5_000))).toBeUndefined();
    const start = detector.observe(sample(250_000));
    expect(start).toBeDefined();
    expect((await t.request(start)).results[0]).toMatchObject({ status: 'SUCCESS', added: 1 });
    expect(flowRoutes()).toEqual([
      expect.objectContaining({ prefix: '203.0.113.5/32,*,proto=17,dstport=53', then: { rateLimit: 2_000_000 } }),
    ]);

    // Still flooding, then calming: nothing to publish until the rate stays low.
    for (const pps of [300_000, 8_000]) expect(detector.observe(sample(pps))).toBeUndefined();
    const end = detector.observe(sample(2_000));
    expect(end).toMatchObject({ action: 'withdraw' });
    expect((await t.request(end)).results[0]).toMatchObject({ status: 'SUCCESS', removed: 1 });
    expect(flowRoutes()).toEqual([]);
  });
});
