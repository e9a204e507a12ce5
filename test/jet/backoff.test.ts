/** Backoff delays grow exponentially from initialMs, stop at maxMs, and jitter within the upper half. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/jet/backoff.js';

const options = { initialMs: 100, maxMs: 5000 };

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt until maxMs', () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 5, 6, 40].map((n) => backoffDelay(n, options, top))).toEqual([
      100, 200, 400, 800, 3200, 5000, 5000,
    ]);
  });

  it('never goes below half the ceiling', () => {
    expect(backoffDelay(0, options, () => 0)).toBe(50);
    expect(backoffDelay(10, options, () => 0)).toBe(2500);
  });

  it('stays within [ceiling/2, ceiling] for any attempt and jitter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** attempt);
        const delay = backoffDelay(attempt, options, () => r);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }),
    );
  });
});
