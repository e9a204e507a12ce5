/**
 * The public JSON shape of BGP monitor events on `jet/<device>/bgp/events` and
 * of the retained per-prefix RIB view on `jet/<device>/bgp/rib/...`.
 *
 * Attribute names are the ones MQTT route intents use, so a consumer can feed a
 * received path back as an intent. Absent attributes are left out rather than
 * written as null; cookies are decimal strings because they are 64-bit and JSON
 * numbers lose precision above 2^53.
 */
import type { BgpPath, Destination, MonitorEntry, MonitorOp, PathAttributes } from '../jet/model.js';

/** One path's attributes as published; the same keys as a route intent. */
export interface PublishedPath extends PathAttributes {
  nextHops: string[];
  /** The 64-bit path cookie in decimal. */
  cookie: string;
}

/** A message on `jet/<device>/bgp/events`. `end-of-rib` carries only `op` and `ts`. */
export type MonitorEvent =
  | ({ op: Exclude<MonitorOp, 'end-of-rib'>; prefix: string; table: string } & PublishedPath & { ts: string })
  | { op: 'end-of-rib'; ts: string };

/** The retained message on a per-prefix RIB topic: every peer-learned path to the destination. */
export interface RibSnapshot {
  prefix: string;
  table: string;
  paths: PublishedPath[];
  /** When the destination last changed. */
  ts: string;
}

/** Thrown for a monitor entry that cannot be published (an update or remove without a path). */
export class MonitorEntryError extends Error {
  override readonly name = 'MonitorEntryError';
}

/** `10.9.0.0/16`: the prefix text a consumer sees. */
export function prefixText(d: Destination): string {
  return `${d.prefix}/${d.length}`;
}

/** The published form of one path: intent attribute names, absent ones and empty lists left out. */
export function publishedPath(path: BgpPath): PublishedPath {
  // Keys are assigned in the documented order, cookie last, so every message reads the same.
  const out: Omit<PublishedPath, 'cookie'> = { nextHops: [...path.nextHops] };
  if (path.localPref !== undefined) out.localPref = path.localPref;
  if (path.routePref !== undefined) out.routePref = path.routePref;
  if (path.med !== undefined) out.med = path.med;
  if (path.asPath !== undefined) out.asPath = path.asPath;
  if (path.communities !== undefined && path.communities.length > 0) out.communities = [...path.communities];
  if (path.originatorId !== undefined) out.originatorId = path.originatorId;
  if (path.clusterList !== undefined && path.clusterList.length > 0) out.clusterList = [...path.clusterList];
  if (path.peerType !== undefined) out.peerType = path.peerType;
  if (path.noAdvertise !== undefined) out.noAdvertise = path.noAdvertise;
  if (path.noExport !== undefined) out.noExport = path.noExport;
  return { ...out, cookie: path.cookie.toString() };
}

/** The event a monitor entry becomes, stamped with `ts`. */
export function toMonitorEvent(entry: MonitorEntry, ts: Date): MonitorEvent {
  const stamp = ts.toISOString();
  if (entry.op === 'end-of-rib') return { op: 'end-of-rib', ts: stamp };
  if (!entry.path) throw new MonitorEntryError(`monitor entry "${entry.op}" has no path`);
  const { path } = entry;
  return { op: entry.op, prefix: prefixText(path), table: path.table, ...publishedPath(path), ts: stamp };
}

/** The retained RIB message for a destination's current paths, in cookie order. */
export function toRibSnapshot(destination: Destination, paths: Iterable<BgpPath>, ts: Date): RibSnapshot {
  const sorted = [...paths].sort((a, b) => (a.cookie < b.cookie ? -1 : a.cookie > b.cookie ? 1 : 0));
  return {
    prefix: prefixText(destination),
    table: destination.table,
    paths: sorted.map(publishedPath),
    ts: ts.toISOString(),
  };
}
