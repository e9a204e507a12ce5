/**
 * The reconcile plan: what to send so that a router holds the desired paths. A
 * pure function of the desired paths and what the router reports through Get;
 * only paths this bridge owns (their cookie is the one it derives) are ever
 * removed. The reconciler (src/pipeline/reconciler.ts) sends it.
 */
import { sameActions } from '../jet/flowspec.js';
import { pathKeyString, type BgpPath, type PathKey } from '../jet/model.js';

export interface ReconcilePlan {
  add: BgpPath[];
  update: BgpPath[];
  remove: PathKey[];
}

/** Attribute-level equality, treating JET defaults (internal peer, no flags, no communities) as absent. */
export function samePath(a: BgpPath, b: BgpPath): boolean {
  return (
    sameList(a.nextHops, b.nextHops) &&
    a.localPref === b.localPref &&
    a.routePref === b.routePref &&
    a.med === b.med &&
    (a.asPath ?? '') === (b.asPath ?? '') &&
    sameList(a.communities, b.communities) &&
    a.originatorId === b.originatorId &&
    sameList(a.clusterList, b.clusterList) &&
    (a.peerType ?? 'internal') === (b.peerType ?? 'internal') &&
    !!a.noAdvertise === !!b.noAdvertise &&
    !!a.noExport === !!b.noExport &&
    (a.then === b.then || sameActions(a.then, b.then))
  );
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export function planReconcile(
  desired: Iterable<BgpPath>,
  actual: Iterable<BgpPath>,
  owned: (p: BgpPath) => boolean,
): ReconcilePlan {
  const onRouter = new Map<string, BgpPath>();
  for (const p of actual) onRouter.set(pathKeyString(p), p);
  const plan: ReconcilePlan = { add: [], update: [], remove: [] };
  const wanted = new Set<string>();
  for (const p of desired) {
    const key = pathKeyString(p);
    wanted.add(key);
    const present = onRouter.get(key);
    if (!present) plan.add.push(p);
    else if (!samePath(present, p)) plan.update.push(p);
  }
  for (const [key, p] of onRouter) {
    if (!wanted.has(key) && owned(p)) plan.remove.push(keyOf(p));
  }
  return plan;
}

/** The key of a path, with a flow route's match (the codecs encode a flow key from it). */
function keyOf(p: BgpPath): PathKey {
  const key: PathKey = { table: p.table, prefix: p.prefix, length: p.length, cookie: p.cookie };
  if (p.flowspec !== undefined) key.flowspec = p.flowspec;
  return key;
}
