/**
 * More cores (issue 15, part 4): the bulk load spread over four devices,
 * served by one bridge process (today's default) and by four bridge processes
 * of one device each (`mqtt.subscribe: "devices"`, as README "Scaling out"
 * describes). Devices are independent, so the question is whether the work of
 * several devices gains from more than one core on this machine; the CPU per
 * process shows where it went. Both rows program into one empty emulator.
 */
import { int } from '../lib/format.js';
import { allProgrammed, allSucceeded, metered, type Bench, type RowDefinition, type RowResult } from '../lib/row.js';
import * as scenario from '../lib/scenarios.js';
import { startBridge, type RunningBridge } from '../lib/stack.js';

const DEVICES = 4;

/** Measures the spread bulk load against `bridges` started by `start`, on an empty emulator. */
async function spreadRow(
  bench: Bench,
  id: string,
  title: string,
  start: (jetAddress: string, devices: string[]) => Promise<RunningBridge[]>,
): Promise<RowResult> {
  const devices = Array.from({ length: DEVICES }, (_, i) => `${id}-d${i + 1}`);
  const emulator = await bench.freshEmulator();
  const bridges: RunningBridge[] = [];
  try {
    bridges.push(...(await start(emulator.jetAddress, devices)));
    const pids: Record<string, number> = { mosquitto: bench.broker.child.pid, emulator: emulator.child.pid };
    bridges.forEach((bridge, i) => {
      pids[bridges.length === 1 ? 'bridge' : `bridge${i + 1}`] = bridge.child.pid;
    });
    const { result, cpu } = await metered(pids, (meter) =>
      scenario.measureBulkOverDevices(bench.load, devices, emulator.adminUrl, bench.sizes, meter),
    );
    const bridgeMs = Object.entries(cpu.cpuMs)
      .filter(([name]) => name.startsWith('bridge'))
      .reduce((sum, [, ms]) => sum + ms, 0);
    const cores = bridgeMs / cpu.wallMs;
    return {
      id,
      title,
      figure: `${int(result.perSec)} routes/s; bridges together ${cores.toFixed(2)} cores, ${((1000 * bridgeMs) / result.count).toFixed(1)} us CPU/route`,
      count: result.count,
      unit: 'route',
      perSec: result.perSec,
      cpu: { wallMs: cpu.wallMs, cpuMs: { ...cpu.cpuMs, bridges: bridgeMs } },
      subject: 'bridges',
      data: { bridgeCores: cores, devices: DEVICES, processes: bridges.length },
      checks: [allSucceeded(id, result, 'route results'), allProgrammed(id, result.count, result.programmed)],
    };
  } finally {
    for (const bridge of bridges) await bench.stack.group.stop(bridge.child);
    await bench.stack.group.stop(emulator.child);
  }
}

export const bulkDevices: RowDefinition = {
  id: 'bulk-4dev',
  measure(bench): Promise<RowResult> {
    bench.progress(`jetbridge: ${int(bench.sizes.bulkRoutes)} routes over ${DEVICES} devices, one bridge process`);
    return spreadRow(
      bench,
      'bulk-4dev',
      `jetbridge: bulk over ${DEVICES} devices, one bridge process`,
      async (jet, devices) => [
        await startBridge(bench.stack, {
          label: 'bulk-4dev',
          brokerUrl: bench.broker.url,
          jetAddress: jet,
          device: devices[0]!,
          moreDevices: devices.slice(1),
        }),
      ],
    );
  },
};

export const bulkProcesses: RowDefinition = {
  id: 'bulk-4proc',
  measure(bench): Promise<RowResult> {
    bench.progress(`jetbridge: ${int(bench.sizes.bulkRoutes)} routes over ${DEVICES} devices, a bridge process each`);
    return spreadRow(
      bench,
      'bulk-4proc',
      `jetbridge: bulk over ${DEVICES} devices, a bridge process each`,
      async (jet, devices) => {
        // One after the other: four processes starting at once on a busy machine miss their readiness deadline.
        const bridges: RunningBridge[] = [];
        for (const device of devices) {
          bridges.push(
            await startBridge(bench.stack, {
              label: device,
              brokerUrl: bench.broker.url,
              jetAddress: jet,
              device,
              subscribe: 'devices',
            }),
          );
        }
        return bridges;
      },
    );
  },
};
