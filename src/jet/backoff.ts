/**
 * Capped exponential backoff with jitter, for reconnects and for JET statuses
 * that mean "ask again later". The jitter keeps many sessions that lost the
 * same router from reconnecting in lockstep.
 */

export interface BackoffOptions {
  /** Delay ceiling of the first retry. */
  initialMs: number;
  /** No delay exceeds this. */
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry): a random value
 * between half and all of `min(maxMs, initialMs * 2^attempt)`.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
