/**
 * `npm run bench`: jetbridge against references measured in the same run
 * (issue 15): every row is printed with its reference, its ratio target and
 * PASS or FAIL, because absolute figures move too much between runs on a
 * shared machine to be targets. The rows and targets are in bench/rows/.
 *
 * Every part is its own process on loopback: Mosquitto (free port, no drops),
 * the JET emulator and the bridge from the built CLI, the baseline and the
 * reference peers; this process only drives load (mqtt.js, MQTT 5, QoS 1) and
 * reads the bridge's /metrics and /proc. It prints a table with the targets
 * and writes bench/results/latest.json.
 *
 *   npm run bench                     full run, a few minutes
 *   npm run bench -- --quick          smaller counts, a minute (CI smoke: correctness only)
 *   npm run bench -- --profile        also CPU-profile the bridges and the emulator
 *                                     (bench/results/profiles) and print their top self time
 *   npm run bench -- --only a,b       only the rows named (ids as printed)
 *   npm run bench -- --record         also write bench/results/reference-run.json and
 *                                     regenerate the README's table from it
 *
 * Exit code 0 when the run completed and every result was correct, 1 when
 * something failed; missed performance targets are reported, not fatal,
 * because shared machines are noisy.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBroker } from './lib/broker.js';
import { LoadClient } from './lib/load.js';
import { ChildGroup, stopChildrenOnExit } from './lib/processes.js';
import { formatProfile, summarizeProfile } from './lib/profile.js';
import { README, REFERENCE_RUN, writeReadmeTable } from './lib/readme-table.js';
import { benchRecord, formatReport, type BenchRecord } from './lib/report.js';
import type { Bench, RowResult } from './lib/row.js';
import { DEFAULT_DEBOUNCE_MS, FULL_SIZES, QUICK_SIZES } from './lib/sizes.js';
import { REPO_ROOT, startEmulator, type RunningEmulator, type StackOptions } from './lib/stack.js';
import { judgeTargets } from './lib/targets.js';
import { REPLY_TOPICS } from './lib/topics.js';
import { ROWS, TARGETS } from './rows/index.js';

const RESULTS_DIR = join(REPO_ROOT, 'bench/results');
const PROFILE_DIR = join(RESULTS_DIR, 'profiles');

interface Options {
  quick: boolean;
  profile: boolean;
  record: boolean;
  /** Row ids to run; all when absent. */
  only?: string[];
}

function progress(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      record: { type: 'boolean', default: false },
      only: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench [-- --quick] [-- --profile] [-- --only id,id] [-- --record]\n');
    process.exit(0);
  }
  const only = values.only?.split(',').map((id) => id.trim());
  const unknown = only?.filter((id) => !ROWS.some((row) => row.id === id)) ?? [];
  if (unknown.length > 0) {
    throw new Error(`--only names no row ${unknown.join(', ')}; rows: ${ROWS.map((r) => r.id).join(', ')}`);
  }
  if (values.record && (values.quick || only !== undefined)) {
    throw new Error('--record keeps a full run of every row: leave out --quick and --only');
  }
  return { quick: values.quick, profile: values.profile, record: values.record, ...(only && { only }) };
}

function commandOf({ quick, profile, only }: Options): string {
  const flags = [
    ...(quick ? ['--quick'] : []),
    ...(profile ? ['--profile'] : []),
    ...(only ? ['--only', only.join(',')] : []),
  ];
  return flags.length === 0 ? 'npm run bench' : `npm run bench -- ${flags.join(' ')}`;
}

/** The commit checked out, marked when the tree has changes; undefined outside git. */
function commitOf(): string | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src', 'bench/lib', 'bench/rows', 'bench/run.ts') === ''
      ? head
      : `${head}+changes`;
  } catch {
    return undefined;
  }
}

async function measureRows(group: ChildGroup, dir: string, options: Options): Promise<RowResult[]> {
  const sizes = options.quick ? QUICK_SIZES : FULL_SIZES;
  const stack: StackOptions = { group, dir, ...(options.profile && { profileDir: PROFILE_DIR }) };
  const broker = await startBroker(group, dir);
  progress(`mosquitto on ${broker.url}; logs in ${dir}`);
  const load = await LoadClient.connect(broker.url, 'bench-load', REPLY_TOPICS);
  let shared: Promise<RunningEmulator> | undefined;
  let emulators = 0;
  const bench: Bench = {
    stack,
    sizes,
    broker,
    load,
    sharedEmulator: () => {
      shared ??= startEmulator(stack, 'emulator');
      return shared;
    },
    freshEmulator: () => startEmulator(stack, `emulator-${++emulators}`),
    progress,
  };
  const rows: RowResult[] = [];
  for (const row of ROWS) {
    if (options.only !== undefined && !options.only.includes(row.id)) continue;
    rows.push(await row.measure(bench));
  }
  await load.close();
  return rows;
}

async function run(group: ChildGroup, dir: string, options: Options): Promise<number> {
  const loadBefore = loadavg();
  const rows = await measureRows(group, dir, options);
  await group.stopAll();

  const command = commandOf(options);
  const commit = commitOf();
  const record = benchRecord(
    {
      mode: options.quick ? 'quick' : 'full',
      command,
      ...(commit !== undefined && { commit }),
      debounceMs: DEFAULT_DEBOUNCE_MS,
      sizes: options.quick ? QUICK_SIZES : FULL_SIZES,
      loadBefore,
    },
    rows,
    judgeTargets(TARGETS, rows),
  );
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(record, null, 2)}\n`;
  writeFileSync(join(RESULTS_DIR, 'latest.json'), json);
  printReport(record, command, loadBefore);
  if (options.record) {
    writeFileSync(REFERENCE_RUN, json);
    writeReadmeTable(record);
    process.stdout.write(`recorded: ${REFERENCE_RUN}; table regenerated in ${README}\n`);
  }
  if (options.profile) printProfiles();
  return record.checks.some((c) => !c.pass) ? 1 : 0;
}

function printReport(record: BenchRecord, command: string, loadBefore: number[]): void {
  const { machine } = record;
  const load1 = loadBefore.map((l) => l.toFixed(2)).join(' ');
  process.stdout.write(
    `\njetbridge bench (${record.mode}): ${command}, commit ${record.commit ?? 'unknown'}\n${machine.cpus} cores (${machine.cpuModel}), Node ${machine.node}, load average before ${load1}\n\n`,
  );
  process.stdout.write(`${formatReport(record)}\n\nwritten: ${join(RESULTS_DIR, 'latest.json')}\n`);
}

function printProfiles(): void {
  for (const file of readdirSync(PROFILE_DIR)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()) {
    process.stdout.write(`\n${formatProfile(file, summarizeProfile(join(PROFILE_DIR, file), REPO_ROOT))}\n`);
  }
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseOptions();
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(2);
  }
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
