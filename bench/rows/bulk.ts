/**
 * The bulk rows: a million routes as 1000-intent arrays. The reference is a
 * JET client sending the same routes straight to an emulator over gRPC (no
 * MQTT, no JSON); each of the two gets an empty emulator of its own, so both
 * program into the same empty RIB. The no-op JET server row shows the bridge
 * with no emulator work in the round trip.
 */
import { int, MIB } from '../lib/format.js';
import { allProgrammed, allSucceeded, metered, type Bench, type RowDefinition, type RowResult } from '../lib/row.js';
import * as scenario from '../lib/scenarios.js';
import { startBridge, startJetBulk, startNoopJet, type RunningEmulator } from '../lib/stack.js';

/** Runs `measure` against an empty emulator of its own. */
async function withFreshEmulator<T>(bench: Bench, measure: (emulator: RunningEmulator) => Promise<T>): Promise<T> {
  const emulator = await bench.freshEmulator();
  try {
    return await measure(emulator);
  } finally {
    await bench.stack.group.stop(emulator.child);
  }
}

export const jetBulk: RowDefinition = {
  id: 'jet-bulk',
  measure(bench): Promise<RowResult> {
    const { sizes, stack } = bench;
    bench.progress(
      `reference: ${int(sizes.bulkRoutes)} routes straight to the emulator over gRPC, ${sizes.jetBulkInFlight} requests in flight`,
    );
    return withFreshEmulator(bench, async (emulator) => {
      const peer = await startJetBulk(stack, {
        jetAddress: emulator.jetAddress,
        routes: sizes.bulkRoutes,
        arraySize: sizes.bulkArraySize,
        inFlight: sizes.jetBulkInFlight,
      });
      try {
        const pids = { emulator: emulator.child.pid, 'jet-bulk': peer.pid };
        const { result, cpu } = await metered(pids, (meter) => scenario.measureJetBulk(peer, meter));
        const programmed = await scenario.emulatorRouteCount(emulator.adminUrl, 'bench-jet-bulk');
        return {
          id: 'jet-bulk',
          title: `ref: ${int(result.count)} routes straight to the emulator, gRPC, requests of ${int(sizes.bulkArraySize)}`,
          figure: `${int(result.perSec)} routes/s`,
          count: result.count,
          unit: 'route',
          perSec: result.perSec,
          cpu,
          subject: 'jet-bulk',
          checks: [allSucceeded('jet-bulk', result, 'routes'), allProgrammed('jet-bulk', result.count, programmed)],
        };
      } finally {
        await stack.group.stop(peer);
      }
    });
  },
};

export const bulk: RowDefinition = {
  id: 'bulk',
  measure(bench): Promise<RowResult> {
    const { sizes, stack, load, broker } = bench;
    bench.progress(`jetbridge: ${int(sizes.bulkRoutes)} routes in arrays of ${sizes.bulkArraySize}, fresh bridge`);
    return withFreshEmulator(bench, async (emulator) => {
      const bridge = await startBridge(stack, {
        label: 'bulk',
        brokerUrl: broker.url,
        jetAddress: emulator.jetAddress,
        device: 'bulk',
      });
      try {
        const pids = { mosquitto: broker.child.pid, emulator: emulator.child.pid, bridge: bridge.child.pid };
        const { result, cpu } = await metered(pids, (meter) =>
          scenario.measureBulk(load, bridge, emulator.adminUrl, sizes, sizes.bulkRoutes, meter),
        );
        const peak = `peak RSS ${int(result.peakRssBytes / MIB)} MiB${result.peakReset ? '' : ' (since start)'}`;
        return {
          id: 'bulk',
          title: `jetbridge: bulk ${int(result.routes)} routes as ${int(result.arraySize)}-intent arrays`,
          figure: `${int(result.perSec)} routes/s; ${peak}`,
          count: result.routes,
          unit: 'route',
          perSec: result.perSec,
          latency: result.latency,
          cpu,
          subject: 'bridge',
          data: {
            peakRssBytes: result.peakRssBytes,
            rssBeforeBytes: result.rssBeforeBytes,
            bytesPerRoute: result.bytesPerRoute,
            peakReset: result.peakReset,
          },
          checks: [
            allSucceeded('bulk', result, 'route results'),
            allProgrammed('bulk', result.routes, result.programmed),
          ],
        };
      } finally {
        await stack.group.stop(bridge.child);
      }
    });
  },
};

export const bulkNoop: RowDefinition = {
  id: 'bulk-noop',
  async measure(bench): Promise<RowResult> {
    const { sizes, stack, load, broker } = bench;
    bench.progress(`reference: ${int(sizes.noopRoutes)} routes into a no-op JET server, fresh bridge`);
    const noop = await startNoopJet(stack);
    try {
      const bridge = await startBridge(stack, {
        label: 'bulk-noop',
        brokerUrl: broker.url,
        jetAddress: noop.jetAddress,
        device: 'bulk-noop',
      });
      try {
        const pids = { mosquitto: broker.child.pid, 'noop-jet': noop.child.pid, bridge: bridge.child.pid };
        const { result, cpu } = await metered(pids, (meter) =>
          scenario.measureBulk(load, bridge, undefined, sizes, sizes.noopRoutes, meter),
        );
        return {
          id: 'bulk-noop',
          title: `jetbridge: bulk ${int(result.routes)} routes into a no-op JET server`,
          figure: `${int(result.perSec)} routes/s`,
          count: result.routes,
          unit: 'route',
          perSec: result.perSec,
          cpu,
          subject: 'bridge',
          checks: [allSucceeded('bulk-noop', result, 'route results')],
        };
      } finally {
        await stack.group.stop(bridge.child);
      }
    } finally {
      await stack.group.stop(noop.child);
    }
  },
};
