/**
 * The dialect-neutral route logic of the emulated router: what Add, Modify,
 * Update and Remove do to the shared RIB and which status each request earns.
 * Statuses are the enum names both dialects share (the jnx handlers rename the
 * few that differ); every refusal carries a message naming the route.
 */
import type { WireMatch, WirePath } from '../jet/codec/index.js';
import { MAX_ROUTES_PER_REQUEST, type PathMatch, type RouteOperation } from '../jet/model.js';
import type { ProgrammedRoute, Rib } from './rib.js';
import { PathSelection } from './path-match.js';
import type { JetOperStatusName, RejectRule } from './route-faults.js';
import { Rejection, type RouteValidator, type ValidationStatus } from './validation.js';

/** The most routes one Get reply carries, and the batch size when the client asks for 0. */
export const MAX_ROUTES_PER_REPLY = 1000;

export type OperStatus =
  | 'SUCCESS'
  | 'NOT_INITIALIZED'
  | 'NO_OP'
  | 'TOO_MANY_OPS'
  | 'ROUTE_EXISTS'
  | 'ROUTE_NOT_FOUND'
  | 'TRY_AGAIN'
  | ValidationStatus
  | JetOperStatusName;

export type GetStatus =
  | 'SUCCESS'
  | 'NOT_INITIALIZED'
  | 'TABLE_INVALID'
  | 'PREFIX_INVALID'
  | 'PREFIX_LEN_TOO_LONG'
  | 'ROUTE_NOT_FOUND'
  | 'ROUTE_COUNT_INVALID'
  | 'FLOWSPEC_ADDR_INVALID'
  | 'FLOWSPEC_MTCH_FLDS_INVALID'
  | 'COMMUNITY_LIST_INVALID'
  | 'TRY_AGAIN';

/** Outcome of one route-operation request: the status and how many routes were applied before it. */
export interface OperResult {
  status: OperStatus;
  completed: number;
  message?: string;
}

export type RouteChange = 'add' | 'modify' | 'delete';
export type RouteChangeListener = (op: RouteChange, route: ProgrammedRoute) => void;

type KeyStatus = 'ROUTE_EXISTS' | 'ROUTE_NOT_FOUND';

const KEY_PROBLEMS: Readonly<Record<KeyStatus, string>> = {
  ROUTE_EXISTS: 'a path with this table, prefix and cookie is already programmed',
  ROUTE_NOT_FOUND: 'this client has programmed no path with this table, prefix and cookie',
};

/** Why a remove match found nothing, in the terms of what it asked for. */
function notFound(selector: PathMatch, selection: PathSelection): string {
  const where = selector.orLonger ? 'at or inside this prefix' : 'of this destination';
  const cookie = selector.cookie === undefined ? '' : ` with cookie ${selector.cookie}`;
  const communities = selection.restricts ? ` carrying communities ${selection.communities.join(', ')}` : '';
  return `this client has programmed no path ${where}${cookie}${communities}`;
}

/** The answer for request item `index` failing: the items before it were applied. */
function refusal(
  status: OperStatus,
  index: number,
  item: { prefix?: string; length?: number },
  why: string,
): OperResult {
  const name = item.prefix === undefined ? 'route' : `${item.prefix}/${item.length ?? 0}`;
  return { status, completed: index, message: `routes[${index}] (${name}): ${why}` };
}

/** Answers the request-size statuses shared by every route operation. */
function requestSizeProblem(count: number): OperResult | undefined {
  if (count === 0) return { status: 'NO_OP', completed: 0, message: 'the request carries no routes' };
  if (count > MAX_ROUTES_PER_REQUEST) {
    return {
      status: 'TOO_MANY_OPS',
      completed: 0,
      message: `the request carries ${count} routes; at most ${MAX_ROUTES_PER_REQUEST} are allowed`,
    };
  }
  return undefined;
}

/**
 * Applies route operations for one client to the shared RIB. A path key owned by
 * another client counts as present for Add and Update (ROUTE_EXISTS: one client
 * cannot take over another's path) and as absent for Modify and Remove
 * (ROUTE_NOT_FOUND: a client sees and changes only its own paths).
 */
export class RouteProgrammer {
  /** The route-level fault in force: routes it covers are refused with its status. */
  rejectRule: RejectRule | undefined;

  constructor(
    private readonly rib: Rib,
    private readonly validator: RouteValidator,
    private readonly onChange: RouteChangeListener,
    private readonly now: () => number = Date.now,
  ) {}

  /** Add, Modify or Update `paths` in order; the first failure stops the rest. */
  apply(owner: string, op: Exclude<RouteOperation, 'remove'>, paths: readonly WirePath[]): OperResult {
    const sizeProblem = requestSizeProblem(paths.length);
    if (sizeProblem) return sizeProblem;
    const since = this.now();
    for (const [i, wire] of paths.entries()) {
      const route = this.validator.path(wire, { owner, since });
      if (route instanceof Rejection) return refusal(route.status, i, wire, route.message);
      const injected = this.injectedRefusal(op, i, route);
      if (injected) return injected;
      const failure = this.applyOne(owner, op, route);
      if (failure) return refusal(failure, i, route, KEY_PROBLEMS[failure]);
    }
    return { status: 'SUCCESS', completed: paths.length };
  }

  /** The refusal the route-level fault gives request item `index`, if it covers it. */
  private injectedRefusal(
    op: RouteOperation,
    index: number,
    destination: { prefix: string; length: number },
  ): OperResult | undefined {
    const rule = this.rejectRule;
    const inside = rule?.refuses(op, destination);
    if (!rule || inside === undefined) return undefined;
    return refusal(rule.status, index, destination, `refused inside ${inside} (route fault injected)`);
  }

  private applyOne(
    owner: string,
    op: Exclude<RouteOperation, 'remove'>,
    route: ProgrammedRoute,
  ): KeyStatus | undefined {
    const existing = this.rib.get(route);
    if (existing && existing.owner !== owner) return op === 'modify' ? 'ROUTE_NOT_FOUND' : 'ROUTE_EXISTS';
    if (op === 'add' && existing) return 'ROUTE_EXISTS';
    if (op === 'modify' && !existing) return 'ROUTE_NOT_FOUND';
    this.rib.put(route);
    this.onChange(existing ? 'modify' : 'add', route);
    return undefined;
  }

  /**
   * Removes the caller's paths named by `matches`, in order. A match names its
   * destination; a cookie other than 0 narrows it to one path, while 0 (or none)
   * takes every path of the destination; `orLonger` widens it to the
   * destinations inside the prefix; a `communities` list keeps only the paths
   * carrying them. A match that removes nothing answers ROUTE_NOT_FOUND, and
   * `operations_completed` counts matches, not paths.
   */
  remove(owner: string, matches: readonly WireMatch[], orLonger: boolean): OperResult {
    const sizeProblem = requestSizeProblem(matches.length);
    if (sizeProblem) return sizeProblem;
    for (const [i, match] of matches.entries()) {
      const failure = this.removeMatch(owner, match, orLonger, i);
      if (failure) return failure;
    }
    return { status: 'SUCCESS', completed: matches.length };
  }

  /** Removes what one match entry selects, or answers why it removes nothing. */
  private removeMatch(owner: string, match: WireMatch, orLonger: boolean, index: number): OperResult | undefined {
    const key = this.validator.key(match);
    if (key instanceof Rejection) return refusal(key.status, index, match, key.message);
    const selection = PathSelection.of(match.matchCommunities);
    if (selection instanceof Rejection) return refusal(selection.status, index, key, selection.message);
    const injected = this.injectedRefusal('remove', index, key);
    if (injected) return injected;
    const { table, prefix, length } = key;
    const selector: PathMatch = { table, prefix, length, orLonger };
    if (match.cookie !== undefined && match.cookie !== 0n) selector.cookie = match.cookie;
    const paths = this.select(owner, selector, selection);
    if (paths.length === 0) return refusal('ROUTE_NOT_FOUND', index, key, notFound(selector, selection));
    for (const path of paths) {
      const inside = this.injectedRefusal('remove', index, path);
      if (inside) return inside;
    }
    for (const path of paths) this.delete(path);
    return undefined;
  }

  /** The caller's routes matching a validated selector and, when given, a communities filter. */
  select(owner: string, selector: PathMatch, selection?: PathSelection): ProgrammedRoute[] {
    const owned = [...this.rib.select(selector)].filter((r) => r.owner === owner);
    return selection?.restricts ? owned.filter((r) => selection.admits(r)) : owned;
  }

  /** Withdraws every route of `owner` (Cleanup, purge); returns how many. */
  withdrawAll(owner: string): number {
    const owned = this.rib.ownedBy(owner);
    for (const route of owned) this.delete(route);
    return owned.length;
  }

  private delete(route: ProgrammedRoute): void {
    this.rib.delete(route);
    this.onChange('delete', route);
  }
}
