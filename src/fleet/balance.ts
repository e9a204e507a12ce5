/**
 * How many devices each live bridge of a fleet should own, and what one bridge
 * does about it: a pure function of a snapshot of the fleet (live bridges and
 * the devices each holds a lease on), run by every bridge on every check.
 *
 * Each bridge gets floor(n / b) devices; the n mod b bridges that already hold
 * the most (ties broken by client id) get one more. Ranking by what a bridge
 * holds keeps devices where they are whenever the counts allow it, so a fleet
 * that is even stays put, and a bridge that rejoins takes devices only from
 * bridges above their share: each device moves at most once, no flapping.
 */

export interface BridgeHoldings {
  /** The bridge's MQTT client id. */
  readonly id: string;
  /** Devices it holds a lease on. */
  readonly owned: readonly string[];
}

export interface OwnershipPlan {
  /** This bridge's share. */
  readonly quota: number;
  /** Unowned devices to try to lease, in order, until the share is reached. */
  readonly acquire: readonly string[];
  /** Devices to hand over (stop serving, then release the lease). */
  readonly release: readonly string[];
}

/** The number of devices each live bridge should own, by client id. */
export function quotas(bridges: readonly BridgeHoldings[], deviceCount: number): Map<string, number> {
  const result = new Map<string, number>();
  if (bridges.length === 0) return result;
  const base = Math.floor(deviceCount / bridges.length);
  const extra = deviceCount % bridges.length;
  const ranked = [...bridges].sort((a, b) => b.owned.length - a.owned.length || compare(a.id, b.id));
  ranked.forEach((bridge, rank) => {
    result.set(bridge.id, base + (rank < extra ? 1 : 0));
  });
  return result;
}

/**
 * What bridge `me` should do, given the live bridges (`me` among them) and the
 * devices `me` serves. Devices are compared by name; the fleet's bridges are
 * expected to list the same devices.
 */
export function planOwnership(
  me: string,
  bridges: readonly BridgeHoldings[],
  devices: readonly string[],
): OwnershipPlan {
  const quota = quotas(bridges, devices.length).get(me) ?? 0;
  const configured = new Set(devices);
  const mine = (bridges.find((b) => b.id === me)?.owned ?? []).filter((d) => configured.has(d)).sort(compare);
  if (mine.length > quota) return { quota, acquire: [], release: mine.slice(quota) };
  const owned = new Set(bridges.flatMap((b) => b.owned));
  const free = devices.filter((d) => !owned.has(d)).sort(compare);
  return { quota, acquire: mine.length < quota ? free : [], release: [] };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
