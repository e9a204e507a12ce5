/**
 * Reconciliation: make a device's programmed routes equal the bridge's durable
 * record. Used at start and whenever Initialize answers a fresh SUCCESS (the
 * router has lost this client's routes). The plan is a pure function of the
 * desired paths and what the router reports through Get; only paths this bridge
 * owns (their cookie is the one it derives) are ever removed.
 */
import type { DeviceSession } from '../jet/device.js';
import { sameActions } from '../jet/flowspec.js';
import { MAX_ROUTES_PER_REQUEST, pathKeyString, type BgpPath, type PathKey } from '../jet/model.js';

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

export function chunk<T>(items: readonly T[], size = MAX_ROUTES_PER_REQUEST): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface ReconcileReport extends ReconcilePlan {
  failures: Array<{ op: string; status: string; completed: number }>;
}

/**
 * Reads the device's routes, computes the plan and applies it in ≤1000-route
 * requests (removes first, then adds and updates through Update).
 */
export async function reconcileDevice(
  session: DeviceSession,
  desired: Iterable<BgpPath>,
  owned: (p: BgpPath) => boolean,
): Promise<ReconcileReport> {
  const actual = await session.get({});
  const plan = planReconcile(desired, actual, owned);
  const failures: ReconcileReport['failures'] = [];
  for (const keys of chunk(plan.remove)) {
    const r = await session.oper('remove', keys);
    if (r.status !== 'SUCCESS') failures.push({ op: 'remove', status: r.status, completed: r.completed });
  }
  for (const paths of chunk([...plan.add, ...plan.update])) {
    const r = await session.oper('update', paths);
    if (r.status !== 'SUCCESS') failures.push({ op: 'update', status: r.status, completed: r.completed });
  }
  return { ...plan, failures };
}
