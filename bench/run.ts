/**
 * `npm run bench`: jetbridge against the MQTT ceiling and a per-message
 * baseline, measured side by side in one run (issue 6).
 *
 * Every part is its own process on loopback: Mosquitto (free port, no drops),
 * the JET emulator and the bridge from the built CLI, the baseline and the
 * reference peers; this process only drives load (mqtt.js, MQTT 5, QoS 1) and
 * reads the bridge's /metrics and /proc. It prints a table with the targets
 * and writes bench/results/latest.json.
 *
 *   npm run bench                     full run, a minute or two
 *   npm run bench -- --quick          smaller counts, about 20 s (CI smoke)
 *   npm run bench -- --profile        also CPU-profile the bridges and the emulator
 *                                     (bench/results/profiles) and print their top self time
 *
 * Exit code 0 when the run completed and every result was correct, 1 when
 * something failed; missed performance targets are reported, not fatal,
 * because shared machines are noisy.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBroker, type BenchBroker } from './lib/broker.js';
import { LoadClient } from './lib/load.js';
import { withCpuUse, type CpuUse, type Meter } from './lib/metrics.js';
import { ChildGroup, stopChildrenOnExit } from './lib/processes.js';
import { formatProfile, summarizeProfile } from './lib/profile.js';
import { benchRecord, evaluate, formatReport, type BenchResults } from './lib/report.js';
import * as scenario from './lib/scenarios.js';
import {
  REPO_ROOT,
  startBaseline,
  startBridge,
  startEcho,
  startEmulator,
  startNoopJet,
  startSink,
  type StackOptions,
} from './lib/stack.js';

const RESULTS_DIR = join(REPO_ROOT, 'bench/results');
const PROFILE_DIR = join(RESULTS_DIR, 'profiles');

const TOPICS = {
  ceiling: 'bench/ceiling',
  oneWay: 'bench/one-way',
  echoRequest: 'bench/echo/request',
  echoReply: 'bench/echo/reply',
  baselineIntent: 'base/r1/bgp/intent',
  baselineResult: 'base/r1/bgp/result',
  bridgeResults: 'jet/+/bgp/result',
};

interface Options {
  quick: boolean;
  profile: boolean;
}

/** What every phase works with. */
interface Bench {
  stack: StackOptions;
  sizes: scenario.Sizes;
  broker: BenchBroker;
  load: LoadClient;
  /** A meter that records, under `name`, the CPU of `pids` and of the bench during the timed part. */
  meter(name: string, pids: Record<string, number>): Meter;
}

function progress(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench [-- --quick] [-- --profile]\n');
    process.exit(0);
  }
  return { quick: values.quick, profile: values.profile };
}

/** 1. The MQTT ceiling, and the one-way and echo references. */
async function measureMqtt(bench: Bench): Promise<Pick<BenchResults, 'ceiling' | 'oneWay' | 'echo'>> {
  const { stack, sizes, broker, load, meter } = bench;
  const mqttOnly = { mosquitto: broker.child.pid };
  progress('1. MQTT ceiling: publisher client -> broker -> subscriber client (this process)');
  await scenario.warmUp(load, TOPICS.ceiling, 'ceiling');
  const ceiling = await scenario.measureCeiling(
    load,
    TOPICS.ceiling,
    sizes.ceilingMessages,
    meter('ceiling', mqttOnly),
  );

  progress('   reference: subscriber in its own process');
  const sink = await startSink(stack, broker.url, TOPICS.oneWay, sizes.ceilingMessages);
  const oneWay = await scenario.measureOneWay(
    load,
    sink,
    TOPICS.oneWay,
    sizes.ceilingMessages,
    meter('one-way', { ...mqttOnly, sink: sink.pid }),
  );
  await stack.group.stop(sink);

  progress('   reference: echo process (one message in, one out, no work)');
  const echoPeer = await startEcho(stack, broker.url, TOPICS.echoRequest, TOPICS.echoReply);
  await scenario.warmUp(load, TOPICS.echoRequest, 'ceiling');
  const echo = await scenario.measureEcho(
    load,
    TOPICS.echoRequest,
    sizes.ceilingMessages,
    meter('echo', { ...mqttOnly, echo: echoPeer.pid }),
  );
  await stack.group.stop(echoPeer);
  return { ceiling, oneWay, echo };
}

/** 2-6. The baseline and jetbridge against one emulator process. */
async function measureAgainstEmulator(
  bench: Bench,
): Promise<Pick<BenchResults, 'baseline' | 'single' | 'steady' | 'bulk' | 'coalescing'>> {
  const { stack, sizes, broker, load, meter } = bench;
  const emulator = await startEmulator(stack);
  const withJet = { mosquitto: broker.child.pid, emulator: emulator.child.pid };
  progress(`emulator: JET on ${emulator.jetAddress}, admin ${emulator.adminUrl}`);

  progress(`2. baseline: ${sizes.baselineIntents} intents, one JET call per message`);
  const baselinePeer = await startBaseline(stack, {
    brokerUrl: broker.url,
    jetAddress: emulator.jetAddress,
    intentTopic: TOPICS.baselineIntent,
    resultTopic: TOPICS.baselineResult,
  });
  await scenario.warmUp(load, TOPICS.baselineIntent, 'baseline', 200);
  const baseline = await scenario.measureBaseline(
    load,
    TOPICS.baselineIntent,
    sizes.baselineIntents,
    meter('baseline', { ...withJet, baseline: baselinePeer.pid }),
  );
  await stack.group.stop(baselinePeer);

  const bridge = await startBridge(stack, {
    label: 'single',
    brokerUrl: broker.url,
    jetAddress: emulator.jetAddress,
    device: 'r1',
  });
  const withBridge = { ...withJet, bridge: bridge.child.pid };
  progress(`3. jetbridge: warm-up, then ${sizes.singleIntents} single intents`);
  await scenario.warmUp(load, bridge.intentTopic, 'single');
  const single = await scenario.measureSingle(
    load,
    bridge,
    emulator.adminUrl,
    sizes.singleIntents,
    meter('single', withBridge),
  );
  progress(`4. jetbridge: ${sizes.steadyRatePerSec} intents/s for ${sizes.steadySeconds} s`);
  const steady = await scenario.measureSteady(
    load,
    bridge,
    sizes.steadyRatePerSec,
    sizes.steadySeconds,
    meter('steady', withBridge),
  );
  progress(`6. jetbridge: ${sizes.flaps} flaps of one prefix`);
  const coalescing = await scenario.measureCoalescing(load, bridge, sizes.flaps);
  await stack.group.stop(bridge.child);

  progress(
    `5. jetbridge: ${sizes.bulkRoutes.toLocaleString('en-US')} routes in arrays of ${sizes.bulkArraySize}, fresh bridge process`,
  );
  const bulkBridge = await startBridge(stack, {
    label: 'bulk',
    brokerUrl: broker.url,
    jetAddress: emulator.jetAddress,
    device: 'r2',
  });
  const bulk = await scenario.measureBulk(
    load,
    bulkBridge,
    emulator.adminUrl,
    sizes,
    sizes.bulkRoutes,
    meter('bulk', { ...withJet, bridge: bulkBridge.child.pid }),
  );
  await stack.group.stop(bulkBridge.child);
  await stack.group.stop(emulator.child);
  return { baseline, single, steady, bulk, coalescing };
}

/** Reference: the bulk load into a JET server that does nothing, so the emulator's share shows. */
async function measureAgainstNoopJet(bench: Bench): Promise<BenchResults['bulkNoop']> {
  const { stack, sizes, broker, load, meter } = bench;
  progress(
    `   reference: ${sizes.noopRoutes.toLocaleString('en-US')} routes into a no-op JET server, fresh bridge process`,
  );
  const noop = await startNoopJet(stack);
  const bridge = await startBridge(stack, {
    label: 'bulk-noop',
    brokerUrl: broker.url,
    jetAddress: noop.jetAddress,
    device: 'r3',
  });
  const pids = { mosquitto: broker.child.pid, 'noop-jet': noop.child.pid, bridge: bridge.child.pid };
  const bulkNoop = await scenario.measureBulk(
    load,
    bridge,
    undefined,
    sizes,
    sizes.noopRoutes,
    meter('bulk-noop', pids),
  );
  await stack.group.stop(bridge.child);
  await stack.group.stop(noop.child);
  return bulkNoop;
}

function commandOf({ quick, profile }: Options): string {
  const flags = [...(quick ? ['--quick'] : []), ...(profile ? ['--profile'] : [])];
  return flags.length === 0 ? 'npm run bench' : `npm run bench -- ${flags.join(' ')}`;
}

async function run(group: ChildGroup, dir: string, options: Options): Promise<number> {
  const sizes = options.quick ? scenario.QUICK_SIZES : scenario.FULL_SIZES;
  const loadBefore = loadavg();
  const cpu: Record<string, CpuUse> = {};
  const meter =
    (name: string, pids: Record<string, number>): Meter =>
    async (timed) => {
      const { result, cpu: use } = await withCpuUse(pids, timed);
      cpu[name] = use;
      return result;
    };
  const stack: StackOptions = { group, dir, ...(options.profile && { profileDir: PROFILE_DIR }) };
  const broker = await startBroker(group, dir);
  progress(`mosquitto on ${broker.url}; logs in ${dir}`);
  const load = await LoadClient.connect(broker.url, 'bench-load', [
    TOPICS.ceiling,
    TOPICS.echoReply,
    TOPICS.baselineResult,
    TOPICS.bridgeResults,
  ]);
  const bench: Bench = { stack, sizes, broker, load, meter };

  const results: BenchResults = {
    ...(await measureMqtt(bench)),
    ...(await measureAgainstEmulator(bench)),
    bulkNoop: await measureAgainstNoopJet(bench),
  };
  await load.close();
  await group.stopAll();

  const checks = evaluate(results);
  const command = commandOf(options);
  const record = { ...benchRecord(options.quick ? 'quick' : 'full', command, sizes, results, checks, loadBefore), cpu };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(record, null, 2)}\n`);

  const { machine } = record;
  const load1 = loadBefore.map((l) => l.toFixed(2)).join(' ');
  process.stdout.write(
    `\njetbridge bench (${record.mode}): ${command}\n${machine.cpus} cores (${machine.cpuModel}), Node ${machine.node}, load average before ${load1}\n\n`,
  );
  process.stdout.write(
    `${formatReport(results, checks, sizes, cpu)}\n\nwritten: ${join(RESULTS_DIR, 'latest.json')}\n`,
  );
  if (options.profile) printProfiles();
  return checks.some((c) => c.kind === 'correctness' && !c.pass) ? 1 : 0;
}

function printProfiles(): void {
  for (const file of readdirSync(PROFILE_DIR)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()) {
    process.stdout.write(`\n${formatProfile(file, summarizeProfile(join(PROFILE_DIR, file), REPO_ROOT))}\n`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const group = new ChildGroup();
  stopChildrenOnExit(group);
  if (options.profile) {
    rmSync(PROFILE_DIR, { recursive: true, force: true });
    mkdirSync(PROFILE_DIR, { recursive: true });
  }
  const dir = mkdtempSync(join(tmpdir(), 'jetbridge-bench-'));
  let exitCode = 1;
  try {
    exitCode = await run(group, dir, options);
  } catch (error) {
    const what = group.aborted ? 'interrupted' : `failed: ${(error as Error).message}`;
    process.stderr.write(`\nbench ${what}\n(child logs kept in ${dir})\n`);
  } finally {
    await group.stopAll();
  }
  if (exitCode === 0) rmSync(dir, { recursive: true, force: true });
  // The load client may still hold a socket after a failure; the run is over either way.
  // An interrupting signal has set its own exit code.
  process.exit(group.aborted ? process.exitCode : exitCode);
}

await main();
