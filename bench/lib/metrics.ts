/**
 * Reading the bridge from outside, as an operator would: its Prometheus
 * counters over HTTP, and its memory from /proc.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { getText } from './http.js';

/**
 * The sum of every sample of `name` (all label sets) in Prometheus text
 * exposition; 0 when the metric has no samples yet.
 */
export function sumSamples(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    // The name must end here: `foo_count` is not a sample of `foo_count_total`.
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isNaN(value)) throw new Error(`cannot read the value of the sample line: ${line}`);
    sum += value;
  }
  return sum;
}

/** The JET requests the bridge has sent so far (all devices and operations). */
export async function jetRequestCount(metricsUrl: string): Promise<number> {
  return sumSamples(await getText(metricsUrl), 'jetbridge_jet_request_seconds_count');
}

export interface ProcessMemory {
  /** Resident set size now, bytes. */
  rssBytes: number;
  /** Peak resident set size (VmHWM), bytes. */
  peakRssBytes: number;
}

/** RSS and peak RSS of `pid` from /proc/<pid>/status (Linux). */
export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field} line`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/**
 * Resets the peak RSS of `pid` to its current RSS (Linux 4.0+, writing 5 to
 * clear_refs). Returns false when the kernel or permissions do not allow it,
 * in which case VmHWM still counts from the process's start.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux the bench targets. */
const CLOCK_TICKS_PER_SEC = 100;

/** CPU time (user + system) `pid` has used so far, in ms, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
}

/** CPU ms per named process (`self` is the bench) over one measurement, and the wall time it took. */
export interface CpuUse {
  wallMs: number;
  cpuMs: Record<string, number>;
}

function cpuNow(pids: Record<string, number>): Record<string, number> {
  const own = process.cpuUsage();
  const now: Record<string, number> = { bench: (own.user + own.system) / 1000 };
  for (const [name, pid] of Object.entries(pids)) now[name] = processCpuMs(pid);
  return now;
}

/** Runs `measure` and reports the CPU time each process in `pids` (and the bench) spent meanwhile. */
export async function withCpuUse<T>(
  pids: Record<string, number>,
  measure: () => Promise<T>,
): Promise<{ result: T; cpu: CpuUse }> {
  const startedAt = performance.now();
  const before = cpuNow(pids);
  const result = await measure();
  const after = cpuNow(pids);
  const cpuMs = Object.fromEntries(Object.keys(after).map((name) => [name, Math.round(after[name]! - before[name]!)]));
  return { result, cpu: { wallMs: Math.round(performance.now() - startedAt), cpuMs } };
}

/** Wraps the timed part of a measurement, for example to take its CPU use. */
export type Meter = <T>(run: () => Promise<T>) => Promise<T>;

export const unmetered: Meter = (run) => run();
