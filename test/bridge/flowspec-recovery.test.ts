/**
 * Flow routes are durable as unicast paths are: a bridge restarted on the same
 * state file puts them back on a router that lost them (the reconciler reads
 * the router with Get, decodes the flow keys and adds what is missing), and a
 * repeated intent afterwards changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../src/jet/model.js';
import { makeTestConfig, startTestBridge, WAIT_MS, type TestBridge, type TestConfig } from './harness.js';

const FLOOD = {
  id: 'flood-1',
  flowspec: { destination: '203.0.113.9/32', protocols: ['udp'], sourcePorts: [123], packetLengths: ['>=400'] },
  then: { discard: true },
};

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(DIALECTS)('flow routes across a restart, %s dialect', (dialect) => {
  let config: TestConfig;
  let second: TestBridge | undefined;

  beforeAll(async () => {
    config = await makeTestConfig({
      broker: { kind: 'embedded' },
      devices: [{ name: 'r1', dialect, config: { policy: { tables: ['inet.0', 'inetflow.0'] } } }],
      topicPrefix: `${dialect}/flow-recovery`,
      pipeline: { debounceMs: 10 },
    });
  });

  afterAll(async () => {
    await second?.stop();
    await config?.dispose();
  });

  it('are restored from the state file onto a router that lost them', async () => {
    const first = await startTestBridge(config);
    await first.ready();
    expect((await first.request(FLOOD)).results[0]).toMatchObject({ status: 'SUCCESS', added: 1 });
    const programmed = first
      .emulator()
      .routes()
      .filter((r) => r.table === 'inetflow.0');
    expect(programmed).toHaveLength(1);
    // The emulator stops with the bridge: the next one meets an empty router.
    await first.stop({ keepState: true });

    second = await startTestBridge(config);
    const restored = () =>
      second!
        .emulator()
        .routes()
        .filter((r) => r.table === 'inetflow.0');
    await until(() => restored().length === 1, 'the reconciler restores the flow route');

    const { owner: _a, since: _b, ...before } = programmed[0]!;
    const { owner: _c, since: _d, ...after } = restored()[0]!;
    expect(after).toEqual(before);
    await second.ready();
    expect((await second.request({ ...FLOOD, id: 'flood-2' })).results[0]).toMatchObject({
      status: 'SUCCESS',
      unchanged: true,
    });
  });
});
