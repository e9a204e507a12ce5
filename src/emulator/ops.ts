/**
 * The emulator's operational-command side: what a router's management service
 * (legacy `ExecuteOpCommand`, jnx `OpCommandGet`) answers for the few commands
 * the emulator knows. `show version` and `show route ...` are rendered from the
 * emulator's RIB in the Junos layouts operators and scripts already parse: the
 * CLI text, the `| display json` shape (every element an array of objects, leaf
 * values under `data`) and the `| display xml` shape.
 *
 * Grammar understood (keywords may be abbreviated to a unique prefix, as on the
 * Junos CLI):
 *   show version
 *   show route [protocol <name>] [table <name>] [<prefix>[/<length>] [exact]]
 * A prefix with a length lists that prefix and everything more specific; a bare
 * address lists its longest match; `exact` lists only the prefix itself.
 */
import ipaddr from 'ipaddr.js';
import { flowActionsText } from '../jet/flowspec.js';
import { routeName, type BgpPath, type OpCommandFormat } from '../jet/model.js';
import type { OpCommandHandler } from './jsd.js';

/** A programmed route and when it was programmed or last changed (ms since the epoch). */
export type DatedPath = BgpPath & { since: number };

/** What the handler reads from the emulator: its RIB. */
export interface OpCommandSource {
  routes(): DatedPath[];
}

export interface OpCommandOptions {
  hostname: string;
  /** Shown as the `Junos:` version line. */
  version: string;
  /** Clock for route ages; tests pass a fixed one. */
  now?: () => number;
}

/** Junos shows programmed BGP routes under this protocol name. */
const PROTOCOL_NAME = 'BGP-Static';
/** The preference Junos gives BGP routes when the client sets none. */
const DEFAULT_PREFERENCE = 170;
/** BGP's local preference when none is set. */
const DEFAULT_LOCAL_PREFERENCE = 100;
/** Protocol names `show route protocol` accepts; only bgp-static ever has routes here. */
const PROTOCOLS = [
  'access',
  'aggregate',
  'bgp',
  'bgp-static',
  'direct',
  'isis',
  'ldp',
  'local',
  'ospf',
  'ospf3',
  'rip',
  'rsvp',
  'static',
];
/** Column where the route entry starts after the destination, as in the Junos CLI. */
const DESTINATION_WIDTH = 19;

/**
 * Builds the `opCommand` function the emulator core calls. A route's age
 * column counts from the time the RIB stamped on it when it was programmed.
 */
export function createOpCommandHandler(emulator: OpCommandSource, options: OpCommandOptions): OpCommandHandler {
  const now = options.now ?? Date.now;
  // What is rendered are the source's own route objects, so each carries its `since`.
  const secondsSince = (route: BgpPath) => Math.max(0, Math.floor((now() - (route as DatedPath).since) / 1000));
  return (command, format) => {
    const parsed = parseCommand(command);
    if ('error' in parsed) return { ok: false, data: '', error: parsed.error };
    if (parsed.kind === 'version') return { ok: true, data: renderVersion(options, format) };
    const tables = selectRoutes(emulator.routes(), parsed.filter);
    return { ok: true, data: renderRoutes(tables, format, secondsSince) };
  };
}

// ---------------------------------------------------------------------------
// Route ages

/** Junos age layout: `00:01:02`, `2d 03:04:05`, `1w2d 03:04:05`. */
export function formatAge(totalSeconds: number): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const weeks = Math.floor(totalSeconds / 604_800);
  const days = Math.floor((totalSeconds % 604_800) / 86_400);
  const clock = `${two(Math.floor((totalSeconds % 86_400) / 3600))}:${two(Math.floor((totalSeconds % 3600) / 60))}:${two(totalSeconds % 60)}`;
  if (weeks > 0) return `${weeks}w${days}d ${clock}`;
  if (days > 0) return `${days}d ${clock}`;
  return clock;
}

// ---------------------------------------------------------------------------
// Command parsing

interface RouteFilter {
  protocol?: string;
  table?: string;
  /** With `length`: prefix-and-longer (or exact); without: longest match of an address. */
  address?: string;
  length?: number;
  exact?: boolean;
}

type ParsedCommand = { kind: 'version' } | { kind: 'route'; filter: RouteFilter } | { error: string };

/** The unique keyword `token` abbreviates, or undefined. */
function keyword(token: string | undefined, candidates: readonly string[]): string | undefined {
  if (token === undefined) return undefined;
  if (candidates.includes(token)) return token;
  const matches = candidates.filter((c) => c.startsWith(token));
  return matches.length === 1 ? matches[0] : undefined;
}

const expecting = (what: string, token: string | undefined) =>
  ({
    error: token === undefined ? `syntax error, expecting ${what}` : `syntax error, expecting ${what}: ${token}`,
  }) as const;

function parseCommand(command: string): ParsedCommand {
  const tokens = command
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  if (keyword(tokens[0], ['show']) === undefined) return expecting('<command>', tokens[0]);
  switch (keyword(tokens[1], ['version', 'route'])) {
    case 'version':
      return tokens.length === 2 ? { kind: 'version' } : expecting('<command>', tokens[2]);
    case 'route':
      return parseRouteArguments(tokens.slice(2));
    default:
      return expecting('<command>', tokens[1]);
  }
}

function parseRouteArguments(tokens: string[]): ParsedCommand {
  const filter: RouteFilter = {};
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const word = keyword(token, ['protocol', 'table', 'exact']);
    if (word === 'protocol') {
      const protocol = keyword(tokens[++i], PROTOCOLS);
      if (protocol === undefined) return expecting('<protocol>', tokens[i]);
      filter.protocol = protocol;
    } else if (word === 'table') {
      const table = tokens[++i];
      if (table === undefined) return expecting('<table>', table);
      filter.table = table;
    } else if (word === 'exact') {
      filter.exact = true;
    } else {
      const destination = parseDestination(token);
      if (destination === undefined || filter.address !== undefined) return expecting('<command>', token);
      Object.assign(filter, destination);
    }
  }
  if (filter.exact && filter.address === undefined) return expecting('<destination>', 'exact');
  return { kind: 'route', filter };
}

function parseDestination(token: string): Pick<RouteFilter, 'address' | 'length'> | undefined {
  try {
    if (!token.includes('/')) return { address: ipaddr.parse(token).toString() };
    const [address, length] = ipaddr.parseCIDR(token);
    return { address: address.toString(), length };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Route selection

interface DestinationRoutes {
  destination: string;
  /** Best path first: it is the active one. */
  paths: BgpPath[];
}

interface TableRoutes {
  table: string;
  destinations: DestinationRoutes[];
}

/** Whether `address` lies inside `network/length` (false across families). */
function within(address: string, network: string, length: number): boolean {
  const a = ipaddr.parse(address);
  const n = ipaddr.parse(network);
  return a.kind() === n.kind() && a.match(n, length);
}

/** Lower preference wins, then higher local preference; the cookie keeps the order stable. */
function byPreference(a: BgpPath, b: BgpPath): number {
  const pref = (a.routePref ?? DEFAULT_PREFERENCE) - (b.routePref ?? DEFAULT_PREFERENCE);
  if (pref !== 0) return pref;
  const local = (b.localPref ?? DEFAULT_LOCAL_PREFERENCE) - (a.localPref ?? DEFAULT_LOCAL_PREFERENCE);
  if (local !== 0) return local;
  return a.cookie < b.cookie ? -1 : a.cookie > b.cookie ? 1 : 0;
}

function matchesFilter(route: BgpPath, filter: RouteFilter): boolean {
  if (filter.protocol !== undefined && filter.protocol !== 'bgp-static') return false;
  if (filter.table !== undefined && route.table !== filter.table) return false;
  if (filter.address === undefined) return true;
  // A flow route's key is a match, not a prefix: an address filter never selects it.
  if (route.flowspec !== undefined) return false;
  if (filter.length === undefined) return within(filter.address, route.prefix, route.length);
  if (filter.exact && route.length !== filter.length) return false;
  return route.length >= filter.length && within(route.prefix, filter.address, filter.length);
}

/** For a bare address only the most specific destination containing it counts, per table. */
function keepLongestMatch(routes: BgpPath[]): BgpPath[] {
  const longest = new Map<string, number>();
  for (const route of routes) longest.set(route.table, Math.max(longest.get(route.table) ?? -1, route.length));
  return routes.filter((route) => longest.get(route.table) === route.length);
}

/** Network order (address bytes, then length), as Junos lists destinations. */
function destinationOrder(paths: BgpPath[]): DestinationRoutes[] {
  const groups = new Map<string, { sortKey: number[]; paths: BgpPath[] }>();
  for (const path of paths) {
    const destination = routeName(path);
    let group = groups.get(destination);
    if (!group) {
      // Flow routes keep the order they were programmed in (their key is no address).
      const sortKey = path.flowspec === undefined ? [...ipaddr.parse(path.prefix).toByteArray(), path.length] : [];
      group = { sortKey, paths: [] };
      groups.set(destination, group);
    }
    group.paths.push(path);
  }
  const compare = (x: number[], y: number[]) => {
    if (x.length !== y.length) return x.length - y.length;
    const i = x.findIndex((v, j) => v !== y[j]);
    return i < 0 ? 0 : x[i]! - y[i]!;
  };
  return [...groups]
    .sort(([, a], [, b]) => compare(a.sortKey, b.sortKey))
    .map(([destination, group]) => ({ destination, paths: group.paths.sort(byPreference) }));
}

function selectRoutes(all: BgpPath[], filter: RouteFilter): TableRoutes[] {
  let routes = all.filter((route) => matchesFilter(route, filter));
  if (filter.address !== undefined && filter.length === undefined) routes = keepLongestMatch(routes);
  const byTable = new Map<string, BgpPath[]>();
  for (const route of routes) {
    const list = byTable.get(route.table);
    if (list) list.push(route);
    else byTable.set(route.table, [route]);
  }
  return [...byTable.keys()].sort().map((table) => ({ table, destinations: destinationOrder(byTable.get(table)!) }));
}

// ---------------------------------------------------------------------------
// Rendering

/**
 * A Junos reply as a tree: a string is a leaf's text, null an empty element
 * (`<selected-next-hop/>`), an array repeats the element.
 */
type JunosValue = string | null | JunosElement | JunosElement[];
interface JunosElement {
  [tag: string]: JunosValue;
}

/** `| display json`: every element becomes an array of objects, leaf text sits under `data`. */
function toJunosJson(value: JunosValue): unknown {
  if (value === null) return [{ data: [null] }];
  if (typeof value === 'string') return [{ data: value }];
  const elements = Array.isArray(value) ? value : [value];
  return elements.map((element) =>
    Object.fromEntries(Object.entries(element).map(([tag, v]) => [tag, toJunosJson(v)])),
  );
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `| display xml`, indented like the router's output. */
function toXml(tag: string, value: JunosValue, indent = ''): string {
  if (value === null) return `${indent}<${tag}/>`;
  if (typeof value === 'string') return `${indent}<${tag}>${escapeXml(value)}</${tag}>`;
  if (Array.isArray(value)) return value.map((element) => toXml(tag, element, indent)).join('\n');
  const children = Object.entries(value).map(([child, v]) => toXml(child, v, `${indent}    `));
  return [`${indent}<${tag}>`, ...children, `${indent}</${tag}>`].join('\n');
}

function renderTree(root: string, tree: JunosElement, format: Exclude<OpCommandFormat, 'text'>): string {
  return format === 'json' ? JSON.stringify({ [root]: toJunosJson(tree) }, null, 4) : toXml(root, tree);
}

function renderVersion(options: OpCommandOptions, format: OpCommandFormat): string {
  if (format === 'text') {
    return [`Hostname: ${options.hostname}`, 'Model: jet-emulator', `Junos: ${options.version}`, ''].join('\n');
  }
  const tree: JunosElement = {
    'host-name': options.hostname,
    'product-model': 'jet-emulator',
    'product-name': 'jet-emulator',
    'junos-version': options.version,
  };
  return renderTree('software-information', tree, format);
}

type AgeOf = (route: BgpPath) => number;

function routeCounts(table: TableRoutes) {
  const routes = table.destinations.reduce((sum, d) => sum + d.paths.length, 0);
  return { destinations: table.destinations.length, routes, active: table.destinations.length };
}

/** `, MED 5, localpref 200`: the attributes the brief layout shows after the age. */
function briefAttributes(path: BgpPath): string {
  const parts: string[] = [];
  if (path.med !== undefined) parts.push(`MED ${path.med}`);
  if (path.localPref !== undefined) parts.push(`localpref ${path.localPref}`);
  return parts.map((part) => `, ${part}`).join('');
}

function pathLines(path: BgpPath, active: boolean, ageOf: AgeOf): string[] {
  const preference = path.routePref ?? DEFAULT_PREFERENCE;
  const entry = `${active ? '*' : ' '}[${PROTOCOL_NAME}/${preference}] ${formatAge(ageOf(path))}${briefAttributes(path)}`;
  const asPath = path.asPath ? `${path.asPath} I` : 'I';
  const hops = path.nextHops.map((hop, i) => `${' '.repeat(DESTINATION_WIDTH + 1)}${i === 0 ? '>' : ' '}  to ${hop}`);
  const actions =
    path.then === undefined ? [] : [`${' '.repeat(DESTINATION_WIDTH + 3)}Actions: ${flowActionsText(path.then)}`];
  return [entry, `${' '.repeat(DESTINATION_WIDTH + 3)}AS path: ${asPath}`, ...actions, ...hops];
}

function destinationText(destination: DestinationRoutes, ageOf: AgeOf): string[] {
  const lines = destination.paths.flatMap((path, i) => {
    const [entry, ...rest] = pathLines(path, i === 0, ageOf);
    return [{ entry: entry!, rest }];
  });
  const out: string[] = [];
  const name = destination.destination;
  // A destination wider than its column gets a line of its own, as on the router.
  const firstIndent =
    name.length < DESTINATION_WIDTH ? name.padEnd(DESTINATION_WIDTH) : `${name}\n${' '.repeat(DESTINATION_WIDTH)}`;
  lines.forEach(({ entry, rest }, i) => {
    out.push(`${i === 0 ? firstIndent : ' '.repeat(DESTINATION_WIDTH)}${entry}`, ...rest);
  });
  return out;
}

function routesText(tables: TableRoutes[], ageOf: AgeOf): string {
  const sections = tables.map((table) => {
    const count = routeCounts(table);
    return [
      `${table.table}: ${count.destinations} destinations, ${count.routes} routes (${count.active} active, 0 holddown, 0 hidden)`,
      '+ = Active Route, - = Last Active, * = Both',
      '',
      ...table.destinations.flatMap((destination) => destinationText(destination, ageOf)),
    ].join('\n');
  });
  return sections.length === 0 ? '' : `\n${sections.join('\n\n')}\n`;
}

function routeEntryTree(path: BgpPath, active: boolean, ageOf: AgeOf): JunosElement {
  const entry: JunosElement = {};
  if (active) entry['active-tag'] = '*';
  entry['protocol-name'] = PROTOCOL_NAME;
  entry.preference = String(path.routePref ?? DEFAULT_PREFERENCE);
  entry.age = formatAge(ageOf(path));
  if (path.med !== undefined) entry.med = String(path.med);
  if (path.localPref !== undefined) entry['local-preference'] = String(path.localPref);
  entry['as-path'] = path.asPath ? `${path.asPath} I` : 'I';
  if (path.then !== undefined) entry['flow-actions'] = flowActionsText(path.then);
  entry.nh = path.nextHops.map((to, i): JunosElement => (i === 0 ? { 'selected-next-hop': null, to } : { to }));
  return entry;
}

function routesTree(tables: TableRoutes[], ageOf: AgeOf): JunosElement {
  return {
    'route-table': tables.map((table) => {
      const count = routeCounts(table);
      return {
        'table-name': table.table,
        'destination-count': String(count.destinations),
        'total-route-count': String(count.routes),
        'active-route-count': String(count.active),
        'holddown-route-count': '0',
        'hidden-route-count': '0',
        rt: table.destinations.map((destination) => ({
          'rt-destination': destination.destination,
          'rt-entry': destination.paths.map((path, i) => routeEntryTree(path, i === 0, ageOf)),
        })),
      };
    }),
  };
}

function renderRoutes(tables: TableRoutes[], format: OpCommandFormat, ageOf: AgeOf): string {
  if (format === 'text') return routesText(tables, ageOf);
  return renderTree('route-information', routesTree(tables, ageOf), format);
}
