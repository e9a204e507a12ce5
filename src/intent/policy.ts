/**
 * Per-device route policy: which tables and prefixes a device accepts from the
 * bridge, how many next hops a route may have, how many routes it may hold, and
 * which publishers may send intents.
 *
 * Prefix entries are Junos-style route filters: `10.0.0.0/8` (exact),
 * `10.0.0.0/8 le 24` (the prefix and longer ones up to /24),
 * `10.0.0.0/8 ge 16` (/16 and longer inside 10/8), `10.0.0.0/8 ge 16 le 24`.
 * Evaluation order: table, then `deny` (first match denies), then the minimum
 * length (a shorter prefix needs an `allow` entry that matches it), then
 * `allow` (when present, a prefix must match one entry), then next hops.
 * `deny` defaults to the default routes 0.0.0.0/0 and ::/0; a configured `deny`
 * list replaces that default, which is how an operator permits a default route.
 *
 * FlowSpec routes are checked by their own rules (flowspec-policy.ts): the
 * table (flow tables are allowed only when listed), the `flowspec` section's
 * allowed actions, destinations and largest rate limit.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { flowTableFamily } from '../jet/flowspec.js';
import {
  compileFlowPolicy,
  flowPolicyConfigSchema,
  type DestinationFilter,
  type FlowPolicy,
} from './flowspec-policy.js';
import type { Intent } from './intent.js';
import { issueLines, issueMessage } from './issues.js';
import {
  AddressSyntaxError,
  MAX_LENGTH,
  familyName,
  type ParsedPrefix,
  parsePrefix,
  quote,
  tableNameError,
  type Family,
} from './syntax.js';

export const DEFAULT_DENY: readonly string[] = ['0.0.0.0/0', '::/0'];
export const DEFAULT_TABLES: readonly string[] = ['inet.0', 'inet6.0'];
export const DEFAULT_MIN_LENGTH: Readonly<Record<Family, number>> = { inet: 8, inet6: 16 };
export const DEFAULT_MAX_NEXT_HOPS = 16;
export const DEFAULT_MAX_ROUTES = 1_000_000;

/** A parsed route filter: prefixes inside `prefix/length` whose length is in `minLength..maxLength`. */
export interface RouteFilter {
  /** The entry as configured, for messages. */
  text: string;
  family: Family;
  prefix: string;
  length: number;
  minLength: number;
  maxLength: number;
  network: ipaddr.IPv4 | ipaddr.IPv6;
}

const BOUND = /^(ge|le)$/;
const NUMBER = /^(?:0|[1-9][0-9]{0,2})$/;

/** Parses `PREFIX [ge N] [le M]`; throws an Error naming the entry and the problem. */
export function parseRouteFilter(text: string): RouteFilter {
  const fail = (reason: string) => new Error(`${quote(text)} is not a route filter: ${reason}`);
  const [prefixText = '', ...rest] = text.trim().split(/\s+/);
  let parsed: ParsedPrefix;
  try {
    parsed = parsePrefix(prefixText);
  } catch (error) {
    throw fail(error instanceof AddressSyntaxError ? error.message : String(error));
  }
  const max = MAX_LENGTH[parsed.family];
  const bounds: Partial<Record<'ge' | 'le', number>> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const word = rest[i]!;
    const value = rest[i + 1];
    if (!BOUND.test(word)) throw fail(`expected "ge N" or "le N" after the prefix, got ${quote(word)}`);
    const key = word as 'ge' | 'le';
    if (key in bounds) throw fail(`"${key}" appears twice`);
    if (value === undefined || !NUMBER.test(value)) throw fail(`"${key}" needs a prefix length`);
    const n = Number(value);
    if (n < parsed.length || n > max) throw fail(`${key} ${n} is out of range ${parsed.length}..${max}`);
    bounds[key] = n;
  }
  const minLength = bounds.ge ?? parsed.length;
  const maxLength = bounds.le ?? (bounds.ge === undefined ? parsed.length : max);
  if (minLength > maxLength) throw fail(`ge ${minLength} is greater than le ${maxLength}`);
  return { text, ...parsed, minLength, maxLength, network: ipaddr.parse(parsed.prefix) };
}

const routeFilterText = z.string().superRefine((text, ctx) => {
  try {
    parseRouteFilter(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message, input: text });
  }
});

const tableName = z.string().superRefine((table, ctx) => {
  if (flowTableFamily(table) !== undefined) return;
  const problem = tableNameError(table);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: table });
});

/** The `policy` section of a device in bridge.config.json. */
export const policyConfigSchema = z.strictObject({
  allow: z.array(routeFilterText).optional(),
  deny: z.array(routeFilterText).default([...DEFAULT_DENY]),
  minLength: z
    .strictObject({
      inet: z.int().min(0).max(32).default(DEFAULT_MIN_LENGTH.inet),
      inet6: z.int().min(0).max(128).default(DEFAULT_MIN_LENGTH.inet6),
    })
    .default({ ...DEFAULT_MIN_LENGTH }),
  maxNextHops: z.int().min(1).default(DEFAULT_MAX_NEXT_HOPS),
  maxRoutes: z.int().min(0).default(DEFAULT_MAX_ROUTES),
  tables: z
    .array(tableName)
    .min(1)
    .default([...DEFAULT_TABLES]),
  allowedPublishers: z.array(z.string().min(1)).optional(),
  flowspec: flowPolicyConfigSchema.extend({ destinations: z.array(routeFilterText).optional() }).optional(),
});

/** The policy as written (every field optional). */
export type PolicyConfig = z.input<typeof policyConfigSchema>;
/** The policy with defaults filled in. */
export type ResolvedPolicyConfig = z.output<typeof policyConfigSchema>;

export type PolicyVerdict = { ok: true } | { ok: false; reason: string };

export interface RoutePolicy {
  /** The most routes the device may hold; the pipeline checks it against the programmed count. */
  readonly maxRoutes: number;
  readonly maxNextHops: number;
  readonly tables: readonly string[];
  /** MQTT client ids allowed to publish intents; undefined allows everyone. */
  readonly allowedPublishers: readonly string[] | undefined;
  check(intent: Intent): PolicyVerdict;
  allowsPublisher(publisher: string | undefined): boolean;
}

export class PolicyConfigError extends Error {
  override readonly name = 'PolicyConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid route policy:\n${problems.join('\n')}`);
  }
}

const ALLOWED = { ok: true } as const;
const LISTED_ENTRIES = 5;

type FiltersByFamily = Record<Family, RouteFilter[]>;

function byFamily(entries: readonly string[] | undefined): FiltersByFamily {
  const filters: FiltersByFamily = { inet: [], inet6: [] };
  for (const text of entries ?? []) {
    const filter = parseRouteFilter(text);
    filters[filter.family].push(filter);
  }
  return filters;
}

function listEntries(filters: readonly RouteFilter[]): string {
  const shown = filters.slice(0, LISTED_ENTRIES).map((f) => f.text);
  const more = filters.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

/**
 * Finds the first filter matching `prefix/length`. Lengths are compared first,
 * which is cheap; the address is parsed only when some filter's range could hold it.
 */
function firstMatch(filters: readonly RouteFilter[], prefix: string, length: number): RouteFilter | undefined {
  let address: ipaddr.IPv4 | ipaddr.IPv6 | undefined;
  for (const filter of filters) {
    if (length < filter.minLength || length > filter.maxLength) continue;
    address ??= ipaddr.parse(prefix);
    if (address.match(filter.network, filter.length)) return filter;
  }
  return undefined;
}

/** A flow destination filter from a route filter entry. */
function destinationFilter(text: string): DestinationFilter {
  const filter = parseRouteFilter(text);
  const sameFamily = (prefix: string) => prefix.includes(':') === (filter.family === 'inet6');
  return {
    text,
    matches: (prefix, length) => sameFamily(prefix) && firstMatch([filter], prefix, length) !== undefined,
  };
}

class CompiledPolicy implements RoutePolicy {
  readonly maxRoutes: number;
  readonly maxNextHops: number;
  readonly tables: readonly string[];
  readonly allowedPublishers: readonly string[] | undefined;
  readonly #tableSet: ReadonlySet<string>;
  readonly #deny: FiltersByFamily;
  readonly #allow: FiltersByFamily | undefined;
  readonly #minLength: Readonly<Record<Family, number>>;
  readonly #publishers: ReadonlySet<string> | undefined;
  readonly #flow: FlowPolicy;

  constructor(config: ResolvedPolicyConfig) {
    this.maxRoutes = config.maxRoutes;
    this.maxNextHops = config.maxNextHops;
    this.tables = config.tables;
    this.allowedPublishers = config.allowedPublishers;
    this.#tableSet = new Set(config.tables);
    this.#deny = byFamily(config.deny);
    this.#allow = config.allow ? byFamily(config.allow) : undefined;
    this.#minLength = config.minLength;
    this.#publishers = config.allowedPublishers ? new Set(config.allowedPublishers) : undefined;
    this.#flow = compileFlowPolicy(config.flowspec, destinationFilter);
  }

  check(intent: Intent): PolicyVerdict {
    const { family, prefix, length } = intent;
    if (!this.#tableSet.has(intent.table)) {
      return { ok: false, reason: `table ${intent.table} is not in the allowed tables [${this.tables.join(', ')}]` };
    }
    if (intent.flowspec !== undefined) return this.#flow.check(intent);
    const denied = firstMatch(this.#deny[family], prefix, length);
    if (denied) return { ok: false, reason: `prefix ${prefix}/${length} is denied by policy (deny ${denied.text})` };

    const allowFilters = this.#allow?.[family];
    const allowed = allowFilters ? firstMatch(allowFilters, prefix, length) : undefined;
    const minLength = this.#minLength[family];
    if (length < minLength && !allowed) {
      return {
        ok: false,
        reason:
          `prefix ${prefix}/${length} is shorter than the minimum length /${minLength} ` +
          `for ${familyName(family)} and no allow entry names it`,
      };
    }
    if (allowFilters && !allowed) {
      const listed = allowFilters.length > 0 ? listEntries(allowFilters) : `none for ${familyName(family)}`;
      return { ok: false, reason: `prefix ${prefix}/${length} is not in the allowed prefixes (allow ${listed})` };
    }
    if (intent.action === 'announce' && intent.nextHops.length > this.maxNextHops) {
      return { ok: false, reason: `${intent.nextHops.length} next hops exceed the limit of ${this.maxNextHops}` };
    }
    return ALLOWED;
  }

  allowsPublisher(publisher: string | undefined): boolean {
    if (!this.#publishers) return true;
    return publisher !== undefined && this.#publishers.has(publisher);
  }
}

/**
 * Compiles a policy (defaults filled in for missing fields) into a fast checker.
 * Throws PolicyConfigError listing every problem when the config is invalid.
 */
export function compilePolicy(config: PolicyConfig = {}): RoutePolicy {
  const parsed = policyConfigSchema.safeParse(config, { error: issueMessage });
  if (!parsed.success) throw new PolicyConfigError(issueLines(parsed.error.issues));
  return new CompiledPolicy(parsed.data);
}
