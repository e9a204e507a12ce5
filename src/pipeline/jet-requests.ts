/**
 * Sending a list of path operations to JET in requests of at most 1000 paths,
 * with JET's partial-failure rule: a request is processed in order and stops at
 * the first failing path, whose status comes back with the count of paths
 * applied before it. Those are confirmed, the failing one is refused, and the
 * ones after it are not at fault: they go again, first in the next request.
 */
import { performance } from 'node:perf_hooks';
import { MAX_ROUTES_PER_REQUEST, type OperOutcome, type PathKey } from '../jet/model.js';

export interface JetRequestHandlers<Op, P extends PathKey> {
  pathOf(op: Op): P;
  /** Ops to leave out when they come up (say, those of an intent that already failed). */
  skip?(op: Op): boolean;
  /** The ops one reply confirmed, in order. */
  confirmed(ops: readonly Op[]): void;
  /** The op at which a reply stopped, and that reply. */
  refused(op: Op, outcome: OperOutcome): void;
  /** Every request made, for metrics. */
  requested?(size: number, ms: number): void;
}

/**
 * Sends `ops` in order through `send` (one JET request per call). Throws what
 * `send` throws (DeviceUnavailableError, say) and leaves the rest unsent; the
 * handlers have seen everything confirmed until then.
 */
export async function sendInJetRequests<Op, P extends PathKey>(
  ops: readonly Op[],
  send: (paths: P[]) => Promise<OperOutcome>,
  handlers: JetRequestHandlers<Op, P>,
  maxPaths = MAX_ROUTES_PER_REQUEST,
): Promise<void> {
  let next = 0;
  while (next < ops.length) {
    const request: Op[] = [];
    // Where each request entry sits in `ops`, to resume right after a refused one.
    const positions: number[] = [];
    for (; next < ops.length && request.length < maxPaths; next++) {
      const op = ops[next]!;
      if (handlers.skip?.(op) === true) continue;
      request.push(op);
      positions.push(next);
    }
    if (request.length === 0) return;
    const started = performance.now();
    const outcome = await send(request.map((op) => handlers.pathOf(op)));
    handlers.requested?.(request.length, performance.now() - started);
    const applied = appliedCount(outcome, request.length);
    if (applied > 0) handlers.confirmed(applied === request.length ? request : request.slice(0, applied));
    if (applied < request.length) {
      handlers.refused(request[applied]!, outcome);
      next = positions[applied]! + 1;
    }
  }
}

/**
 * How many paths of an `n`-path request the reply says were applied. A failure
 * status means some path failed: a `completed` count that says otherwise is
 * clamped so the last path takes the blame.
 */
export function appliedCount(outcome: OperOutcome, n: number): number {
  if (outcome.status === 'SUCCESS') return n;
  return Math.min(Math.max(outcome.completed, 0), n - 1);
}
