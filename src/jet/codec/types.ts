/**
 * What a dialect codec must provide: the mapping between the neutral route model
 * and one dialect's protobuf messages, in both directions (the bridge encodes
 * requests and decodes replies; the emulator does the reverse).
 */
import type { BgpPath, DialectName, MonitorOp, PathMatch } from '../model.js';
import { prefixAddress, prefixFamily } from './address.js';
import { decodeFlowPrefix, type WireFlowAddress } from './flowspec.js';

/** A path as read off the wire, before validation: the emulator checks it. */
export interface WirePath extends BgpPath {
  family: 'inet' | 'inet6' | 'other';
  /** TCP flag bits of a flow match that JET does not define (the emulator refuses them). */
  unknownTcpBits?: number;
}

export interface WireMatch extends PathMatch {
  family?: 'inet' | 'inet6' | 'other';
  unknownTcpBits?: number;
}

/** A route prefix oneof that may hold a flow destination. */
type FlowPrefixOneof = { inetFlowspec?: WireFlowAddress | undefined; inet6Flowspec?: WireFlowAddress | undefined };

/**
 * Fills in a flow destination when the prefix oneof holds one: family,
 * canonical key text as `prefix`, length 0 and the match as sent. Called only
 * for prefixes that are not plain inet/inet6, so unicast decoding pays nothing.
 */
export function decodeFlowDestination(target: WirePath | WireMatch, destPrefix: FlowPrefixOneof | undefined): void {
  const flow = decodeFlowPrefix(destPrefix);
  if (flow === undefined) return;
  target.family = flow.family;
  target.prefix = flow.prefix;
  target.length = 0;
  target.flowspec = flow.flowspec;
  if (flow.unknownTcpBits !== 0) target.unknownTcpBits = flow.unknownTcpBits;
}

export interface DialectCodec<Entry, Match> {
  readonly dialect: DialectName;
  encodePath(path: BgpPath): Entry;
  decodePath(entry: Entry): WirePath;
  encodeMatch(match: PathMatch): Match;
  decodeMatch(match: Match | undefined): WireMatch;
  /** Enum number of a route-operation status name, or undefined when this dialect lacks it. */
  operStatusCode(name: string): number | undefined;
  operStatusName(code: number): string;
  monitorOpCode(op: MonitorOp): number;
  monitorOpOf(code: number): MonitorOp;
}

/** Status-name lookups over one dialect's route-operation enum. */
export function operStatuses(
  statusEnum: Record<string | number, string | number>,
): Pick<DialectCodec<unknown, unknown>, 'operStatusCode' | 'operStatusName'> {
  return {
    operStatusCode: (name) => (typeof statusEnum[name] === 'number' ? (statusEnum[name] as number) : undefined),
    operStatusName: (code) => (typeof statusEnum[code] === 'string' ? (statusEnum[code] as string) : `UNKNOWN_${code}`),
  };
}

/** Monitor-operation mapping both ways, from one dialect's table; unknown codes read as updates. */
export function monitorOps(
  codes: Record<MonitorOp, number>,
): Pick<DialectCodec<unknown, unknown>, 'monitorOpCode' | 'monitorOpOf'> {
  const byCode = new Map(Object.entries(codes).map(([op, code]) => [code, op as MonitorOp]));
  return { monitorOpCode: (op) => codes[op], monitorOpOf: (code) => byCode.get(code) ?? 'update' };
}

/** A decoded match; only the fields the request set (an empty communities list is none). */
export function wireMatch(
  destPrefix: (Parameters<typeof prefixFamily>[0] & Parameters<typeof prefixAddress>[0] & FlowPrefixOneof) | undefined,
  length: number,
  table: string | undefined,
  cookie: bigint,
  communities: string[] = [],
): WireMatch {
  const match: WireMatch = {};
  if (destPrefix) {
    match.family = prefixFamily(destPrefix);
    match.prefix = prefixAddress(destPrefix);
    match.length = length;
    if (match.family === 'other') decodeFlowDestination(match, destPrefix);
  }
  if (table !== undefined) match.table = table;
  if (cookie !== 0n) match.cookie = cookie;
  if (communities.length > 0) match.matchCommunities = communities;
  return match;
}
