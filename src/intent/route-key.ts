/**
 * Route keys: the 64-bit path cookie that names one BGP-static path on a
 * router, and the expansion of an intent into the paths it programs.
 *
 * The cookie is derived, not allocated, so that it is the same in every run:
 * after a restart the bridge can remove or modify a path it added before
 * without having stored the cookie, and two bridges agree on it. One path per
 * next hop (each with its own cookie) is how JET programs ECMP.
 */
import { hash } from 'node:crypto';
import type { BgpPath } from '../jet/model.js';
import type { Intent } from './intent.js';

/**
 * The cookie of the path `device / table / prefix/length via nextHop`: the first
 * 8 bytes of the SHA-256 of those fields, as an unsigned 64-bit integer. The
 * inputs are expected in canonical form (as parsed intents carry them).
 * Never 0n, which JET reads as "no cookie".
 */
export function pathCookie(device: string, table: string, prefix: string, length: number, nextHop: string): bigint {
  // NUL cannot occur in any of the fields, so the joined text is unambiguous.
  const digest = hash('sha256', `${device}\0${table}\0${prefix}/${length}\0${nextHop}`, 'hex');
  // The first 16 hex digits are the first 8 bytes, big-endian. Hex text is cheaper
  // to get than a Buffer, whose allocation cost more than the hash itself.
  const cookie = BigInt(`0x${digest.slice(0, 16)}`);
  return cookie === 0n ? 1n : cookie;
}

/**
 * Most distinct next hops whose one-element `nextHops` array is shared. A
 * router has few next hops and a table many routes: a million paths through a
 * handful of gateways then hold a handful of arrays and strings, not a
 * million of each (88 bytes a path). Past the bound, arrays are made per path.
 */
const MAX_SHARED_NEXT_HOPS = 10_000;
const sharedNextHops = new Map<string, readonly string[]>();

/** The frozen `[nextHop]` array, shared by every path through `nextHop` while the bound allows. */
function nextHopsOf(nextHop: string): string[] {
  let shared = sharedNextHops.get(nextHop);
  if (shared === undefined) {
    shared = Object.freeze([nextHop]);
    if (sharedNextHops.size < MAX_SHARED_NEXT_HOPS) sharedNextHops.set(nextHop, shared);
  }
  // Frozen: a path's next hops are never changed in place (BgpPath objects are values).
  return shared as string[];
}

/**
 * The BGP-static paths an intent names on `device`: one per next hop, each
 * carrying the intent's attributes. A withdraw with no next hops names none
 * (the caller looks up what it programmed for the prefix).
 */
export function intentToPaths(device: string, intent: Intent): BgpPath[] {
  const { table, prefix, length, attributes } = intent;
  if (intent.flowspec !== undefined) return [flowPath(device, intent)];
  return intent.nextHops.map((nextHop) => {
    const cookie = pathCookie(device, table, prefix, length, nextHop);
    const path: BgpPath = { table, prefix, length, cookie, nextHops: nextHopsOf(nextHop) };
    // Object.assign onto the keyed object is several times faster than a spread here,
    // which matters at a million routes; PathAttributes holds no key fields to clobber.
    return Object.assign(path, attributes);
  });
}

/**
 * The one path of a flow route: no next hops (a flow route has none), its
 * cookie derived from device, table and the match's canonical text.
 */
function flowPath(device: string, intent: Intent): BgpPath {
  const { table, prefix, length, flowspec, attributes } = intent;
  const cookie = pathCookie(device, table, prefix, length, '');
  return Object.assign({ table, prefix, length, cookie, nextHops: [], flowspec }, attributes);
}
