/**
 * Which JET status a malformed route earns, as a router checks it: the prefix
 * (PREFIX_INVALID, PREFIX_LEN_TOO_LONG), the table (TABLE_INVALID), the next
 * hops (NEXTHOP_ADDRESS_INVALID, NEXTHOP_ECMP_LIMIT) and the attributes
 * (COMMUNITY_LIST_INVALID, ASPATH_INVALID). The syntax rules themselves live in
 * src/intent/syntax.ts, shared with the bridge; this module maps them to
 * statuses and returns routes in canonical form. Every rejection names the
 * field and says why.
 */
import type { WireMatch, WirePath } from '../jet/codec/index.js';
import { FLOW_TABLES } from '../jet/flowspec.js';
import {
  checkFlowDestination,
  type FlowFault,
  type FlowStatus,
  flowActionsFault,
  isFlowFault,
} from './flowspec-validation.js';
import type { BgpPath, Destination, PathAttributes, PathMatch } from '../jet/model.js';
import {
  asPathError,
  communityError,
  familyName,
  MAX_LENGTH,
  parseAddress,
  parsePrefix,
  tableFamily,
  type Family,
} from '../intent/syntax.js';

/** The most next hops (ECMP paths) one route may carry. */
export const MAX_NEXT_HOPS = 64;

export type ValidationStatus =
  | 'PREFIX_INVALID'
  | 'PREFIX_LEN_TOO_LONG'
  | 'TABLE_INVALID'
  | 'NEXTHOP_ADDRESS_INVALID'
  | 'NEXTHOP_ECMP_LIMIT'
  | 'COMMUNITY_LIST_INVALID'
  | 'ASPATH_INVALID'
  | FlowStatus;

/** Why a route or selector was refused: the status to answer and a message naming the field. */
export class Rejection<S extends ValidationStatus = ValidationStatus> {
  constructor(
    readonly status: S,
    readonly message: string,
  ) {}
}

export type PrefixRejection = Rejection<
  'PREFIX_INVALID' | 'PREFIX_LEN_TOO_LONG' | 'FLOWSPEC_ADDR_INVALID' | 'FLOWSPEC_MTCH_FLDS_INVALID' | 'TABLE_INVALID'
>;
export type TableRejection = Rejection<'TABLE_INVALID'>;

function reject<S extends ValidationStatus>(status: S, message: string): Rejection<S> {
  return new Rejection(status, message);
}

function rejectFlow<S extends FlowStatus>(problem: FlowFault<S>): Rejection<S> {
  return new Rejection(problem.fault, problem.message);
}

/** A destination whose prefix is canonical, with its family. */
export interface CheckedDestination extends Destination {
  family: Family;
}

/** The routing tables the emulated router knows, and which family each holds. */
export class KnownTables {
  /** Table name → the family it holds (undefined: a name that does not say). */
  private readonly families: ReadonlyMap<string, Family | undefined>;

  constructor(extra: readonly string[] = []) {
    const names = ['inet.0', 'inet6.0', FLOW_TABLES.inet, FLOW_TABLES.inet6, ...extra];
    this.families = new Map(names.map((name) => [name, tableFamily(name)]));
  }

  has(table: string): boolean {
    return this.families.has(table);
  }

  list(): string[] {
    return [...this.families.keys()];
  }

  /** TABLE_INVALID when the router has no table of this name. */
  unknown(table: string): TableRejection | undefined {
    if (table === '') return reject('TABLE_INVALID', 'no table given');
    if (!this.has(table)) return reject('TABLE_INVALID', `unknown table "${table}" (known: ${this.list().join(', ')})`);
    return undefined;
  }

  /** Why `table` cannot hold a route of `family`, or undefined when it can. */
  problem(table: string, family: Family): TableRejection | undefined {
    const unknown = this.unknown(table);
    if (unknown) return unknown;
    const holds = this.families.get(table);
    if (holds !== undefined && holds !== family) {
      return reject('TABLE_INVALID', `table ${table} holds ${familyName(holds)} routes, not ${familyName(family)}`);
    }
    return undefined;
  }
}

/**
 * Remembers the answer for strings that recur across routes (next hops,
 * communities, AS paths): a batch of a thousand routes usually repeats a few.
 * Bounded: it starts over when full.
 */
class Memo<V> {
  private readonly answers = new Map<string, V>();

  constructor(private readonly limit = 4096) {}

  get(key: string, compute: () => V): V {
    if (this.answers.has(key)) return this.answers.get(key) as V;
    const value = compute();
    if (this.answers.size >= this.limit) this.answers.clear();
    this.answers.set(key, value);
    return value;
  }
}

/**
 * The optional attributes a path carries. Listed as an object so the compiler
 * insists on every key of PathAttributes; copied one by one because object
 * spread costs more than the rest of validating a route.
 */
const ATTRIBUTE_KEYS = Object.keys({
  localPref: true,
  routePref: true,
  med: true,
  asPath: true,
  communities: true,
  originatorId: true,
  clusterList: true,
  peerType: true,
  noAdvertise: true,
  noExport: true,
  // biome-ignore lint/suspicious/noThenProperty: a flow route's actions, named as the intent names them; data, never awaited
  then: true,
} satisfies Record<keyof PathAttributes, true>) as Array<keyof PathAttributes>;

function copyAttributes(target: PathAttributes, source: PathAttributes): void {
  const into = target as Record<keyof PathAttributes, unknown>;
  for (const key of ATTRIBUTE_KEYS) {
    if (source[key] !== undefined) into[key] = source[key];
  }
}

/** Result of parsing one next hop: its canonical text, or why it is not one. */
type AddressCheck = { address: string } | { problem: string };

function familyOfText(address: string): Family {
  return address.includes(':') ? 'inet6' : 'inet';
}

/** Checks the prefix half of a route key and returns it in canonical form. */
function checkDestination(w: {
  family?: WirePath['family'];
  prefix?: string;
  length?: number;
}): CheckedDestination | PrefixRejection {
  if (w.family === undefined || w.family === 'other' || !w.prefix) {
    return reject('PREFIX_INVALID', 'dest_prefix must hold an inet or inet6 address');
  }
  const family = w.family;
  if (familyOfText(w.prefix) !== family) {
    const what = `${JSON.stringify(w.prefix)} is not an ${familyName(family)} address`;
    return reject('PREFIX_INVALID', `dest_prefix: ${what} (${family} field)`);
  }
  const length = w.length ?? 0;
  if (length > MAX_LENGTH[family]) {
    const why = `dest_prefix_len ${length} exceeds ${MAX_LENGTH[family]} for ${familyName(family)}`;
    return reject('PREFIX_LEN_TOO_LONG', why);
  }
  try {
    const parsed = parsePrefix(`${w.prefix}/${length}`);
    return { family, table: '', prefix: parsed.prefix, length };
  } catch (error) {
    return reject('PREFIX_INVALID', `dest_prefix: ${(error as Error).message}`);
  }
}

/** Validates routes and selectors against one router's tables. */
export class RouteValidator {
  private readonly nextHops = new Memo<AddressCheck>();
  private readonly communities = new Memo<string | undefined>();
  private readonly asPaths = new Memo<string | undefined>();

  constructor(readonly tables: KnownTables) {}

  /** A path as read off the wire, in canonical form with `extra` fields added, or why it is refused. */
  path<E extends object = object>(p: WirePath, extra?: E): (BgpPath & E) | Rejection {
    if (p.flowspec !== undefined) return this.flowPath(p, extra);
    const key = this.key(p);
    if (key instanceof Rejection) return key;
    const nextHops = this.checkNextHops(p.nextHops, key.family);
    if (nextHops instanceof Rejection) return nextHops;
    const attributeProblem = this.checkAttributes(p);
    if (attributeProblem) return attributeProblem;
    const path: BgpPath = { table: key.table, prefix: key.prefix, length: key.length, cookie: p.cookie, nextHops };
    copyAttributes(path, p);
    return Object.assign(path, extra);
  }

  /** A flow route: its match is its key; next hops are ignored (a flow route has none). */
  private flowPath<E extends object = object>(p: WirePath, extra?: E): (BgpPath & E) | Rejection {
    const key = this.key(p);
    if (key instanceof Rejection) return key;
    const actionFault = flowActionsFault(p.then);
    if (actionFault) return rejectFlow(actionFault);
    const attributeProblem = this.checkAttributes(p);
    if (attributeProblem) return attributeProblem;
    const path: BgpPath = { table: key.table, prefix: key.prefix, length: 0, cookie: p.cookie, nextHops: [] };
    copyAttributes(path, p);
    path.flowspec = key.flowspec;
    return Object.assign(path, extra);
  }

  /** A route key's destination (table, prefix, length) as Add and Remove name it. */
  key(m: WireMatch): CheckedDestination | PrefixRejection | TableRejection {
    if (m.flowspec !== undefined) {
      const flow = checkFlowDestination(m);
      if (isFlowFault(flow)) return rejectFlow(flow);
      return this.tables.unknown(flow.table) ?? flow;
    }
    const destination = checkDestination(m);
    if (destination instanceof Rejection) return destination;
    const table = m.table ?? '';
    return this.tables.problem(table, destination.family) ?? { ...destination, table };
  }

  /** A Get selector: every field optional, but those present must make sense. */
  selector(m: WireMatch, orLonger: boolean): PathMatch | PrefixRejection | TableRejection {
    const selector: PathMatch = { orLonger };
    if (m.cookie !== undefined) selector.cookie = m.cookie;
    let family: Family | undefined;
    if (m.flowspec !== undefined) {
      const key = this.key(m);
      if (key instanceof Rejection) return key;
      return { ...selector, table: key.table, prefix: key.prefix, length: 0, flowspec: key.flowspec };
    }
    if (m.family !== undefined || m.prefix !== undefined) {
      const destination = checkDestination(m);
      if (destination instanceof Rejection) return destination;
      family = destination.family;
      selector.prefix = destination.prefix;
      selector.length = destination.length;
    }
    if (m.table !== undefined) {
      const problem = family ? this.tables.problem(m.table, family) : this.tables.unknown(m.table);
      if (problem) return problem;
      selector.table = m.table;
    }
    return selector;
  }

  private checkNextHops(nextHops: readonly string[], family: Family): string[] | Rejection {
    if (nextHops.length === 0) return reject('NEXTHOP_ADDRESS_INVALID', 'protocol_nexthops is empty');
    if (nextHops.length > MAX_NEXT_HOPS) {
      return reject('NEXTHOP_ECMP_LIMIT', `${nextHops.length} next hops exceed the limit of ${MAX_NEXT_HOPS}`);
    }
    // Sized up front: an array grown by push reserves room for 17 entries, per route.
    const canonical = new Array<string>(nextHops.length);
    for (const [i, hop] of nextHops.entries()) {
      const check = this.nextHops.get(`${family} ${hop}`, () => {
        try {
          return { address: parseAddress(hop, family).address };
        } catch (error) {
          return { problem: (error as Error).message };
        }
      });
      if ('problem' in check) return reject('NEXTHOP_ADDRESS_INVALID', `protocol_nexthops[${i}]: ${check.problem}`);
      canonical[i] = check.address;
    }
    return canonical;
  }

  private checkAttributes(p: WirePath): Rejection | undefined {
    for (const [i, community] of (p.communities ?? []).entries()) {
      const problem = this.communities.get(community, () => communityError(community));
      if (problem) return reject('COMMUNITY_LIST_INVALID', `communities[${i}]: ${problem}`);
    }
    if (p.asPath !== undefined) {
      const asPath = p.asPath;
      const problem = this.asPaths.get(asPath, () => asPathError(asPath));
      if (problem) return reject('ASPATH_INVALID', `aspath: ${problem}`);
    }
    return undefined;
  }
}
