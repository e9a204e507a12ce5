/**
 * FlowSpec intents: an intent with a `flowspec` match instead of a `prefix`.
 * The JSON follows the flow syntax operators know from ExaBGP and GoBGP:
 *
 *   {"id": "ddos-17",
 *    "flowspec": {"destination": "203.0.113.0/24", "source": "198.51.100.7/32",
 *                 "protocols": ["udp"], "destinationPorts": [53]},
 *    "then": {"rateLimit": 1000000}}
 *
 * Match fields: `destination`, `source` (prefixes), `protocols` (numbers or
 * names: tcp, udp, icmp, ...), `ports`, `destinationPorts`, `sourcePorts`,
 * `icmpTypes`, `icmpCodes`, `packetLengths`, `dscp` (lists of values: a number,
 * `"1024-65535"`, `">=1024"`, `"<=100"`, `">1023"`, `"<100"`), `tcpFlags`
 * (fin, syn, rst, push, ack, urgent) and `fragment` (not-a-fragment,
 * dont-fragment, is-fragment, first-fragment, last-fragment). At least one.
 * Actions in `then`: `discard`, `rateLimit` (bits per second), `markDscp`,
 * `redirect` (a route target, `target:65000:100`), `sample`; an announce needs
 * one at least, and at most one of discard, rateLimit, redirect. A withdraw
 * names the match only. The table defaults to `inetflow.0` / `inet6flow.0`.
 */
import { z } from 'zod';
import {
  canonicalMatch,
  FLOW_TABLES,
  FRAGMENT_FLAGS,
  flowKey,
  flowTableFamily,
  type FlowActions,
  type FlowMatch,
  type NumericRange,
  PROTOCOL_NUMBERS,
  RANGE_COMPONENT_NAMES,
  RANGE_COMPONENTS,
  type RangeComponent,
  TCP_FLAGS,
  TERMINATING_ACTIONS,
} from '../jet/flowspec.js';
import type { PathAttributes } from '../jet/model.js';
import type { Intent, IntentLimits } from './intent.js';
import {
  AddressSyntaxError,
  communityError,
  familyName,
  parsePrefix,
  quote,
  UINT32_MAX,
  type Family,
} from './syntax.js';

/** Most values in one match list. */
export const MAX_FLOW_VALUES = 64;

/** A problem below the intent: a path and a reason (the caller adds the intent's name). */
export interface FlowProblem {
  path: (string | number)[];
  reason: string;
}

function flowSchema(limits: IntentLimits) {
  const text = z.string().max(limits.maxStringLength);
  const values = z
    .array(z.union([z.int().min(0), z.string().max(32)]))
    .min(1)
    .max(MAX_FLOW_VALUES)
    .optional();
  const rangeFields = Object.fromEntries(RANGE_COMPONENT_NAMES.map((name) => [name, values])) as Record<
    RangeComponent,
    typeof values
  >;
  return z.strictObject({
    id: text.min(1).optional(),
    action: z.enum(['announce', 'withdraw']).optional(),
    table: text.min(1).optional(),
    flowspec: z.strictObject({
      destination: text.optional(),
      source: text.optional(),
      ...rangeFields,
      tcpFlags: z.array(z.enum(TCP_FLAGS)).min(1).max(TCP_FLAGS.length).optional(),
      fragment: z.array(z.enum(FRAGMENT_FLAGS)).min(1).max(FRAGMENT_FLAGS.length).optional(),
    }),
    then: z
      .strictObject({
        discard: z.boolean().optional(),
        rateLimit: z.int().min(1).max(UINT32_MAX).optional(),
        markDscp: z.int().min(1).max(63).optional(),
        redirect: text.optional(),
        sample: z.boolean().optional(),
      })
      .optional(),
    communities: z.array(text).max(limits.maxCommunities).optional(),
  });
}

type FlowSchema = ReturnType<typeof flowSchema>;
export type RawFlowIntent = z.output<FlowSchema>;
type RawMatch = RawFlowIntent['flowspec'];

const schemaCache = new WeakMap<IntentLimits, FlowSchema>();

/** The zod schema of a flow intent for these limits (built once per limits object). */
export function flowIntentSchema(limits: IntentLimits): FlowSchema {
  let schema = schemaCache.get(limits);
  if (schema === undefined) {
    schema = flowSchema(limits);
    schemaCache.set(limits, schema);
  }
  return schema;
}

const RANGE = /^(0|[1-9][0-9]{0,4})-(0|[1-9][0-9]{0,4})$/;
const BOUND = /^(>=|<=|>|<)(0|[1-9][0-9]{0,4})$/;
const NUMBER = /^(0|[1-9][0-9]{0,4})$/;

/** One list value as a range of `component`, or why it is not one. */
function rangeOf(component: RangeComponent, value: number | string): NumericRange | string {
  const max = RANGE_COMPONENTS[component].max;
  const within = (range: NumericRange): NumericRange | string =>
    range.max > max ? `${quote(String(value))} is out of range 0..${max}` : range;
  if (typeof value === 'number') return within({ min: value, max: value });
  if (component === 'protocols' && Object.hasOwn(PROTOCOL_NUMBERS, value)) {
    const n = PROTOCOL_NUMBERS[value]!;
    return { min: n, max: n };
  }
  let match = NUMBER.exec(value);
  if (match) return within({ min: Number(value), max: Number(value) });
  match = RANGE.exec(value);
  if (match) {
    const [min, high] = [Number(match[1]), Number(match[2])];
    if (min > high) return `${quote(value)} starts above its end`;
    return within({ min, max: high });
  }
  match = BOUND.exec(value);
  if (match) {
    const n = Number(match[2]);
    const range = {
      '>=': { min: n, max },
      '>': { min: n + 1, max },
      '<=': { min: 0, max: n },
      '<': { min: 0, max: n - 1 },
    }[match[1] as '>=' | '>' | '<=' | '<'];
    if (range.min > range.max) return `${quote(value)} selects no value in 0..${max}`;
    return within(range);
  }
  const names = component === 'protocols' ? `, or a name (${Object.keys(PROTOCOL_NUMBERS).join(', ')})` : '';
  return `${quote(value)} is not a value: expected N, "N-M", ">=N", "<=N", ">N" or "<N"${names}`;
}

function prefixOf(
  field: 'destination' | 'source',
  text: string,
  problems: FlowProblem[],
): { prefix: string; family: Family } | undefined {
  try {
    const parsed = parsePrefix(text);
    return { prefix: `${parsed.prefix}/${parsed.length}`, family: parsed.family };
  } catch (error) {
    const reason = error instanceof AddressSyntaxError ? error.message : String(error);
    problems.push({ path: ['flowspec', field], reason });
    return undefined;
  }
}

/** The match of a flow intent and its family, with every problem named. */
function resolveMatch(raw: RawMatch, problems: FlowProblem[]): { match: FlowMatch; family: Family | undefined } {
  const match: FlowMatch = {};
  const destination = raw.destination === undefined ? undefined : prefixOf('destination', raw.destination, problems);
  const source = raw.source === undefined ? undefined : prefixOf('source', raw.source, problems);
  if (destination) match.destination = destination.prefix;
  if (source) match.source = source.prefix;
  if (destination && source && destination.family !== source.family) {
    problems.push({
      path: ['flowspec', 'source'],
      reason: `${source.prefix} is ${familyName(source.family)} but destination ${destination.prefix} is ${familyName(destination.family)}`,
    });
  }
  for (const name of RANGE_COMPONENT_NAMES) {
    const values = raw[name];
    if (values === undefined) continue;
    const ranges: NumericRange[] = [];
    values.forEach((value, i) => {
      const range = rangeOf(name, value);
      if (typeof range === 'string') problems.push({ path: ['flowspec', name, i], reason: range });
      else ranges.push(range);
    });
    match[name] = ranges;
  }
  if (raw.tcpFlags !== undefined) match.tcpFlags = raw.tcpFlags;
  if (raw.fragment !== undefined) {
    if (raw.fragment.includes('not-a-fragment') && raw.fragment.includes('is-fragment')) {
      problems.push({
        path: ['flowspec', 'fragment'],
        reason: '"not-a-fragment" and "is-fragment" contradict each other',
      });
    }
    match.fragment = raw.fragment;
  }
  const canonical = canonicalMatch(match);
  if (Object.keys(raw).length === 0) {
    problems.push({
      path: ['flowspec'],
      reason: 'needs at least one match field (destination, source, protocols, ...)',
    });
  }
  return { match: canonical, family: destination?.family ?? source?.family };
}

/** The actions of an announce: at least one, one terminating action at most, a valid route target. */
function resolveActions(raw: RawFlowIntent['then'], problems: FlowProblem[]): FlowActions {
  if (raw === undefined) {
    problems.push({
      path: ['then'],
      reason: 'is required to announce a flow route (discard, rateLimit, markDscp, redirect or sample)',
    });
    return {};
  }
  const then: FlowActions = {};
  if (raw.discard === true) then.discard = true;
  if (raw.rateLimit !== undefined) then.rateLimit = raw.rateLimit;
  if (raw.markDscp !== undefined) then.markDscp = raw.markDscp;
  if (raw.sample === true) then.sample = true;
  if (raw.redirect !== undefined) {
    const problem = raw.redirect.startsWith('target:')
      ? communityError(raw.redirect)
      : `${quote(raw.redirect)} is not a route target (expected target:X:Y)`;
    if (problem) problems.push({ path: ['then', 'redirect'], reason: problem });
    then.redirect = raw.redirect;
  }
  const terminating = TERMINATING_ACTIONS.filter((name) => then[name] !== undefined);
  if (terminating.length > 1) {
    problems.push({
      path: ['then'],
      reason: `${terminating.join(' and ')} cannot be combined: give one of discard, rateLimit, redirect`,
    });
  }
  if (Object.keys(then).length === 0) {
    problems.push({
      path: ['then'],
      reason: 'needs at least one action (discard, rateLimit, markDscp, redirect or sample)',
    });
  }
  return then;
}

function resolveTable(
  raw: RawFlowIntent,
  family: Family | undefined,
  problems: FlowProblem[],
): { table: string; family: Family } {
  if (raw.table === undefined) return { table: FLOW_TABLES[family ?? 'inet'], family: family ?? 'inet' };
  const holds = flowTableFamily(raw.table);
  if (holds === undefined) {
    problems.push({
      path: ['table'],
      reason: `${quote(raw.table)} is not a flow table (expected inetflow.0, inet6flow.0 or <instance>.inetflow.0)`,
    });
  } else if (family !== undefined && holds !== family) {
    problems.push({
      path: ['table'],
      reason: `${raw.table} holds ${familyName(holds)} flow routes but the match is ${familyName(family)}`,
    });
  }
  return { table: raw.table, family: family ?? holds ?? 'inet' };
}

/** Checks what the schema cannot see and builds the intent; undefined when `problems` gained any. */
export function resolveFlowIntent(raw: RawFlowIntent, problems: FlowProblem[]): Intent | undefined {
  const action = raw.action ?? 'announce';
  const { match, family: matchFamily } = resolveMatch(raw.flowspec, problems);
  const { table, family } = resolveTable(raw, matchFamily, problems);
  const attributes: PathAttributes = {};
  if (action === 'announce') attributes.then = resolveActions(raw.then, problems);
  else if (raw.then !== undefined) problems.push({ path: ['then'], reason: 'a withdraw names the match only' });
  if (raw.communities !== undefined) {
    raw.communities.forEach((community, i) => {
      const problem = communityError(community);
      if (problem) problems.push({ path: ['communities', i], reason: problem });
    });
    attributes.communities = raw.communities;
  }
  if (problems.length > 0) return undefined;
  const intent: Intent = {
    action,
    table,
    family,
    prefix: flowKey(match),
    length: 0,
    nextHops: [],
    attributes,
    flowspec: match,
  };
  if (raw.id !== undefined) intent.id = raw.id;
  return intent;
}
