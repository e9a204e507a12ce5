/**
 * What a bench row is: a measurement with its figure, the CPU each process
 * spent on it, and its correctness checks; and what a target is: a ratio
 * between a row and a reference row of the same run (or a limit on one row),
 * judged PASS or FAIL.
 *
 * Adding a row: write a RowDefinition (see bench/rows/), list it in
 * bench/rows/index.ts, and add its targets there. Nothing else needs to know.
 */
import type { BenchBroker } from './broker.js';
import type { LoadClient } from './load.js';
import { withCpuUse, type CpuUse, type Meter } from './metrics.js';
import type { Sizes } from './sizes.js';
import type { RunningEmulator, StackOptions } from './stack.js';
import type { LatencySummary } from './stats.js';

/** A check that must hold for the run to count: every result arrived and succeeded. */
export interface Check {
  /** Which row it belongs to. */
  row: string;
  name: string;
  /** What was expected, in words. */
  expected: string;
  actual: string;
  pass: boolean;
}

/** The unit a row counts in; CPU per item is per one of these. */
export type ItemUnit = 'msg' | 'intent' | 'route';

/** What one row measured. */
export interface RowResult {
  id: string;
  /** The scenario, in words, as the table shows it. */
  title: string;
  /** The figure, in words: rate, latency, memory. */
  figure: string;
  /** Items the timed part processed. */
  count: number;
  unit: ItemUnit;
  /** Items per second over the timed part. */
  perSec?: number;
  latency?: LatencySummary;
  /** Wall time and each process's CPU time over the timed part. */
  cpu?: CpuUse;
  /** The process whose CPU per item is this row's cost (`bridge`, `echo`, ...). */
  subject?: string;
  /** The scenario's raw figures, kept in the JSON record. */
  data?: object;
  checks: Check[];
}

/** What a row's measurement works with: the running broker, the load generator, emulators. */
export interface Bench {
  stack: StackOptions;
  sizes: Sizes;
  broker: BenchBroker;
  load: LoadClient;
  /** The emulator the rows share (started on first use, stopped at the end of the run). */
  sharedEmulator(): Promise<RunningEmulator>;
  /** An emulator of the row's own, empty; the row stops it. */
  freshEmulator(): Promise<RunningEmulator>;
  progress(text: string): void;
}

export interface RowDefinition {
  id: string;
  measure(bench: Bench): Promise<RowResult>;
}

/** A target's verdict on one run. */
export interface Verdict {
  value: number;
  /** The value in words, e.g. `1.7x echo (52.1 vs 30.4 us/msg)`. */
  shown: string;
  pass: boolean;
}

export interface TargetDefinition {
  /** Unique within the run. */
  name: string;
  /** The row judged. */
  row: string;
  /** The row it is compared with; absent for a limit on the row alone. */
  reference?: string;
  /** The target in words, e.g. `CPU/intent <= 2x echo's CPU/msg`. */
  text: string;
  judge(row: RowResult, reference: RowResult | undefined): Verdict;
}

/** A target as recorded: the definition's words and its verdict. */
export interface TargetResult {
  name: string;
  row: string;
  reference?: string;
  text: string;
  value: number;
  shown: string;
  pass: boolean;
}

/** CPU microseconds per item of `process` in `row`; NaN when it was not measured. */
export function cpuPerItemUs(row: RowResult, process = row.subject): number {
  const used = process === undefined ? undefined : row.cpu?.cpuMs[process];
  return used === undefined || row.count === 0 ? Number.NaN : (1000 * used) / row.count;
}

/** A check that every item of a row came back SUCCESS. */
export function allSucceeded(
  row: string,
  figure: { count: number; failed: number; failure?: string },
  unit: string,
): Check {
  const pass = figure.failed === 0;
  return {
    row,
    name: `${row} results`,
    expected: `all ${figure.count.toLocaleString('en-US')} ${unit} SUCCESS`,
    actual: pass
      ? 'all SUCCESS'
      : `${figure.failed.toLocaleString('en-US')} not SUCCESS (first: ${figure.failure ?? '?'})`,
    pass,
  };
}

/** A check that the emulator gained exactly the routes a row sent. */
export function allProgrammed(row: string, expected: number, actual: number | undefined): Check {
  return {
    row,
    name: `${row} routes`,
    expected: `${expected.toLocaleString('en-US')} routes in the emulator`,
    actual: actual === undefined ? 'not counted' : actual.toLocaleString('en-US'),
    pass: actual === expected,
  };
}

/**
 * Runs a scenario with a meter that takes the CPU of `pids` (and of the bench
 * itself) over the scenario's timed part, and returns both.
 */
export async function metered<T>(
  pids: Record<string, number>,
  scenario: (meter: Meter) => Promise<T>,
): Promise<{ result: T; cpu: CpuUse }> {
  let cpu: CpuUse | undefined;
  const meter: Meter = async (timed) => {
    const measured = await withCpuUse(pids, timed);
    cpu = measured.cpu;
    return measured.result;
  };
  const result = await scenario(meter);
  if (cpu === undefined) throw new Error('the scenario timed nothing: it never used its meter');
  return { result, cpu };
}
