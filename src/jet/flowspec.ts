/**
 * FlowSpec in the neutral route model: a flow route's match (the traffic it
 * selects) and its actions, and the canonical text that names the match.
 *
 * The match is the flow route's key. Its canonical text, in the style Junos
 * lists `inetflow.0` (`203.0.113.0/24,198.51.100.7/32,proto=17,dstport=53`),
 * is what a flow path holds as its `prefix` (with length 0), so the maps that
 * key unicast paths by table, prefix and cookie key flow paths by their match
 * with no second code path. Two matches select the same traffic exactly when
 * their canonical texts are equal: value lists are sorted and merged first.
 *
 * Units and defaults the JET IDL leaves open are decided here, in one place:
 * `rateLimit` is in bits per second (as Junos's `then rate-limit`), a flow
 * route carries no protocol next hops, and `markDscp` 0 and `rateLimit` 0 cannot
 * be sent (proto3 reads 0 as "not set"; `discard` drops all traffic).
 */

/** An inclusive range of values of one match component; a single value has min = max. */
export interface NumericRange {
  min: number;
  max: number;
}

export const TCP_FLAGS = ['fin', 'syn', 'rst', 'push', 'ack', 'urgent'] as const;
export type TcpFlag = (typeof TCP_FLAGS)[number];
/** Bit of each flag in JET's `TcpFlags` (several flags are OR-ed into one value). */
export const TCP_FLAG_BITS: Readonly<Record<TcpFlag, number>> = {
  fin: 1,
  syn: 2,
  rst: 4,
  push: 8,
  ack: 16,
  urgent: 32,
};

export const FRAGMENT_FLAGS = [
  'not-a-fragment',
  'dont-fragment',
  'is-fragment',
  'first-fragment',
  'last-fragment',
] as const;
export type FragmentFlag = (typeof FRAGMENT_FLAGS)[number];

/** The numeric match components, in RFC 8955 component order, with their largest value and key word. */
export const RANGE_COMPONENTS = {
  protocols: { max: 255, word: 'proto' },
  ports: { max: 65535, word: 'port' },
  destinationPorts: { max: 65535, word: 'dstport' },
  sourcePorts: { max: 65535, word: 'srcport' },
  icmpTypes: { max: 255, word: 'icmp-type' },
  icmpCodes: { max: 255, word: 'icmp-code' },
  packetLengths: { max: 65535, word: 'len' },
  dscp: { max: 63, word: 'dscp' },
} as const;
export type RangeComponent = keyof typeof RANGE_COMPONENTS;
export const RANGE_COMPONENT_NAMES = Object.keys(RANGE_COMPONENTS) as RangeComponent[];

/** What a flow route matches. Addresses are canonical prefixes (`203.0.113.0/24`); lists are canonical (sorted, merged). */
export interface FlowMatch extends Partial<Record<RangeComponent, NumericRange[]>> {
  destination?: string;
  source?: string;
  tcpFlags?: TcpFlag[];
  fragment?: FragmentFlag[];
}

/** What a flow route does to the traffic it matches. */
export interface FlowActions {
  discard?: boolean;
  /** Bits per second. */
  rateLimit?: number;
  markDscp?: number;
  /** A route target, `target:65000:100`: traffic goes to the VRF importing it. */
  redirect?: string;
  sample?: boolean;
}

export const FLOW_ACTIONS = ['discard', 'rateLimit', 'markDscp', 'redirect', 'sample'] as const;
export type FlowActionName = (typeof FLOW_ACTIONS)[number];
/** Actions that decide the traffic's fate; a route may have one of them at most. */
export const TERMINATING_ACTIONS: readonly FlowActionName[] = ['discard', 'rateLimit', 'redirect'];

/** The flow tables by family, as Junos names them. */
export const FLOW_TABLES = { inet: 'inetflow.0', inet6: 'inet6flow.0' } as const;

const FLOW_TABLE_PATTERN = /^(?:[A-Za-z0-9_-]+\.)?inet(6?)flow\.0$/;

/** Which family a flow table (`inetflow.0`, `inet6flow.0`, `<instance>.inetflow.0`) holds; undefined for other names. */
export function flowTableFamily(table: string): 'inet' | 'inet6' | undefined {
  const match = FLOW_TABLE_PATTERN.exec(table);
  if (match === null) return undefined;
  return match[1] === '6' ? 'inet6' : 'inet';
}

/** Sorted by start, overlapping and adjacent ranges merged: one text per set of values. */
export function canonicalRanges(ranges: readonly NumericRange[]): NumericRange[] {
  const sorted = [...ranges].sort((a, b) => a.min - b.min || a.max - b.max);
  const merged: NumericRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && range.min <= last.max + 1) last.max = Math.max(last.max, range.max);
    else merged.push({ min: range.min, max: range.max });
  }
  return merged;
}

/** A match with every list in canonical order; empty lists are dropped. */
export function canonicalMatch(match: FlowMatch): FlowMatch {
  const canonical: FlowMatch = {};
  if (match.destination !== undefined) canonical.destination = match.destination;
  if (match.source !== undefined) canonical.source = match.source;
  for (const name of RANGE_COMPONENT_NAMES) {
    const ranges = match[name];
    if (ranges !== undefined && ranges.length > 0) canonical[name] = canonicalRanges(ranges);
  }
  if (match.tcpFlags?.length) canonical.tcpFlags = TCP_FLAGS.filter((f) => match.tcpFlags!.includes(f));
  if (match.fragment?.length) canonical.fragment = FRAGMENT_FLAGS.filter((f) => match.fragment!.includes(f));
  return canonical;
}

function rangeText({ min, max }: NumericRange): string {
  return min === max ? `=${min}` : `=${min}-${max}`;
}

/**
 * The canonical text of a canonical match: destination and source (`*` when
 * absent), then each component present as `word=value,=value` in component
 * order. It never holds `|`, the separator of path keys.
 */
export function flowKey(match: FlowMatch): string {
  const parts = [match.destination ?? '*', match.source ?? '*'];
  for (const name of RANGE_COMPONENT_NAMES) {
    const ranges = match[name];
    if (ranges !== undefined) parts.push(RANGE_COMPONENTS[name].word + ranges.map(rangeText).join(','));
  }
  if (match.tcpFlags !== undefined) parts.push(`tcp-flag=${match.tcpFlags.join(':')}`);
  if (match.fragment !== undefined) parts.push(`frag=${match.fragment.join(':')}`);
  return parts.join(',');
}

/** Whether a path or destination prefix text is a flow key rather than an address (addresses hold no comma). */
export function isFlowKey(prefix: string): boolean {
  return prefix.includes(',');
}

/** `proto` numbers users know by name, both ways. */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  icmp: 1,
  igmp: 2,
  ipip: 4,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  ospf: 89,
  pim: 103,
  vrrp: 112,
  sctp: 132,
};
const PROTOCOL_NAMES = new Map(Object.entries(PROTOCOL_NUMBERS).map(([name, n]) => [n, name]));

/** A range as the intent JSON writes it: a number, or `"lo-hi"`; protocols by name where they have one. */
function rangeJson(component: RangeComponent, { min, max }: NumericRange): number | string {
  if (min !== max) return `${min}-${max}`;
  return component === 'protocols' ? (PROTOCOL_NAMES.get(min) ?? min) : min;
}

/** A match in the intent's JSON shape, so results, queries and events read like the intent that made them. */
export function flowMatchJson(match: FlowMatch): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  if (match.destination !== undefined) json.destination = match.destination;
  if (match.source !== undefined) json.source = match.source;
  for (const name of RANGE_COMPONENT_NAMES) {
    const ranges = match[name];
    if (ranges !== undefined) json[name] = ranges.map((range) => rangeJson(name, range));
  }
  if (match.tcpFlags !== undefined) json.tcpFlags = match.tcpFlags;
  if (match.fragment !== undefined) json.fragment = match.fragment;
  return json;
}

/** Whether two action sets are the same (absent and false are the same). */
export function sameActions(a: FlowActions | undefined, b: FlowActions | undefined): boolean {
  return (
    !!a?.discard === !!b?.discard &&
    a?.rateLimit === b?.rateLimit &&
    a?.markDscp === b?.markDscp &&
    a?.redirect === b?.redirect &&
    !!a?.sample === !!b?.sample
  );
}

/** Actions in the words `show route` uses: `discard`, `rate-limit 1000000`, `mark-dscp 10`, `redirect target:65000:1`, `sample`. */
export function flowActionsText(then: FlowActions): string {
  const words: string[] = [];
  if (then.discard) words.push('discard');
  if (then.rateLimit !== undefined) words.push(`rate-limit ${then.rateLimit}`);
  if (then.markDscp !== undefined) words.push(`mark-dscp ${then.markDscp}`);
  if (then.redirect !== undefined) words.push(`redirect ${then.redirect}`);
  if (then.sample) words.push('sample');
  return words.join(', ');
}
