/**
 * The diff between what the bridge has programmed for one destination and what
 * an intent wants there: which paths to add, which to modify, which to remove.
 * A pure function, so the "no RPC when nothing changed" rule is tested without
 * a device.
 */
import type { Intent } from '../intent/intent.js';
import { intentToPaths } from '../intent/route-key.js';
import type { BgpPath } from '../jet/model.js';
import { samePath } from './reconcile.js';

export interface PathDiff {
  /** Paths with a cookie not programmed yet. */
  readonly add: readonly BgpPath[];
  /** Paths whose cookie is programmed with other next hops or attributes. */
  readonly modify: readonly BgpPath[];
  /** Programmed paths the intent no longer wants (a path is also its own key). */
  readonly remove: readonly BgpPath[];
}

const NONE: readonly BgpPath[] = Object.freeze([]);

/**
 * Compares the programmed paths of one destination with the desired ones.
 * `desired` is the full desired set for the destination (from `intentToPaths`),
 * with distinct cookies; `null` means withdraw: remove every programmed path.
 * Equality is the reconciler's `samePath`, so the bridge and its reconciler
 * agree on when a route on the router is already right.
 */
export function diffIntent(programmed: readonly BgpPath[] | undefined, desired: readonly BgpPath[] | null): PathDiff {
  // The common case at scale, a new destination, allocates nothing but the result.
  if (programmed === undefined) return { add: desired ?? NONE, modify: NONE, remove: NONE };
  const wanted = desired ?? NONE;
  const add: BgpPath[] = [];
  const modify: BgpPath[] = [];
  const remove: BgpPath[] = [];
  for (const path of wanted) {
    const current = programmed.find((p) => p.cookie === path.cookie);
    if (current === undefined) add.push(path);
    else if (!samePath(current, path)) modify.push(path);
  }
  for (const path of programmed) {
    if (!wanted.some((w) => w.cookie === path.cookie)) remove.push(path);
  }
  return { add, modify, remove };
}

/** True when applying the diff would change nothing on the device. */
export function isEmptyDiff(diff: PathDiff): boolean {
  return diff.add.length === 0 && diff.modify.length === 0 && diff.remove.length === 0;
}

/**
 * The full desired path set of an intent's destination, as `diffIntent` takes
 * it. An announce names every path the destination should have. A withdraw
 * without next hops wants none (`null`); one with next hops wants what is
 * programmed minus the paths through those next hops.
 */
export function desiredPaths(
  device: string,
  intent: Intent,
  programmed: readonly BgpPath[] | undefined,
): BgpPath[] | null {
  if (intent.action === 'announce') return intentToPaths(device, intent);
  if (intent.nextHops.length === 0 || programmed === undefined) return null;
  const named = intentToPaths(device, intent).map((path) => path.cookie);
  return programmed.filter((path) => !named.includes(path.cookie));
}
