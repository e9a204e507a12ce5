import { describe, expect, it } from 'vitest';
import type { RowResult } from '../../bench/lib/row.js';
import { cpuPerItemAtMost, judgeTargets, limit, p99AtMost, rateAtLeast } from '../../bench/lib/targets.js';

const latency = (p99Ms: number) => ({ count: 10, p50Ms: p99Ms / 2, p99Ms, maxMs: p99Ms });

function row(id: string, figures: Partial<RowResult> & { cpuMs?: number } = {}): RowResult {
  const { cpuMs, ...rest } = figures;
  return {
    id,
    title: id,
    figure: '',
    count: 1000,
    unit: 'intent',
    subject: 'proc',
    checks: [],
    ...(cpuMs !== undefined && { cpu: { wallMs: 1000, cpuMs: { proc: cpuMs } } }),
    ...rest,
  };
}

const verdict = (target: Parameters<typeof judgeTargets>[0][number], rows: RowResult[]) =>
  judgeTargets([target], rows)[0]!;

describe('bench targets', () => {
  it('CPU per item: passes at the factor, fails just past it', () => {
    const target = cpuPerItemAtMost('cpu', 'bridge', 'echo', 2);
    const echo = row('echo', { cpuMs: 20 });
    expect(verdict(target, [row('bridge', { cpuMs: 40 }), echo])).toMatchObject({ value: 2, pass: true });
    expect(verdict(target, [row('bridge', { cpuMs: 40.1 }), echo]).pass).toBe(false);
  });

  it('rate: passes at the share of the reference, fails below it', () => {
    const target = rateAtLeast('bulk', 'bulk', 'ref', 0.6);
    const ref = row('ref', { perSec: 100_000 });
    expect(verdict(target, [row('bulk', { perSec: 60_000 }), ref]).pass).toBe(true);
    expect(verdict(target, [row('bulk', { perSec: 59_999 }), ref]).pass).toBe(false);
  });

  it('p99: takes the coalescing window off before comparing', () => {
    const target = p99AtMost('steady', 'steady', 'echo', 3, 50);
    const echo = row('echo', { latency: latency(4) });
    expect(verdict(target, [row('steady', { latency: latency(62) }), echo])).toMatchObject({ value: 3, pass: true });
    expect(verdict(target, [row('steady', { latency: latency(62.1) }), echo]).pass).toBe(false);
  });

  it('fails a target whose figure is missing, and leaves out one whose rows did not run', () => {
    const target = cpuPerItemAtMost('cpu', 'bridge', 'echo', 2);
    expect(verdict(target, [row('bridge'), row('echo', { cpuMs: 20 })]).pass).toBe(false);
    expect(judgeTargets([target], [row('bridge', { cpuMs: 1 })])).toEqual([]);
  });

  it('judges a limit on one row alone', () => {
    const target = limit('one', 'coalescing', 'exactly 1', (r) => ({
      value: r.count,
      shown: String(r.count),
      pass: r.count === 1,
    }));
    expect(verdict(target, [row('coalescing', { count: 1 })]).pass).toBe(true);
    expect(verdict(target, [row('coalescing', { count: 2 })]).pass).toBe(false);
  });
});
