import { describe, expect, it } from 'vitest';
import { DEBOUNCE_MS, evaluate, type BenchResults } from '../../bench/lib/report.js';
import type { BulkResult, Throughput } from '../../bench/lib/scenarios.js';

const latency = { count: 1, p50Ms: 1, p99Ms: 1, maxMs: 1 };
const rate = (perSec: number, count = 1000): Throughput => ({
  count,
  elapsedMs: (count * 1000) / perSec,
  perSec,
  latency,
  failed: 0,
});
const bulk = (perSec: number, peakRssBytes: number, programmed?: number): BulkResult => ({
  ...rate(perSec, 1_000_000),
  routes: 1_000_000,
  arraySize: 1000,
  ...(programmed !== undefined && { programmed }),
  rssBeforeBytes: 0,
  peakRssBytes,
  bytesPerRoute: peakRssBytes / 1_000_000,
  peakReset: true,
});

function results(overrides: Partial<BenchResults> = {}): BenchResults {
  return {
    ceiling: rate(20_000),
    oneWay: rate(20_000),
    echo: rate(15_000),
    baseline: rate(600),
    single: { ...rate(12_000), programmed: 1000 },
    steady: {
      ...rate(1000),
      latency: { count: 10, p50Ms: 57, p99Ms: DEBOUNCE_MS + 25, maxMs: 90 },
      targetRatePerSec: 1000,
      sentRatePerSec: 1000,
    },
    bulk: bulk(50_000, 1024 ** 3, 1_000_000),
    bulkNoop: bulk(60_000, 500 * 1024 ** 2),
    coalescing: { intents: 100, jetRequests: 1, succeeded: 1, superseded: 99, failed: 0 },
    ...overrides,
  };
}

const verdicts = (r: BenchResults) => Object.fromEntries(evaluate(r).map((c) => [c.name, c.pass]));

describe('evaluate', () => {
  it('passes every target at its limit', () => {
    expect(Object.values(verdicts(results())).every(Boolean)).toBe(true);
  });

  it('fails each target just past its limit', () => {
    expect(verdicts(results({ single: { ...rate(5_999), programmed: 1000 } }))['single vs baseline']).toBe(false);
    expect(verdicts(results({ single: { ...rate(11_999), programmed: 1000 } }))['single vs ceiling']).toBe(false);
    expect(
      verdicts(results({ steady: { ...results().steady, latency: { ...latency, p99Ms: DEBOUNCE_MS + 25.1 } } }))[
        'steady p99'
      ],
    ).toBe(false);
    expect(verdicts(results({ bulk: bulk(49_999, 1024 ** 3, 1_000_000) }))['bulk rate']).toBe(false);
    expect(verdicts(results({ bulk: bulk(50_000, 1024 ** 3 + 1, 1_000_000) }))['bulk memory']).toBe(false);
    expect(verdicts(results({ coalescing: { ...results().coalescing, jetRequests: 2 } }))['coalescing']).toBe(false);
  });

  it('fails correctness when a result failed or routes are missing from the emulator', () => {
    expect(verdicts(results({ single: { ...rate(12_000), failed: 1, programmed: 1000 } }))['single results']).toBe(
      false,
    );
    expect(verdicts(results({ single: { ...rate(12_000), programmed: 999 } }))['single routes']).toBe(false);
    expect(verdicts(results({ bulk: bulk(50_000, 0) }))['bulk routes']).toBe(false);
    expect(
      verdicts(results({ coalescing: { ...results().coalescing, succeeded: 2, superseded: 98 } }))[
        'coalescing results'
      ],
    ).toBe(false);
  });
});
