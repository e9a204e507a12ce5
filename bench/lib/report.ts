/**
 * The bench's verdict: the figures of one run beside the targets of issue 6,
 * printed as a table and kept as JSON. Performance targets are ratios and
 * limits from this same run; correctness checks (every result arrived and
 * succeeded, every route reached the emulator) must hold for the run to count.
 */
import { cpus } from 'node:os';
import type { CpuUse } from './metrics.js';
import type { BulkResult, CoalescingResult, SingleResult, Sizes, SteadyResult, Throughput } from './scenarios.js';

/** The bridge's default coalescing window, which the steady-load target builds on. */
export const DEBOUNCE_MS = 50;

export interface BenchResults {
  /** The load generator's own publisher → broker → subscriber rate: the ceiling of the targets. */
  ceiling: Throughput;
  /** Reference: the subscriber in a process of its own. */
  oneWay: Throughput;
  /** Reference: an echo process in the bridge's place, doing no work. */
  echo: Throughput;
  baseline: Throughput;
  single: SingleResult;
  steady: SteadyResult;
  bulk: BulkResult;
  /** Reference: the bulk load into a JET server that does nothing. */
  bulkNoop: BulkResult;
  coalescing: CoalescingResult;
}

export interface Check {
  name: string;
  kind: 'target' | 'correctness';
  target: string;
  value: string;
  pass: boolean;
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => `${n < 10 ? n.toFixed(1) : int(n)} ms`;
const percent = (n: number): string => `${(100 * n).toFixed(0)}%`;

function allResults(name: string, figure: { count: number; failed: number; failure?: string }, unit: string): Check {
  const pass = figure.failed === 0;
  return {
    name,
    kind: 'correctness',
    target: `all ${int(figure.count)} ${unit} SUCCESS`,
    value: pass ? 'all SUCCESS' : `${int(figure.failed)} not SUCCESS (first: ${figure.failure ?? '?'})`,
    pass,
  };
}

function programmed(name: string, expected: number, actual: number): Check {
  return {
    name,
    kind: 'correctness',
    target: `${int(expected)} routes in the emulator`,
    value: `${int(actual)}`,
    pass: actual === expected,
  };
}

export function evaluate(results: BenchResults): Check[] {
  const { ceiling, baseline, single, steady, bulk, coalescing } = results;
  const overBaseline = single.perSec / baseline.perSec;
  const ofCeiling = single.perSec / ceiling.perSec;
  const steadyLimit = DEBOUNCE_MS + 25;
  return [
    {
      name: 'single vs baseline',
      kind: 'target',
      target: '>= 10x baseline',
      value: `${overBaseline.toFixed(1)}x`,
      pass: overBaseline >= 10,
    },
    {
      name: 'single vs ceiling',
      kind: 'target',
      target: '>= 60% of ceiling',
      value: percent(ofCeiling),
      pass: ofCeiling >= 0.6,
    },
    {
      name: 'steady p99',
      kind: 'target',
      target: `p99 <= ${steadyLimit} ms`,
      value: ms(steady.latency.p99Ms),
      pass: steady.latency.p99Ms <= steadyLimit,
    },
    {
      name: 'bulk rate',
      kind: 'target',
      target: '>= 50,000 routes/s',
      value: `${int(bulk.perSec)} routes/s`,
      pass: bulk.perSec >= 50_000,
    },
    {
      name: 'bulk memory',
      kind: 'target',
      target: 'peak RSS <= 1 GiB',
      value: `${int(bulk.peakRssBytes / MIB)} MiB`,
      pass: bulk.peakRssBytes <= GIB,
    },
    {
      name: 'coalescing',
      kind: 'target',
      target: 'exactly 1 JET request',
      value: `${coalescing.jetRequests}`,
      pass: coalescing.jetRequests === 1,
    },
    allResults('baseline results', baseline, 'results'),
    allResults('single results', single, 'results'),
    programmed('single routes', single.count, single.programmed),
    allResults('steady results', steady, 'results'),
    allResults('bulk results', bulk, 'route results'),
    programmed('bulk routes', bulk.routes, bulk.programmed ?? Number.NaN),
    allResults('no-op JET bulk results', results.bulkNoop, 'route results'),
    {
      name: 'coalescing results',
      kind: 'correctness',
      target: `1 SUCCESS, ${coalescing.intents - 1} SUPERSEDED`,
      value: `${coalescing.succeeded} SUCCESS, ${coalescing.superseded} SUPERSEDED`,
      pass: coalescing.failed === 0 && coalescing.succeeded === 1 && coalescing.superseded === coalescing.intents - 1,
    },
  ];
}

interface Row {
  scenario: string;
  figure: string;
  target?: string;
  verdict?: string;
}

function latencyText({ p50Ms, p99Ms }: { p50Ms: number; p99Ms: number }): string {
  return `p50 ${ms(p50Ms)}, p99 ${ms(p99Ms)}`;
}

function verdictOf(checks: Check[], name: string): Pick<Row, 'target' | 'verdict'> {
  const check = checks.find((c) => c.name === name)!;
  return { target: check.target, verdict: `${check.pass ? 'PASS' : 'FAIL'} (${check.value})` };
}

function rows(results: BenchResults, checks: Check[], sizes: Sizes): Row[] {
  const { ceiling, oneWay, echo, baseline, single, steady, bulk, bulkNoop, coalescing } = results;
  const bridgePart = steady.bridgeLatency ? `; in the bridge ${latencyText(steady.bridgeLatency)}` : '';
  return [
    {
      scenario: `1. ceiling: MQTT publisher -> broker -> subscriber, QoS 1 (${int(ceiling.count)})`,
      figure: `${int(ceiling.perSec)} msg/s; ${latencyText(ceiling.latency)}`,
    },
    {
      scenario: '   ref: subscriber in its own process',
      figure: `${int(oneWay.perSec)} msg/s; ${latencyText(oneWay.latency)}`,
      target: 'reference',
    },
    {
      scenario: "   ref: echo process in the bridge's place (no work)",
      figure: `${int(echo.perSec)} msg/s; ${latencyText(echo.latency)}`,
      target: 'reference',
    },
    {
      scenario: `2. baseline: one JET call per message (${int(baseline.count)})`,
      figure: `${int(baseline.perSec)} intents/s; ${latencyText(baseline.latency)}`,
    },
    {
      scenario: `3. jetbridge single intents (${int(single.count)})`,
      figure: `${int(single.perSec)} intents/s; ${latencyText(single.latency)}`,
      ...verdictOf(checks, 'single vs baseline'),
    },
    {
      scenario: '',
      figure: `(${percent(single.perSec / echo.perSec)} of the echo reference)`,
      ...verdictOf(checks, 'single vs ceiling'),
    },
    {
      scenario: `4. jetbridge steady ${int(steady.targetRatePerSec)}/s for ${sizes.steadySeconds} s`,
      figure: `${latencyText(steady.latency)}, max ${ms(steady.latency.maxMs)}`,
      ...verdictOf(checks, 'steady p99'),
    },
    { scenario: '', figure: `(sent ${int(steady.sentRatePerSec)}/s${bridgePart})` },
    {
      scenario: `5. jetbridge bulk ${int(bulk.routes)} routes, arrays of ${int(bulk.arraySize)}`,
      figure: `${int(bulk.perSec)} routes/s into the emulator`,
      ...verdictOf(checks, 'bulk rate'),
    },
    {
      scenario: '',
      figure: `peak RSS ${int(bulk.peakRssBytes / MIB)} MiB, ${int(bulk.bytesPerRoute)} B/route${bulk.peakReset ? '' : ' (peak since start)'}`,
      ...verdictOf(checks, 'bulk memory'),
    },
    {
      scenario: `   ref: ${int(bulkNoop.routes)} routes into a no-op JET server`,
      figure: `${int(bulkNoop.perSec)} routes/s`,
      target: 'reference',
    },
    {
      scenario: `6. coalescing: ${coalescing.intents} flaps of one prefix`,
      figure: `${coalescing.jetRequests} JET request(s)`,
      ...verdictOf(checks, 'coalescing'),
    },
  ];
}

function table(lines: Row[]): string {
  const header: Row = { scenario: 'scenario', figure: 'figure', target: 'target', verdict: 'result' };
  const all = [header, ...lines];
  const width = (key: keyof Row) => Math.max(...all.map((row) => (row[key] ?? '').length));
  const [w1, w2, w3] = [width('scenario'), width('figure'), width('target')];
  const line = (row: Row) =>
    `${row.scenario.padEnd(w1)} | ${row.figure.padEnd(w2)} | ${(row.target ?? '').padEnd(w3)} | ${row.verdict ?? ''}`.trimEnd();
  return [line(header), '-'.repeat(w1 + w2 + w3 + 16), ...lines.map(line)].join('\n');
}

/** Items each measurement processed, for CPU per item. */
function itemsOf(results: BenchResults): Record<string, { count: number; unit: string }> {
  return {
    ceiling: { count: results.ceiling.count, unit: 'msg' },
    'one-way': { count: results.oneWay.count, unit: 'msg' },
    echo: { count: results.echo.count, unit: 'msg' },
    baseline: { count: results.baseline.count, unit: 'intent' },
    single: { count: results.single.count, unit: 'intent' },
    steady: { count: results.steady.count, unit: 'intent' },
    bulk: { count: results.bulk.routes, unit: 'route' },
    'bulk-noop': { count: results.bulkNoop.routes, unit: 'route' },
  };
}

/** One line per measurement: wall time, each process's share of a core, CPU µs per item. */
function cpuLines(results: BenchResults, cpu: Record<string, CpuUse>): string[] {
  const items = itemsOf(results);
  return Object.entries(cpu).map(([name, { wallMs, cpuMs }]) => {
    const shares = Object.entries(cpuMs).map(([proc, used]) => `${proc} ${((100 * used) / wallMs).toFixed(0)}%`);
    const item = items[name];
    const perItem = item
      ? Object.entries(cpuMs).map(([proc, used]) => `${proc} ${((1000 * used) / item.count).toFixed(1)}`)
      : [];
    return `  ${name.padEnd(10)} ${String(wallMs).padStart(6)} ms: ${shares.join(', ')}${item ? `; CPU us/${item.unit}: ${perItem.join(', ')}` : ''}`;
  });
}

export function formatReport(
  results: BenchResults,
  checks: Check[],
  sizes: Sizes,
  cpu: Record<string, CpuUse>,
): string {
  const failedChecks = checks.filter((c) => c.kind === 'correctness' && !c.pass);
  const targets = checks.filter((c) => c.kind === 'target');
  const lines = [table(rows(results, checks, sizes)), ''];
  lines.push(`targets met: ${targets.filter((c) => c.pass).length} of ${targets.length}`);
  lines.push(
    failedChecks.length === 0
      ? 'correctness: every result arrived and succeeded; every route reached the emulator'
      : 'CORRECTNESS FAILURES:',
  );
  for (const check of failedChecks) lines.push(`  ${check.name}: expected ${check.target}, got ${check.value}`);
  lines.push(
    '',
    'CPU during each measurement (share of one core; the machine has two, shared with others):',
    ...cpuLines(results, cpu),
  );
  return lines.join('\n');
}

export interface BenchRecord {
  date: string;
  mode: 'full' | 'quick';
  command: string;
  machine: { cpus: number; cpuModel: string; node: string; loadAverage: number[] };
  settings: { debounceMs: number; sizes: Sizes };
  results: BenchResults;
  checks: Check[];
}

export function benchRecord(
  mode: BenchRecord['mode'],
  command: string,
  sizes: Sizes,
  results: BenchResults,
  checks: Check[],
  loadBefore: number[],
): BenchRecord {
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    mode,
    command,
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model ?? 'unknown',
      node: process.version,
      loadAverage: loadBefore,
    },
    settings: { debounceMs: DEBOUNCE_MS, sizes },
    results,
    checks,
  };
}
