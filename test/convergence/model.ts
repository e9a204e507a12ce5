/**
 * The convergence model: what the router must hold for each prefix, derived
 * from nothing but the intents sent and the answers the bridge gave (the
 * README's "What a failed intent leaves programmed").
 *
 * Per destination, intents take effect in the order they were sent. Starting
 * from nothing, each answer moves the expected paths:
 * - SUCCESS: an announce leaves exactly its paths; a withdraw none.
 * - SUPERSEDED: nothing (a later intent took its place).
 * - any other status (a JET refusal, DEVICE_UNAVAILABLE, a bridge code): the
 *   paths as they were, with the changes the answer counts: the intent's path
 *   added or modified if `added + modified` says so, the other paths removed if
 *   `removed` says so. A partial count of removes is not expected here (a
 *   rejection covers a whole prefix, so a remove request stops at its first
 *   path) and is reported as a model error.
 *
 * Pure: no sockets.
 */
import type { ResultMessage } from '../../src/mqtt/results.js';

/** One path as the model sees it: the next hop (which makes the cookie) and the local preference. */
export interface ModelPath {
  readonly nextHop: string;
  readonly localPref: number;
}

/** What the schedule sent for one prefix, in order. */
export interface ModelIntent {
  readonly prefix: string;
  readonly action: 'announce' | 'withdraw';
  /** For an announce. */
  readonly path?: ModelPath;
  readonly answer?: ResultMessage;
}

export class ModelError extends Error {}

/** The expected paths per prefix, by next hop. */
export function expectedState(intents: readonly ModelIntent[]): Map<string, Map<string, ModelPath>> {
  const state = new Map<string, Map<string, ModelPath>>();
  for (const intent of intents) {
    const before = state.get(intent.prefix) ?? new Map<string, ModelPath>();
    state.set(intent.prefix, apply(before, intent));
  }
  return state;
}

function apply(before: Map<string, ModelPath>, intent: ModelIntent): Map<string, ModelPath> {
  const result = intent.answer?.results[0];
  if (result === undefined) throw new ModelError(`intent on ${intent.prefix} has no answer`);
  if (result.status === 'SUPERSEDED') return before;
  const wanted = new Map<string, ModelPath>();
  if (intent.action === 'announce' && intent.path) wanted.set(intent.path.nextHop, intent.path);
  if (result.status === 'SUCCESS') return wanted;
  const after = new Map(before);
  if (intent.path && result.added + result.modified > 0) after.set(intent.path.nextHop, intent.path);
  const toRemove = [...before.keys()].filter((nextHop) => !wanted.has(nextHop));
  if (result.removed === toRemove.length) for (const nextHop of toRemove) after.delete(nextHop);
  else if (result.removed !== 0)
    throw new ModelError(`${intent.prefix}: ${result.removed} of ${toRemove.length} removes counted`);
  return after;
}
