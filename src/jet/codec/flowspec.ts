/**
 * FlowSpec on the wire, for both dialects: the `inet_flowspec` /
 * `inet6_flowspec` destination (`FlowspecAddress`) and the `flowspec_data`
 * actions (`FlowspecRouteData`). The two dialects declare these messages with
 * the same fields in different packages, so one mapping serves both.
 */
import type { FlowActions, FlowMatch, FragmentFlag, NumericRange, TcpFlag } from '../flowspec.js';
import {
  canonicalMatch,
  FRAGMENT_FLAGS,
  flowKey,
  flowTableFamily,
  RANGE_COMPONENT_NAMES,
  type RangeComponent,
  TCP_FLAG_BITS,
  TCP_FLAGS,
} from '../flowspec.js';
import type { Destination } from '../model.js';
import { addressText, textAddress, type WireAddress } from './address.js';

interface WireRanges {
  rangeList: NumericRange[];
}

interface WireFragment {
  notMatch: boolean;
  match: boolean;
  dontFragement: boolean;
  isAFragement: boolean;
  firstFragement: boolean;
  lastFragement: boolean;
}

/** `FlowspecAddress` of either dialect. */
export interface WireFlowAddress {
  destination: WireAddress | undefined;
  destPrefixLen: number;
  source: WireAddress | undefined;
  sourcePrefixLen: number;
  ipProtocols: WireRanges | undefined;
  ports: WireRanges | undefined;
  destPorts: WireRanges | undefined;
  srcPorts: WireRanges | undefined;
  icmpTypes: WireRanges | undefined;
  icmpCodes: WireRanges | undefined;
  tcpFlags: number;
  pktLengths: WireRanges | undefined;
  dscps: WireRanges | undefined;
  fragment: WireFragment | undefined;
}

/** `FlowspecRouteData` of either dialect. */
export interface WireFlowActions {
  discard: boolean;
  markDscp: number;
  rateLimitVal: number;
  redirectInstRtComm: string;
  sample: boolean;
}

type WireRangeField = Exclude<
  keyof WireFlowAddress,
  'destination' | 'destPrefixLen' | 'source' | 'sourcePrefixLen' | 'tcpFlags' | 'fragment'
>;

const WIRE_FIELD: Readonly<Record<RangeComponent, WireRangeField>> = {
  protocols: 'ipProtocols',
  ports: 'ports',
  destinationPorts: 'destPorts',
  sourcePorts: 'srcPorts',
  icmpTypes: 'icmpTypes',
  icmpCodes: 'icmpCodes',
  packetLengths: 'pktLengths',
  dscp: 'dscps',
};

/** Which family a flow destination belongs to: its addresses say, else its table (IPv4 by default). */
export function flowFamily(d: Pick<Destination, 'table' | 'flowspec'>): 'inet' | 'inet6' {
  const address = d.flowspec?.destination ?? d.flowspec?.source;
  if (address !== undefined) return address.includes(':') ? 'inet6' : 'inet';
  return flowTableFamily(d.table) ?? 'inet';
}

function prefixParts(prefix: string | undefined): [WireAddress | undefined, number] {
  if (prefix === undefined) return [undefined, 0];
  const slash = prefix.lastIndexOf('/');
  return [textAddress(prefix.slice(0, slash)), Number(prefix.slice(slash + 1))];
}

function fragmentOf(flags: readonly FragmentFlag[] | undefined): WireFragment | undefined {
  if (flags === undefined || flags.length === 0) return undefined;
  const not = flags.includes('not-a-fragment');
  return {
    notMatch: not,
    match: !not,
    dontFragement: flags.includes('dont-fragment'),
    isAFragement: not || flags.includes('is-fragment'),
    firstFragement: flags.includes('first-fragment'),
    lastFragement: flags.includes('last-fragment'),
  };
}

/** The `FlowspecAddress` of a match. */
export function encodeFlowAddress(match: FlowMatch): WireFlowAddress {
  const [destination, destPrefixLen] = prefixParts(match.destination);
  const [source, sourcePrefixLen] = prefixParts(match.source);
  const wire: WireFlowAddress = {
    destination,
    destPrefixLen,
    source,
    sourcePrefixLen,
    ipProtocols: undefined,
    ports: undefined,
    destPorts: undefined,
    srcPorts: undefined,
    icmpTypes: undefined,
    icmpCodes: undefined,
    tcpFlags: (match.tcpFlags ?? []).reduce((bits, flag) => bits | TCP_FLAG_BITS[flag], 0),
    pktLengths: undefined,
    dscps: undefined,
    fragment: fragmentOf(match.fragment),
  };
  for (const name of RANGE_COMPONENT_NAMES) {
    const ranges = match[name];
    if (ranges !== undefined) wire[WIRE_FIELD[name]] = { rangeList: ranges.map(({ min, max }) => ({ min, max })) };
  }
  return wire;
}

/** The `inet_flowspec` or `inet6_flowspec` destination of a flow path or key. */
export function encodeFlowPrefix(d: Pick<Destination, 'table' | 'flowspec'>): {
  inetFlowspec?: WireFlowAddress;
  inet6Flowspec?: WireFlowAddress;
} {
  const address = encodeFlowAddress(d.flowspec ?? {});
  return flowFamily(d) === 'inet6' ? { inet6Flowspec: address } : { inetFlowspec: address };
}

function wirePrefixText(address: WireAddress | undefined, length: number): string | undefined {
  return address === undefined ? undefined : `${addressText(address)}/${length}`;
}

function flagsOf(fragment: WireFragment | undefined): FragmentFlag[] {
  if (fragment === undefined) return [];
  const flags: FragmentFlag[] = [];
  if (fragment.notMatch && fragment.isAFragement) flags.push('not-a-fragment');
  else if (fragment.isAFragement) flags.push('is-fragment');
  if (fragment.dontFragement) flags.push('dont-fragment');
  if (fragment.firstFragement) flags.push('first-fragment');
  if (fragment.lastFragement) flags.push('last-fragment');
  return FRAGMENT_FLAGS.filter((f) => flags.includes(f));
}

/**
 * The match as the wire carries it, not yet validated (ranges may be inverted
 * or out of bounds; the emulator checks them). Unknown TCP flag bits are kept
 * out of `tcpFlags` and reported in `unknownTcpBits`.
 */
export function decodeFlowAddress(wire: WireFlowAddress): { match: FlowMatch; unknownTcpBits: number } {
  const match: FlowMatch = {};
  const destination = wirePrefixText(wire.destination, wire.destPrefixLen);
  const source = wirePrefixText(wire.source, wire.sourcePrefixLen);
  if (destination !== undefined) match.destination = destination;
  if (source !== undefined) match.source = source;
  for (const name of RANGE_COMPONENT_NAMES) {
    const list = wire[WIRE_FIELD[name]];
    if (list !== undefined && list.rangeList.length > 0) {
      match[name] = list.rangeList.map(({ min, max }) => ({ min, max }));
    }
  }
  const tcpFlags: TcpFlag[] = TCP_FLAGS.filter((flag) => (wire.tcpFlags & TCP_FLAG_BITS[flag]) !== 0);
  if (tcpFlags.length > 0) match.tcpFlags = tcpFlags;
  const fragment = flagsOf(wire.fragment);
  if (fragment.length > 0) match.fragment = fragment;
  return { match, unknownTcpBits: wire.tcpFlags & ~0x3f };
}

/** A decoded flow destination: family, match (as sent) and the canonical key text. */
export interface DecodedFlowPrefix {
  family: 'inet' | 'inet6';
  flowspec: FlowMatch;
  prefix: string;
  unknownTcpBits: number;
}

/** The flow destination of a route prefix oneof, or undefined when it holds another family. */
export function decodeFlowPrefix(
  p: { inetFlowspec?: WireFlowAddress | undefined; inet6Flowspec?: WireFlowAddress | undefined } | undefined,
): DecodedFlowPrefix | undefined {
  const wire = p?.inetFlowspec ?? p?.inet6Flowspec;
  if (wire === undefined) return undefined;
  const { match, unknownTcpBits } = decodeFlowAddress(wire);
  const family = p?.inetFlowspec !== undefined ? 'inet' : 'inet6';
  return { family, flowspec: match, prefix: flowKey(canonicalMatch(match)), unknownTcpBits };
}

/** The `flowspec_data` of a flow route's actions (0 and "" are proto3's "not set"). */
export function encodeFlowActions(then: FlowActions | undefined): WireFlowActions {
  return {
    discard: then?.discard === true,
    markDscp: then?.markDscp ?? 0,
    rateLimitVal: then?.rateLimit ?? 0,
    redirectInstRtComm: then?.redirect ?? '',
    sample: then?.sample === true,
  };
}

/** The actions a `flowspec_data` carries; only those set. */
export function decodeFlowActions(wire: WireFlowActions): FlowActions {
  const then: FlowActions = {};
  if (wire.discard) then.discard = true;
  if (wire.rateLimitVal !== 0) then.rateLimit = wire.rateLimitVal;
  if (wire.markDscp !== 0) then.markDscp = wire.markDscp;
  if (wire.redirectInstRtComm !== '') then.redirect = wire.redirectInstRtComm;
  if (wire.sample) then.sample = true;
  return then;
}

/** Sets a decoded path's flow actions when the route data carries `flowspec_data`. */
export function decodeFlowData(path: { then?: FlowActions }, data: WireFlowActions | undefined): void {
  if (data !== undefined) path.then = decodeFlowActions(data);
}
