import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/intent/rate-limit.js';

/** A clock the test moves by hand. */
function manualClock(start = 1000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms), set: (ms: number) => (now = ms) };
}

describe('TokenBucket', () => {
  it('starts full and lets a burst through, then refuses', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 3 }, clock.now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it('refills at the configured rate', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 3 }, clock.now);
    expect(bucket.take(3)).toBe(true);
    clock.advance(99);
    expect(bucket.take()).toBe(false);
    clock.advance(1);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('never holds more than the burst', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 1000, burst: 5 }, clock.now);
    clock.advance(60_000);
    expect(bucket.take(5)).toBe(true);
    expect(bucket.take()).toBe(false);
  });

  it('takes all n tokens or none', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 1, burst: 4 }, clock.now);
    expect(bucket.take(3)).toBe(true);
    expect(bucket.take(2)).toBe(false);
    expect(bucket.take(1)).toBe(true);
  });

  it('says how long to wait for tokens', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSec: 4, burst: 2 }, clock.now);
    expect(bucket.waitMs()).toBe(0);
    bucket.take(2);
    expect(bucket.waitMs()).toBe(250);
    expect(bucket.waitMs(2)).toBe(500);
    expect(bucket.waitMs(3)).toBe(Number.POSITIVE_INFINITY);
    clock.advance(250);
    expect(bucket.waitMs()).toBe(0);
  });

  it('is not drained by a clock that steps backwards', () => {
    const clock = manualClock(5000);
    const bucket = new TokenBucket({ ratePerSec: 10, burst: 2 }, clock.now);
    bucket.take(1);
    clock.set(0);
    expect(bucket.take(1)).toBe(true);
  });

  it('refuses nonsense options', () => {
    expect(() => new TokenBucket({ ratePerSec: 0, burst: 1 })).toThrow('ratePerSec must be a positive number, got 0');
    expect(() => new TokenBucket({ ratePerSec: Number.NaN, burst: 1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSec: 1, burst: 0.5 })).toThrow('burst must be at least 1, got 0.5');
  });
});
