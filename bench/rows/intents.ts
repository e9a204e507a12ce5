/**
 * The single-intent rows, against the emulator the run shares: the
 * per-message baseline, jetbridge's bursts (two sizes), its steady load and
 * its coalescing. Each jetbridge row gets a fresh bridge process, warmed up
 * first, so that no row inherits another's backlog or heap.
 */
import { int, latencyText, ms } from '../lib/format.js';
import { allProgrammed, allSucceeded, metered, type Bench, type RowDefinition, type RowResult } from '../lib/row.js';
import * as scenario from '../lib/scenarios.js';
import type { PrefixRange } from '../lib/payloads.js';
import { startBaseline, startBridge, type RunningBridge, type RunningEmulator } from '../lib/stack.js';
import { DEFAULT_DEBOUNCE_MS } from '../lib/sizes.js';
import { TOPICS } from '../lib/topics.js';

/** Runs `measure` against a fresh, warmed-up bridge for device `device` on the shared emulator. */
async function withBridge<T>(
  bench: Bench,
  label: string,
  warmUp: PrefixRange,
  measure: (bridge: RunningBridge, emulator: RunningEmulator) => Promise<T>,
): Promise<T> {
  const emulator = await bench.sharedEmulator();
  const bridge = await startBridge(bench.stack, {
    label,
    brokerUrl: bench.broker.url,
    jetAddress: emulator.jetAddress,
    device: label,
  });
  try {
    await scenario.warmUp(bench.load, bridge.intentTopic, warmUp);
    return await measure(bridge, emulator);
  } finally {
    await bench.stack.group.stop(bridge.child);
  }
}

const bridgePids = (bench: Bench, bridge: RunningBridge, emulator: RunningEmulator) => ({
  mosquitto: bench.broker.child.pid,
  emulator: emulator.child.pid,
  bridge: bridge.child.pid,
});

export const baseline: RowDefinition = {
  id: 'baseline',
  async measure(bench): Promise<RowResult> {
    const { load, sizes, stack, broker } = bench;
    bench.progress(`baseline: ${sizes.baselineIntents} intents, one JET call per message`);
    const emulator = await bench.sharedEmulator();
    const peer = await startBaseline(stack, {
      brokerUrl: broker.url,
      jetAddress: emulator.jetAddress,
      intentTopic: TOPICS.baselineIntent,
      resultTopic: TOPICS.baselineResult,
    });
    try {
      await scenario.warmUp(load, TOPICS.baselineIntent, 'baseline', 200);
      const pids = { mosquitto: broker.child.pid, emulator: emulator.child.pid, baseline: peer.pid };
      const { result, cpu } = await metered(pids, (meter) =>
        scenario.measureBaseline(load, TOPICS.baselineIntent, sizes.baselineIntents, meter),
      );
      return {
        id: 'baseline',
        title: `baseline: one JET call per message, awaited (${int(result.count)})`,
        figure: `${int(result.perSec)} intents/s; ${latencyText(result.latency)}`,
        count: result.count,
        unit: 'intent',
        perSec: result.perSec,
        latency: result.latency,
        cpu,
        subject: 'baseline',
        checks: [allSucceeded('baseline', result, 'results')],
      };
    } finally {
      await stack.group.stop(peer);
    }
  },
};

/** A burst of `count(sizes)` single intents on distinct prefixes of `range`, as fast as the publisher goes. */
function singleBurst(id: string, range: PrefixRange, count: (bench: Bench) => number): RowDefinition {
  return {
    id,
    measure(bench): Promise<RowResult> {
      const intents = count(bench);
      bench.progress(`jetbridge: ${int(intents)} single intents, fresh bridge`);
      return withBridge(bench, id, range, async (bridge, emulator) => {
        const { result, cpu } = await metered(bridgePids(bench, bridge, emulator), (meter) =>
          scenario.measureSingle(bench.load, bridge, emulator.adminUrl, intents, meter, range),
        );
        return {
          id,
          title: `jetbridge: burst of ${int(result.count)} single-intent messages`,
          figure: `${int(result.perSec)} intents/s; ${latencyText(result.latency)}`,
          count: result.count,
          unit: 'intent',
          perSec: result.perSec,
          latency: result.latency,
          cpu,
          subject: 'bridge',
          checks: [allSucceeded(id, result, 'results'), allProgrammed(id, result.count, result.programmed)],
        };
      });
    },
  };
}

export const singleSmall = singleBurst('single-small', 'singleSmall', (bench) => bench.sizes.singleIntentsSmall);
export const single = singleBurst('single', 'single', (bench) => bench.sizes.singleIntents);

export const steady: RowDefinition = {
  id: 'steady',
  measure(bench): Promise<RowResult> {
    const { load, sizes } = bench;
    bench.progress(`jetbridge: ${sizes.steadyRatePerSec} intents/s for ${sizes.steadySeconds} s, fresh bridge`);
    return withBridge(bench, 'steady', 'steady', async (bridge, emulator) => {
      const { result, cpu } = await metered(bridgePids(bench, bridge, emulator), (meter) =>
        scenario.measureSteady(load, bridge.intentTopic, sizes.steadyRatePerSec, sizes.steadySeconds, meter),
      );
      const inBridge = result.bridgeLatency ? `; in the bridge ${latencyText(result.bridgeLatency)}` : '';
      return {
        id: 'steady',
        title: `jetbridge: steady ${int(result.targetRatePerSec)}/s for ${sizes.steadySeconds} s (debounceMs ${DEFAULT_DEBOUNCE_MS})`,
        figure: `${latencyText(result.latency)}, max ${ms(result.latency.maxMs)}${inBridge}`,
        count: result.count,
        unit: 'intent',
        perSec: result.perSec,
        latency: result.latency,
        cpu,
        subject: 'bridge',
        data: { sentRatePerSec: result.sentRatePerSec, bridgeLatency: result.bridgeLatency },
        checks: [allSucceeded('steady', result, 'results')],
      };
    });
  },
};

export const coalescing: RowDefinition = {
  id: 'coalescing',
  measure(bench): Promise<RowResult> {
    const { load, sizes } = bench;
    bench.progress(`jetbridge: ${sizes.flaps} flaps of one prefix, fresh bridge`);
    // Warmed up like the others: a cold bridge on a busy machine may take the flaps in slower than the window.
    return withBridge(bench, 'coalescing', 'coalescing', async (bridge) => {
      const result = await scenario.measureCoalescing(load, bridge, sizes.flaps);
      return {
        id: 'coalescing',
        title: `jetbridge: ${result.intents} flapping intents for one prefix within the window`,
        figure: `${result.jetRequests} JET request(s); ${result.succeeded} SUCCESS, ${result.superseded} SUPERSEDED`,
        count: result.intents,
        unit: 'intent',
        data: { jetRequests: result.jetRequests },
        checks: [
          {
            row: 'coalescing',
            name: 'coalescing results',
            expected: `1 SUCCESS, ${result.intents - 1} SUPERSEDED`,
            actual: `${result.succeeded} SUCCESS, ${result.superseded} SUPERSEDED`,
            pass: result.failed === 0 && result.succeeded === 1 && result.superseded === result.intents - 1,
          },
        ],
      };
    });
  },
};
