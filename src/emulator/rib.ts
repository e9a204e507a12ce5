/**
 * The emulator's route tables. `PathTable` stores BGP paths by their key (table,
 * prefix, length, cookie) with the destinations grouped per table, so a lookup by
 * key, a Get of one prefix and an `or_longer` sweep all avoid touching unrelated
 * routes. `Rib` adds ownership: every programmed path belongs to the client id
 * that added it, as on a router, where Cleanup and the purge timer withdraw one
 * client's routes.
 */
import ipaddr from 'ipaddr.js';
import { isFlowKey } from '../jet/flowspec.js';
import type { BgpPath, Destination, PathKey, PathMatch } from '../jet/model.js';

/** A programmed path and the client id that owns it. */
export interface ProgrammedRoute extends BgpPath {
  owner: string;
  /** When it was programmed or last changed (ms since the epoch): the age `show route` prints. */
  since: number;
}

/** Above this many paths, a destination indexes its paths by cookie instead of scanning a list. */
const LIST_LIMIT = 16;

/**
 * One destination (prefix/length in a table) and its paths. Most destinations
 * hold one path or a few (one per next hop), so they live in a short list: a
 * Map per destination would cost more memory than the path itself, and a
 * million-route RIB feels that.
 */
class DestinationEntry<T extends BgpPath> {
  private list: T[] = [];
  private byCookie: Map<bigint, T> | undefined;
  /** Network address as a number, computed on the first `or_longer` query that needs it. */
  network: bigint | undefined;

  constructor(
    readonly prefix: string,
    readonly length: number,
  ) {}

  get size(): number {
    return this.byCookie ? this.byCookie.size : this.list.length;
  }

  get(cookie: bigint): T | undefined {
    return this.byCookie ? this.byCookie.get(cookie) : this.list.find((path) => path.cookie === cookie);
  }

  /** Stores `path`, replacing the one with its cookie; returns the replaced one. */
  set(path: T): T | undefined {
    if (this.byCookie) {
      const previous = this.byCookie.get(path.cookie);
      this.byCookie.set(path.cookie, path);
      return previous;
    }
    const index = this.list.findIndex((p) => p.cookie === path.cookie);
    if (index >= 0) return this.list.splice(index, 1, path)[0];
    // A literal for the first path: push would reserve room for 17.
    if (this.list.length === 0) this.list = [path];
    else this.list.push(path);
    if (this.list.length > LIST_LIMIT) {
      this.byCookie = new Map(this.list.map((p) => [p.cookie, p]));
      this.list = [];
    }
    return undefined;
  }

  delete(cookie: bigint): T | undefined {
    if (this.byCookie) {
      const path = this.byCookie.get(cookie);
      this.byCookie.delete(cookie);
      return path;
    }
    const index = this.list.findIndex((p) => p.cookie === cookie);
    return index >= 0 ? this.list.splice(index, 1)[0] : undefined;
  }

  values(): Iterable<T> {
    return this.byCookie ? this.byCookie.values() : this.list;
  }
}

/**
 * The destinations of one table by prefix text. A prefix text usually has one
 * length, so its slot is that destination; several lengths (10.0.0.0/8 and
 * 10.0.0.0/16) share a small array. Keying by the prefix string the path
 * already holds spares a `prefix/length` key string per lookup, which was a
 * seventh of the emulator's time under bulk load.
 */
type Slot<T extends BgpPath> = DestinationEntry<T> | Array<DestinationEntry<T>>;
type Destinations<T extends BgpPath> = Map<string, Slot<T>>;

function entryIn<T extends BgpPath>(
  destinations: Destinations<T> | undefined,
  prefix: string,
  length: number,
): DestinationEntry<T> | undefined {
  const slot = destinations?.get(prefix);
  if (slot === undefined) return undefined;
  if (Array.isArray(slot)) return slot.find((entry) => entry.length === length);
  return slot.length === length ? slot : undefined;
}

function* entriesIn<T extends BgpPath>(destinations: Destinations<T>): IterableIterator<DestinationEntry<T>> {
  for (const slot of destinations.values()) {
    if (Array.isArray(slot)) yield* slot;
    else yield slot;
  }
}

/** Drops an emptied destination from its slot. */
function forget<T extends BgpPath>(destinations: Destinations<T>, entry: DestinationEntry<T>): void {
  const slot = destinations.get(entry.prefix);
  if (!Array.isArray(slot)) {
    destinations.delete(entry.prefix);
    return;
  }
  const rest = slot.filter((other) => other !== entry);
  destinations.set(entry.prefix, rest.length === 1 ? rest[0]! : rest);
}

function addressWidth(prefix: string): number {
  return prefix.includes(':') ? 128 : 32;
}

/** The address as an unsigned integer; prefixes in a table are canonical text, so parsing cannot fail. */
function addressNumber(prefix: string): bigint {
  return ipaddr
    .parse(prefix)
    .toByteArray()
    .reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
}

function networkOf<T extends BgpPath>(entry: DestinationEntry<T>): bigint {
  entry.network ??= addressNumber(entry.prefix);
  return entry.network;
}

/** Whether `inner` lies within `outer` (the same family, at least as long, same leading bits). */
function contains<T extends BgpPath>(
  outer: { prefix: string; length: number; network: bigint },
  inner: DestinationEntry<T>,
): boolean {
  const width = addressWidth(outer.prefix);
  // Flow routes (their prefix text is a match, see jet/flowspec.ts) lie inside no prefix.
  if (isFlowKey(inner.prefix) || addressWidth(inner.prefix) !== width || inner.length < outer.length) return false;
  const hostBits = BigInt(width - outer.length);
  return networkOf(inner) >> hostBits === outer.network >> hostBits;
}

/** Paths keyed by table, prefix, length and cookie. Prefixes must be canonical text. */
export class PathTable<T extends BgpPath> {
  private readonly tables = new Map<string, Destinations<T>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: PathKey): T | undefined {
    return entryIn(this.tables.get(key.table), key.prefix, key.length)?.get(key.cookie);
  }

  /** Stores `path`, replacing the path with the same key; returns the replaced one. */
  put(path: T): T | undefined {
    let destinations = this.tables.get(path.table);
    if (!destinations) {
      destinations = new Map();
      this.tables.set(path.table, destinations);
    }
    let entry = entryIn(destinations, path.prefix, path.length);
    if (!entry) {
      entry = new DestinationEntry(path.prefix, path.length);
      const slot = destinations.get(path.prefix);
      if (slot === undefined) destinations.set(path.prefix, entry);
      else if (Array.isArray(slot)) slot.push(entry);
      else destinations.set(path.prefix, [slot, entry]);
    }
    const previous = entry.set(path);
    if (!previous) this.count += 1;
    return previous;
  }

  /** Removes the path with this key; returns it, or undefined when there was none. */
  delete(key: PathKey): T | undefined {
    const destinations = this.tables.get(key.table);
    const entry = entryIn(destinations, key.prefix, key.length);
    const path = entry?.delete(key.cookie);
    if (!destinations || !entry || !path) return undefined;
    this.count -= 1;
    if (entry.size === 0) forget(destinations, entry);
    if (destinations.size === 0) this.tables.delete(key.table);
    return path;
  }

  /** Removes every path of one destination (all cookies); returns them. */
  deleteDestination(d: Destination): T[] {
    const entry = entryIn(this.tables.get(d.table), d.prefix, d.length);
    if (!entry) return [];
    const removed = [...entry.values()];
    for (const path of removed) this.delete(path);
    return removed;
  }

  /** Every path, grouped by table and destination (destinations in the order their prefix text was first stored). */
  *values(): IterableIterator<T> {
    for (const destinations of this.tables.values()) {
      for (const entry of entriesIn(destinations)) yield* entry.values();
    }
  }

  /**
   * Paths matching a selector: every field is optional; `prefix` needs `length`
   * and names one destination, or with `orLonger` every destination inside it.
   */
  *select(match: PathMatch): IterableIterator<T> {
    const tables = match.table === undefined ? [...this.tables.values()] : [this.tables.get(match.table)];
    for (const destinations of tables) {
      if (destinations) yield* this.selectIn(destinations, match);
    }
  }

  private *selectIn(destinations: Destinations<T>, match: PathMatch): IterableIterator<T> {
    for (const entry of this.destinationsIn(destinations, match)) {
      if (match.cookie === undefined) {
        yield* entry.values();
      } else {
        const path = entry.get(match.cookie);
        if (path) yield path;
      }
    }
  }

  private *destinationsIn(destinations: Destinations<T>, match: PathMatch): IterableIterator<DestinationEntry<T>> {
    if (match.prefix === undefined) {
      yield* entriesIn(destinations);
      return;
    }
    const length = match.length ?? addressWidth(match.prefix);
    if (!match.orLonger || isFlowKey(match.prefix)) {
      const entry = entryIn(destinations, match.prefix, length);
      if (entry) yield entry;
      return;
    }
    const outer = { prefix: match.prefix, length, network: addressNumber(match.prefix) };
    for (const entry of entriesIn(destinations)) {
      if (contains(outer, entry)) yield entry;
    }
  }
}

/** The programmed routes of every client, shared like a router's RIB, with a per-owner index. */
export class Rib {
  private readonly table = new PathTable<ProgrammedRoute>();
  private readonly byOwner = new Map<string, Set<ProgrammedRoute>>();

  get size(): number {
    return this.table.size;
  }

  get(key: PathKey): ProgrammedRoute | undefined {
    return this.table.get(key);
  }

  /** Stores a route, replacing the route with the same key; returns the replaced one. */
  put(route: ProgrammedRoute): ProgrammedRoute | undefined {
    const previous = this.table.put(route);
    if (previous) this.byOwner.get(previous.owner)?.delete(previous);
    let owned = this.byOwner.get(route.owner);
    if (!owned) {
      owned = new Set();
      this.byOwner.set(route.owner, owned);
    }
    owned.add(route);
    return previous;
  }

  delete(key: PathKey): ProgrammedRoute | undefined {
    const removed = this.table.delete(key);
    if (removed) {
      const owned = this.byOwner.get(removed.owner);
      owned?.delete(removed);
      if (owned?.size === 0) this.byOwner.delete(removed.owner);
    }
    return removed;
  }

  select(match: PathMatch): IterableIterator<ProgrammedRoute> {
    return this.table.select(match);
  }

  values(): IterableIterator<ProgrammedRoute> {
    return this.table.values();
  }

  /** How many routes `owner` has programmed. */
  countOwnedBy(owner: string): number {
    return this.byOwner.get(owner)?.size ?? 0;
  }

  /** A snapshot of the routes `owner` has programmed. */
  ownedBy(owner: string): ProgrammedRoute[] {
    return [...(this.byOwner.get(owner) ?? [])];
  }
}
