/**
 * Programmed paths: what the bridge has programmed on one device, as JET
 * confirmed it. The pipeline diffs each intent against this state, so a repeat
 * announce costs no RPC, and the reconciler restores it when the router has
 * lost our routes (reconcile.ts).
 *
 * Only confirmed operations change it: a path enters after a successful
 * Update and leaves after a successful Remove.
 *
 * Shaped for a million routes: destinations are found by table, then prefix
 * length, then prefix (see prefixKey: an IPv4 prefix as a small integer, no
 * key string per route). A destination with
 * one path (the usual case) holds the path itself; one with several (ECMP, one
 * per next hop) a small array rather than a Map. Each saves a fifth or more of
 * the memory. Arrays are replaced, never changed in place, so what `get`
 * returned stays as it was.
 */
import type { BgpPath, Destination, PathKey } from '../jet/model.js';

/** One path, or the paths (two or more) of a destination. */
type Held = BgpPath | readonly BgpPath[];
type ByPrefix = Map<string | number, Held>;

const pathsOf = (held: Held): readonly BgpPath[] => (Array.isArray(held) ? held : [held as BgpPath]);

const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * The key of a prefix in its length's Map: canonical dotted-quad IPv4 text
 * (octets 0..255, no leading zeros) as its 32-bit value, a small integer to
 * V8, and any other text (IPv6, anything else a table may hold) as itself.
 * A lookup by integer compares no string, which at a million routes is most
 * of its cost (the key string sits elsewhere in memory). The mapping is one to
 * one: a number never equals a string in a Map, and distinct canonical texts
 * are distinct addresses.
 */
export function prefixKey(prefix: string): string | number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || dots === 3) return prefix;
      value = (value << 8) | octet;
      dots += 1;
      octet = 0;
      digits = 0;
    } else if (c >= ZERO && c <= NINE) {
      // A digit after a leading 0 is not canonical text.
      if (digits > 0 && octet === 0) return prefix;
      octet = octet * 10 + (c - ZERO);
      if (octet > 255) return prefix;
      digits += 1;
    } else {
      return prefix;
    }
  }
  if (dots !== 3 || digits === 0) return prefix;
  // int32, not uint32: V8 keeps every int32 as a small integer, not as a heap number.
  return (value << 8) | octet;
}

export class ProgrammedPaths {
  /** table → prefix length → prefix → paths. */
  private readonly tables = new Map<string, Map<number, ByPrefix>>();
  private pathCount = 0;
  private destinations = 0;

  /** The paths programmed for one destination, or undefined when there are none. */
  get(destination: Destination): readonly BgpPath[] | undefined {
    const held = this.tables.get(destination.table)?.get(destination.length)?.get(prefixKey(destination.prefix));
    return held === undefined ? undefined : pathsOf(held);
  }

  /** Records a path JET confirmed as added or modified (replacing the one with its cookie). */
  apply(path: BgpPath): void {
    const byPrefix = this.prefixesOf(path);
    const key = prefixKey(path.prefix);
    const held = byPrefix.get(key);
    if (held === undefined) {
      byPrefix.set(key, path);
      this.pathCount += 1;
      this.destinations += 1;
      return;
    }
    const paths = pathsOf(held);
    const at = paths.findIndex((p) => p.cookie === path.cookie);
    if (at >= 0) {
      byPrefix.set(key, paths.length === 1 ? path : paths.with(at, path));
    } else {
      byPrefix.set(key, [...paths, path]);
      this.pathCount += 1;
    }
  }

  /** Forgets a path JET confirmed as removed. Returns whether it was known. */
  remove(key: PathKey): boolean {
    const byLength = this.tables.get(key.table);
    const byPrefix = byLength?.get(key.length);
    const prefix = prefixKey(key.prefix);
    const held = byPrefix?.get(prefix);
    const paths = held === undefined ? undefined : pathsOf(held);
    const at = paths === undefined ? -1 : paths.findIndex((p) => p.cookie === key.cookie);
    if (at < 0) return false;
    this.pathCount -= 1;
    if (paths!.length > 1) {
      const rest = paths!.toSpliced(at, 1);
      byPrefix!.set(prefix, rest.length === 1 ? rest[0]! : rest);
      return true;
    }
    // Empty levels are dropped so memory follows the programmed table, not its history.
    this.destinations -= 1;
    byPrefix!.delete(prefix);
    if (byPrefix!.size === 0) byLength!.delete(key.length);
    if (byLength!.size === 0) this.tables.delete(key.table);
    return true;
  }

  /** Number of programmed paths. */
  get size(): number {
    return this.pathCount;
  }

  /** Number of destinations with at least one programmed path. */
  get destinationCount(): number {
    return this.destinations;
  }

  /** Every programmed path, destination by destination (live view: snapshot it before awaiting). */
  *allPaths(): IterableIterator<BgpPath> {
    for (const byLength of this.tables.values()) {
      for (const byPrefix of byLength.values()) {
        for (const held of byPrefix.values()) yield* pathsOf(held);
      }
    }
  }

  private prefixesOf(path: BgpPath): ByPrefix {
    let byLength = this.tables.get(path.table);
    if (byLength === undefined) {
      byLength = new Map();
      this.tables.set(path.table, byLength);
    }
    let byPrefix = byLength.get(path.length);
    if (byPrefix === undefined) {
      byPrefix = new Map();
      byLength.set(path.length, byPrefix);
    }
    return byPrefix;
  }
}
