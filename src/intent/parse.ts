/**
 * Parses an MQTT intent payload into validated intents.
 *
 * A payload is one intent object, an array of them, or `{"intents": [...]}`
 * (which may carry the batch's own `"id"`, echoed as the result's id):
 *
 *   {"id": "a1", "action": "announce", "prefix": "10.123.0.0/24",
 *    "nextHops": ["192.0.2.1"], "localPref": 200, "communities": ["65000:100"]}
 *
 * Fields: `id`, `action` (announce | withdraw, default announce), `prefix`,
 * `table` (default inet.0 / inet6.0 by family), `nextHops` (required and
 * non-empty for announce, same family as the prefix, no duplicates),
 * `localPref`, `routePref`, `med` (uint32), `asPath`, `communities`,
 * `originatorId` (IPv4), `clusterList` (IPv4[]), `peerType` (internal |
 * external), `noAdvertise`, `noExport`. Unknown fields are errors.
 *
 * Problems with the message as a whole (size, encoding, JSON, shape, count,
 * depth) fail the message; a bad intent inside a list fails only that entry,
 * with an error naming the field. The parser never throws: it faces whatever a
 * publisher sends, and size and depth are checked before JSON.parse runs.
 */
import { z } from 'zod';
import type { PathAttributes } from '../jet/model.js';
import { DEFAULT_INTENT_LIMITS, type Intent, type IntentLimits } from './intent.js';
import { flowIntentSchema, resolveFlowIntent } from './flowspec.js';
import { formatPath, issueLines, issueMessage } from './issues.js';
import {
  AddressSyntaxError,
  UINT32_MAX,
  asPathError,
  communityError,
  defaultTable,
  familyName,
  parseAddress,
  parsePrefix,
  quote,
  tableFamily,
  tableNameError,
  type Family,
} from './syntax.js';

export type PayloadEntry =
  | { index: number; intent: Intent }
  | { index: number; id?: string; prefix?: string; error: string };

/** The parsed entries; `id` is the batch id a `{"id", "intents"}` wrapper gave. */
export type PayloadParse = { ok: true; id?: string; entries: PayloadEntry[] } | { ok: false; error: string };

/** Per-intent errors beyond this many are summarised, keeping result messages one readable line. */
const MAX_REPORTED_PROBLEMS = 5;

function intentSchema(limits: IntentLimits) {
  const text = z.string().max(limits.maxStringLength);
  const uint32 = z.int().min(0).max(UINT32_MAX);
  // An AS path of maxAsPathLength 10-digit ASNs with separators outgrows maxStringLength;
  // asPathError bounds the ASN count itself.
  const asPathText = z.string().max(Math.max(limits.maxStringLength, limits.maxAsPathLength * 16));
  return z.strictObject({
    id: text.min(1).optional(),
    action: z.enum(['announce', 'withdraw']).optional(),
    prefix: text,
    table: text.min(1).optional(),
    nextHops: z.array(text).max(limits.maxNextHops).optional(),
    localPref: uint32.optional(),
    routePref: uint32.optional(),
    med: uint32.optional(),
    asPath: asPathText.optional(),
    communities: z.array(text).max(limits.maxCommunities).optional(),
    originatorId: text.optional(),
    clusterList: z.array(text).max(limits.maxAsPathLength).optional(),
    peerType: z.enum(['internal', 'external']).optional(),
    noAdvertise: z.boolean().optional(),
    noExport: z.boolean().optional(),
  });
}

type IntentSchema = ReturnType<typeof intentSchema>;
type RawIntent = z.output<IntentSchema>;

const schemaCache = new WeakMap<IntentLimits, IntentSchema>();

function schemaFor(limits: IntentLimits): IntentSchema {
  let schema = schemaCache.get(limits);
  if (!schema) {
    schema = intentSchema(limits);
    schemaCache.set(limits, schema);
  }
  return schema;
}

/** A problem found after the structure checked out: a path below the intent and a reason. */
interface FieldProblem {
  path: (string | number)[];
  reason: string;
}

function reasonOf(error: unknown): string {
  return error instanceof AddressSyntaxError ? error.message : String(error);
}

/** Parses each address of a list, reporting bad ones and repeats under `field[i]`. */
function parseAddressList(
  field: string,
  values: readonly string[],
  family: Family | undefined,
  problems: FieldProblem[],
): string[] {
  const seen = new Map<string, number>();
  const addresses: string[] = [];
  values.forEach((value, i) => {
    try {
      const { address } = parseAddress(value, family);
      const first = seen.get(address);
      if (first !== undefined) {
        problems.push({ path: [field, i], reason: `${quote(value)} repeats ${field}[${first}]` });
        return;
      }
      seen.set(address, i);
      addresses.push(address);
    } catch (error) {
      problems.push({ path: [field, i], reason: reasonOf(error) });
    }
  });
  return addresses;
}

function resolveTable(raw: RawIntent, family: Family, prefixText: string, problems: FieldProblem[]): string {
  if (raw.table === undefined) return defaultTable(family);
  const tableHolds = tableFamily(raw.table);
  if (tableHolds === undefined) {
    problems.push({ path: ['table'], reason: tableNameError(raw.table)! });
  } else if (tableHolds !== family) {
    problems.push({
      path: ['table'],
      reason: `${raw.table} holds ${familyName(tableHolds)} routes but prefix ${prefixText} is ${familyName(family)}`,
    });
  }
  return raw.table;
}

function resolveAttributes(raw: RawIntent, limits: IntentLimits, problems: FieldProblem[]): PathAttributes {
  const attributes: PathAttributes = {};
  if (raw.localPref !== undefined) attributes.localPref = raw.localPref;
  if (raw.routePref !== undefined) attributes.routePref = raw.routePref;
  if (raw.med !== undefined) attributes.med = raw.med;
  if (raw.asPath !== undefined) {
    const problem = asPathError(raw.asPath, limits.maxAsPathLength);
    if (problem) problems.push({ path: ['asPath'], reason: problem });
    attributes.asPath = raw.asPath;
  }
  if (raw.communities !== undefined) {
    raw.communities.forEach((community, i) => {
      const problem = communityError(community);
      if (problem) problems.push({ path: ['communities', i], reason: problem });
    });
    attributes.communities = raw.communities;
  }
  if (raw.originatorId !== undefined) {
    try {
      attributes.originatorId = parseAddress(raw.originatorId, 'inet').address;
    } catch (error) {
      problems.push({ path: ['originatorId'], reason: reasonOf(error) });
    }
  }
  if (raw.clusterList !== undefined) {
    attributes.clusterList = parseAddressList('clusterList', raw.clusterList, 'inet', problems);
  }
  if (raw.peerType !== undefined) attributes.peerType = raw.peerType;
  if (raw.noAdvertise !== undefined) attributes.noAdvertise = raw.noAdvertise;
  if (raw.noExport !== undefined) attributes.noExport = raw.noExport;
  return attributes;
}

/** Checks what zod cannot see: address syntax, families, tables, AS paths, communities. */
function resolveIntent(raw: RawIntent, limits: IntentLimits, problems: FieldProblem[]): Intent | undefined {
  const action = raw.action ?? 'announce';
  let family: Family | undefined;
  let prefix = '';
  let length = 0;
  try {
    ({ family, prefix, length } = parsePrefix(raw.prefix));
  } catch (error) {
    problems.push({ path: ['prefix'], reason: reasonOf(error) });
  }
  const table = family ? resolveTable(raw, family, `${prefix}/${length}`, problems) : '';

  if (action === 'announce' && !raw.nextHops?.length) {
    const reason = raw.nextHops ? 'must not be empty to announce a route' : 'is required to announce a route';
    problems.push({ path: ['nextHops'], reason });
  }
  const nextHops = parseAddressList('nextHops', raw.nextHops ?? [], family, problems);
  const attributes = resolveAttributes(raw, limits, problems);

  if (problems.length > 0 || family === undefined) return undefined;
  const intent: Intent = { action, table, family, prefix, length, nextHops, attributes };
  if (raw.id !== undefined) intent.id = raw.id;
  return intent;
}

function summarise(lines: string[]): string {
  if (lines.length <= MAX_REPORTED_PROBLEMS) return lines.join('; ');
  const more = lines.length - MAX_REPORTED_PROBLEMS;
  return `${lines.slice(0, MAX_REPORTED_PROBLEMS).join('; ')}; and ${more} more problem${more === 1 ? '' : 's'}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The id and prefix of a rejected intent, when they are short strings, so results can be correlated. */
function correlation(raw: unknown, limits: IntentLimits): { id?: string; prefix?: string } {
  if (!isPlainObject(raw)) return {};
  const pick = (value: unknown) =>
    typeof value === 'string' && value.length <= limits.maxStringLength ? value : undefined;
  const id = pick(raw.id);
  const prefix = pick(raw.prefix);
  return { ...(id !== undefined && { id }), ...(prefix !== undefined && { prefix }) };
}

/** Validates one intent; `base` names it in messages (`intents[3]`, or empty for a lone intent). */
function parseEntry(raw: unknown, index: number, base: string, limits: IntentLimits): PayloadEntry {
  const fail = (lines: string[]): PayloadEntry => ({ index, ...correlation(raw, limits), error: summarise(lines) });
  if (!isPlainObject(raw)) {
    const got = Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw;
    return fail([`${base === '' ? 'payload' : base}: expected an intent object, got ${got}`]);
  }
  // FlowSpec intents have a schema of their own; unicast ones pay one key test.
  if (Object.hasOwn(raw, 'flowspec')) return parseFlowEntry(raw, index, base, limits, fail);
  const schema = schemaFor(limits);
  // The error map only words the issues. Passed on every call it costs zod its
  // compiled fast path (four times slower per intent), so it is given only to
  // the second parse that words the issues of an intent already known to fail.
  let structural = schema.safeParse(raw);
  if (!structural.success) structural = schema.safeParse(raw, { error: issueMessage });
  if (!structural.success) return fail(issueLines(structural.error.issues, base));
  const problems: FieldProblem[] = [];
  const intent = resolveIntent(structural.data, limits, problems);
  if (!intent) {
    return fail(problems.map(({ path, reason }) => `${formatPath(base, path)}: ${reason}`));
  }
  return { index, intent };
}

/** Validates one FlowSpec intent, as parseEntry does a unicast one. */
function parseFlowEntry(
  raw: Record<string, unknown>,
  index: number,
  base: string,
  limits: IntentLimits,
  fail: (lines: string[]) => PayloadEntry,
): PayloadEntry {
  const schema = flowIntentSchema(limits);
  const structural = schema.safeParse(raw, { error: issueMessage });
  if (!structural.success) return fail(issueLines(structural.error.issues, base));
  const problems: FieldProblem[] = [];
  const intent = resolveFlowIntent(structural.data, problems);
  if (!intent) return fail(problems.map(({ path, reason }) => `${formatPath(base, path)}: ${reason}`));
  return { index, intent };
}

/**
 * Whether the JSON text nests arrays/objects deeper than `maxDepth`. A linear
 * scan that skips string contents; run before JSON.parse so a hostile payload
 * cannot make later recursive walks (zod, logging) overflow the stack.
 */
export function jsonNestingExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Size, encoding, depth and JSON checks; the decoded value or a message-level error. */
function decodePayload(payload: Buffer | string, limits: IntentLimits): { value: unknown } | { error: string } {
  const tooLarge = () => ({ error: `payload is larger than the limit of ${limits.maxPayloadBytes} bytes` });
  let text: string;
  if (typeof payload === 'string') {
    // A string is at least as many bytes as characters, so the cheap test goes first.
    if (payload.length > limits.maxPayloadBytes || Buffer.byteLength(payload, 'utf8') > limits.maxPayloadBytes) {
      return tooLarge();
    }
    text = payload;
  } else {
    if (payload.length > limits.maxPayloadBytes) return tooLarge();
    try {
      text = utf8.decode(payload);
    } catch {
      return { error: 'payload is not valid UTF-8' };
    }
  }
  if (text.trim() === '') return { error: 'payload is empty' };
  if (jsonNestingExceeds(text, limits.maxDepth)) {
    return { error: `payload nests deeper than the limit of ${limits.maxDepth} levels` };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: `payload is not JSON: ${(error as Error).message}` };
  }
}

const SHAPE_HINT = 'expected an intent object, an array of intents, or {"intents": [...]}';

interface IntentList {
  items: unknown[];
  base: (i: number) => string;
  /** The wrapper's batch id. */
  id?: string;
}

/** The wrapper's `id`, when it has one: a non-empty string, or a message-level error. */
function batchId(wrapper: Record<string, unknown>): { id?: string } | { error: string } {
  if (!Object.hasOwn(wrapper, 'id')) return {};
  const id = wrapper.id;
  if (typeof id === 'string' && id !== '') return { id };
  const got = id === '' ? 'an empty string' : id === null ? 'null' : typeof id;
  return { error: `payload.id: the batch id must be a non-empty string, got ${got}` };
}

/** The list of raw intents and how to name them in messages, or a message-level error. */
function intentList(value: unknown): IntentList | { error: string } {
  const listed = (items: unknown[]) => ({ items, base: (i: number) => `intents[${i}]` });
  if (Array.isArray(value)) return listed(value);
  if (!isPlainObject(value)) return { error: `payload: ${SHAPE_HINT}, got ${value === null ? 'null' : typeof value}` };
  if (!Object.hasOwn(value, 'intents')) return { items: [value], base: () => '' };
  const others = Object.keys(value).filter((key) => key !== 'intents' && key !== 'id');
  if (others.length > 0) {
    return { error: `payload: ${quote(others[0]!)} is not allowed next to "intents" (${SHAPE_HINT})` };
  }
  const batch = batchId(value);
  if ('error' in batch) return batch;
  if (!Array.isArray(value.intents)) return { error: 'payload: "intents" must be an array' };
  return { ...listed(value.intents), ...batch };
}

function parsePayload(payload: Buffer | string, limits: IntentLimits): PayloadParse {
  const decoded = decodePayload(payload, limits);
  if ('error' in decoded) return { ok: false, error: decoded.error };
  const list = intentList(decoded.value);
  if ('error' in list) return { ok: false, error: list.error };
  if (list.items.length === 0) return { ok: false, error: 'payload holds no intents' };
  if (list.items.length > limits.maxIntentsPerMessage) {
    return {
      ok: false,
      error: `payload holds ${list.items.length} intents, more than the limit of ${limits.maxIntentsPerMessage}`,
    };
  }
  const entries = list.items.map((item, i) => parseEntry(item, i, list.base(i), limits));
  return list.id === undefined ? { ok: true, entries } : { ok: true, id: list.id, entries };
}

/**
 * Parses and validates an intent payload. Never throws: every problem comes
 * back as a message-level `{ok: false}` or as an entry with `error`.
 */
export function parseIntentPayload(
  payload: Buffer | string,
  limits: IntentLimits = DEFAULT_INTENT_LIMITS,
): PayloadParse {
  try {
    return parsePayload(payload, limits);
  } catch (error) {
    // Only a bug gets here; the bridge must survive it and tell the publisher.
    return { ok: false, error: `payload could not be parsed: ${String(error)}` };
  }
}
