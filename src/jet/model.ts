/**
 * The dialect-neutral route model. Everything above src/jet/codec speaks in these
 * types; only the codecs know the legacy and jnx protobuf shapes.
 */

import type { FlowActions, FlowMatch } from './flowspec.js';

export type DialectName = 'legacy' | 'jnx';
export const DIALECTS: readonly DialectName[] = ['legacy', 'jnx'];

/**
 * A destination: routing table plus prefix. `prefix` is the canonical address
 * text; for a flow route it is the canonical text of `flowspec`, the match
 * (see flowspec.ts), and `length` is 0.
 */
export interface Destination {
  table: string;
  prefix: string;
  length: number;
  flowspec?: FlowMatch;
}

/** A BGP-static path is identified by its destination and a 64-bit path cookie. */
export interface PathKey extends Destination {
  cookie: bigint;
}

export type PeerType = 'internal' | 'external';

/** Attributes a path carries; names match the MQTT intent payload. */
export interface PathAttributes {
  localPref?: number;
  routePref?: number;
  med?: number;
  asPath?: string;
  communities?: string[];
  originatorId?: string;
  clusterList?: string[];
  peerType?: PeerType;
  noAdvertise?: boolean;
  noExport?: boolean;
  /** A flow route's actions. */
  then?: FlowActions;
}

export interface BgpPath extends PathKey, PathAttributes {
  nextHops: string[];
}

/**
 * A Get / Remove selector: every field optional, `orLonger` widens the prefix
 * match, a cookie of 0 or none matches every path of the destination.
 */
export interface PathMatch {
  table?: string;
  prefix?: string;
  length?: number;
  cookie?: bigint;
  orLonger?: boolean;
  /** A flow route's match; `prefix` then holds its canonical text. */
  flowspec?: FlowMatch;
  /**
   * The match's `communities` list: only paths carrying all of them (entries
   * may be regular expressions). Named apart from a path's `communities` so a
   * path handed over as a match is never restricted by its own attributes.
   */
  matchCommunities?: string[];
}

export type RouteOperation = 'add' | 'modify' | 'update' | 'remove';

/** Result of one Add/Modify/Update/Remove request. `status` is the dialect's enum name. */
export interface OperOutcome {
  status: string;
  code: number;
  completed: number;
}

export type MonitorOp = 'update' | 'remove' | 'end-of-rib';

export interface MonitorEntry {
  op: MonitorOp;
  path?: BgpPath;
}

export type InitializeOutcome = { status: string; code: number; rebound: boolean; ok: boolean };

export type OpCommandFormat = 'text' | 'json' | 'xml';

/** JET's limit of routes (or keys) in one Add/Modify/Update/Remove request. */
export const MAX_ROUTES_PER_REQUEST = 1000;

/** Status names that mean "the router did not do it, ask again later". */
export const RETRYABLE_STATUSES: ReadonlySet<string> = new Set([
  'TRY_AGAIN',
  'REQUEST_NOT_DONE',
  'BGP_NOT_READY',
  'TABLE_NOT_READY',
]);

/** How results, queries and logs name a destination: `10.0.0.0/24`, or a flow route's match text. */
export function routeName(d: Destination): string {
  return d.flowspec === undefined ? `${d.prefix}/${d.length}` : d.prefix;
}

/** `table|prefix/length`: the key of a destination in maps. */
export function destinationKey(d: Destination): string {
  return `${d.table}|${d.prefix}/${d.length}`;
}

/** `table|prefix/length|cookie`: the key of one path in maps. */
export function pathKeyString(k: PathKey): string {
  return `${destinationKey(k)}|${k.cookie}`;
}

/** The key a `pathKeyString` names (the table is all before the last two bars, so it may hold one). */
export function parsePathKey(text: string): PathKey {
  const cookieAt = text.lastIndexOf('|');
  const destinationAt = text.lastIndexOf('|', cookieAt - 1);
  const slash = text.lastIndexOf('/', cookieAt);
  return {
    table: text.slice(0, destinationAt),
    prefix: text.slice(destinationAt + 1, slash),
    length: Number(text.slice(slash + 1, cookieAt)),
    cookie: BigInt(text.slice(cookieAt + 1)),
  };
}
