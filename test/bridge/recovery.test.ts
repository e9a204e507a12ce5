/**
 * The durable inbox, end to end: a request the bridge acknowledged to the
 * broker but never answered (it stopped while the router was unreachable and
 * its drain timed out) is served by the next bridge on the same state, once,
 * although the broker will not deliver it again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultMessage } from '../../src/mqtt/results.js';
import { inboxFileFor, SqliteInbox } from '../../src/state/inbox.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { parseExposition, sampleValue } from '../http/prom-text.js';
import {
  body,
  makeTestConfig,
  startTestBridge,
  TestClient,
  WAIT_MS,
  type TestBridge,
  type TestConfig,
} from './harness.js';

/** Polls `condition` every 20 ms until it holds, failing after WAIT_MS. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a request accepted before a stop', () => {
  let mosquitto: RunningMosquitto;
  let config: TestConfig;
  let watcher: TestClient;
  let second: TestBridge | undefined;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    config = await makeTestConfig({
      broker: { kind: 'mosquitto', url: mosquitto.url },
      // Long enough that the request is still waiting for the router when the bridge stops.
      devices: [{ name: 'r1', config: { unavailableBudgetMs: 60_000 } }],
      pipeline: { debounceMs: 10 },
    });
    watcher = await TestClient.connect(mosquitto.url, 5, [config.topics.intentResult('r1')]);
  });

  afterAll(async () => {
    await watcher?.close();
    await second?.stop();
    await config?.dispose();
    await mosquitto?.stop();
  });

  it('is served from the inbox by the next bridge on the same state, exactly once', async () => {
    const first = await startTestBridge(config);
    await first.ready();
    first.emulator().setFaults({ unavailable: true });

    await first.client.publish(first.topics.intent('r1'), {
      id: 'kept-1',
      prefix: '10.4.1.0/24',
      nextHops: ['10.0.0.1'],
    });
    // Counted once the message is journaled and acknowledged to the broker.
    await until(
      async () =>
        sampleValue(parseExposition(await first.bridge.metrics.render()), 'jetbridge_intents_received_total', {
          device: 'r1',
        }) === 1,
      'the bridge has taken the intent',
    );
    await first.stop({ keepState: true, drainTimeoutMs: 100 });
    expect(watcher.log).toEqual([]);
    const inbox = new SqliteInbox(inboxFileFor(first.config.state.path));
    try {
      expect(inbox.pending().map((m) => JSON.parse(m.payload.toString()) as { id: string })).toEqual([
        expect.objectContaining({ id: 'kept-1' }),
      ]);
    } finally {
      inbox.close();
    }

    second = await startTestBridge(config);

    const kept = await watcher.next((m) => body<ResultMessage>(m).id === 'kept-1');
    expect(body<ResultMessage>(kept)).toMatchObject({ ok: true, results: [{ status: 'SUCCESS', added: 1 }] });
    expect(second.routes('10.4.1.0/24')).toHaveLength(1);
    // A later request's result comes after any second answer to kept-1 would have.
    await second.request({ id: 'later-1', prefix: '10.4.2.0/24', nextHops: ['10.0.0.1'] });
    await watcher.next((m) => body<ResultMessage>(m).id === 'later-1');
    expect(watcher.log.map((m) => body<ResultMessage>(m).id)).toEqual(['kept-1', 'later-1']);
  });
});
