/**
 * The kinds of target the bench judges, each a ratio between a row and its
 * reference in the same run (absolute figures move too much between runs on a
 * shared machine to be targets), or a limit on one row.
 */
import { cpuPerItemUs, type RowResult, type TargetDefinition, type TargetResult, type Verdict } from './row.js';

const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function referenceOf(target: string, reference: RowResult | undefined): RowResult {
  if (reference === undefined) throw new Error(`target ${target} needs its reference row`);
  return reference;
}

/** The row's CPU per item is at most `factor` times the reference's. */
export function cpuPerItemAtMost(name: string, row: string, reference: string, factor: number): TargetDefinition {
  return {
    name,
    row,
    reference,
    text: `CPU/item <= ${factor}x ${reference}'s`,
    judge(measured, ref): Verdict {
      const mine = cpuPerItemUs(measured);
      const theirs = cpuPerItemUs(referenceOf(name, ref));
      const value = mine / theirs;
      return {
        value,
        shown: `${fixed(value, 2)}x (${fixed(mine)} vs ${fixed(theirs)} us)`,
        pass: value <= factor,
      };
    },
  };
}

/** The row's rate is at least `factor` times the reference's. */
export function rateAtLeast(name: string, row: string, reference: string, factor: number): TargetDefinition {
  const wanted = factor >= 1 ? `${factor}x` : `${Math.round(factor * 100)}% of`;
  return {
    name,
    row,
    reference,
    text: `rate >= ${wanted} ${reference}'s`,
    judge(measured, ref): Verdict {
      const theirs = referenceOf(name, ref).perSec ?? Number.NaN;
      const value = (measured.perSec ?? Number.NaN) / theirs;
      const shown = factor >= 1 ? `${fixed(value)}x` : `${Math.round(value * 100)}%`;
      return {
        value,
        shown: `${shown} (${int(measured.perSec ?? Number.NaN)} vs ${int(theirs)}/s)`,
        pass: value >= factor,
      };
    },
  };
}

/** The row's p99 less `offsetMs` (the coalescing window it waits by design) is at most `factor` times the reference's p99. */
export function p99AtMost(
  name: string,
  row: string,
  reference: string,
  factor: number,
  offsetMs: number,
): TargetDefinition {
  return {
    name,
    row,
    reference,
    text: `p99 - ${offsetMs} ms <= ${factor}x ${reference}'s p99`,
    judge(measured, ref): Verdict {
      const mine = (measured.latency?.p99Ms ?? Number.NaN) - offsetMs;
      const theirs = referenceOf(name, ref).latency?.p99Ms ?? Number.NaN;
      const value = mine / theirs;
      return {
        value,
        shown: `${fixed(value, 2)}x (${fixed(mine)} vs ${fixed(theirs)} ms)`,
        pass: value <= factor,
      };
    },
  };
}

/** A limit on one row alone. */
export function limit(
  name: string,
  row: string,
  text: string,
  judge: (measured: RowResult) => Verdict,
): TargetDefinition {
  return { name, row, text, judge: (measured) => judge(measured) };
}

/**
 * Judges every target against the rows measured. A target whose row or
 * reference did not run is left out (a partial run); one whose figure is
 * missing fails.
 */
export function judgeTargets(targets: readonly TargetDefinition[], rows: readonly RowResult[]): TargetResult[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const judged: TargetResult[] = [];
  for (const target of targets) {
    const row = byId.get(target.row);
    const reference = target.reference === undefined ? undefined : byId.get(target.reference);
    if (row === undefined || (target.reference !== undefined && reference === undefined)) continue;
    const verdict = target.judge(row, reference);
    judged.push({
      name: target.name,
      row: target.row,
      ...(target.reference !== undefined && { reference: target.reference }),
      text: target.text,
      value: verdict.value,
      shown: verdict.shown,
      // NaN compares false everywhere: a missing figure fails.
      pass: verdict.pass && !Number.isNaN(verdict.value),
    });
  }
  return judged;
}
