/**
 * A token bucket, one per device, bounding how fast intents reach a router.
 * `burst` tokens fit in the bucket and it refills at `ratePerSec`; each intent
 * takes a token. The clock is injectable so tests control time.
 */

export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSec: number;
  /** Bucket capacity: how many intents may pass at once after a quiet period. */
  burst: number;
}

export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #refilledAt: number;

  constructor(options: TokenBucketOptions, now: () => number = () => performance.now()) {
    if (!(Number.isFinite(options.ratePerSec) && options.ratePerSec > 0)) {
      throw new RangeError(`ratePerSec must be a positive number, got ${options.ratePerSec}`);
    }
    if (!(Number.isFinite(options.burst) && options.burst >= 1)) {
      throw new RangeError(`burst must be at least 1, got ${options.burst}`);
    }
    this.#ratePerMs = options.ratePerSec / 1000;
    this.#burst = options.burst;
    this.#now = now;
    this.#tokens = options.burst;
    this.#refilledAt = now();
  }

  /** Takes `n` tokens if all are available; otherwise takes none and returns false. */
  take(n = 1): boolean {
    this.#refill();
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }

  /** Milliseconds until `n` tokens are available (0 when they are now; Infinity when n exceeds the burst). */
  waitMs(n = 1): number {
    if (n > this.#burst) return Number.POSITIVE_INFINITY;
    this.#refill();
    return this.#tokens >= n ? 0 : (n - this.#tokens) / this.#ratePerMs;
  }

  #refill(): void {
    const now = this.#now();
    // A clock that steps backwards must not drain the bucket.
    const elapsed = Math.max(0, now - this.#refilledAt);
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#ratePerMs);
    this.#refilledAt = now;
  }
}
