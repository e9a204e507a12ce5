/**
 * The intents the bench sends: distinct IPv4 /24 prefixes from numbered
 * ranges (so scenarios, and the baseline, never touch each other's routes) and
 * the JSON payloads, the same shape in every scenario and in the MQTT ceiling.
 */

/**
 * Each range is `first` octet onwards, `octets` first octets long; one first
 * octet holds 65,536 /24s. Ranges do not overlap.
 */
export const PREFIX_RANGES = {
  ceiling: { first: 16, octets: 1 },
  baseline: { first: 17, octets: 1 },
  single: { first: 18, octets: 1 },
  steady: { first: 19, octets: 1 },
  coalescing: { first: 20, octets: 1 },
  singleSmall: { first: 21, octets: 1 },
  bulk: { first: 32, octets: 16 },
} as const;

export type PrefixRange = keyof typeof PREFIX_RANGES;

/** How many distinct prefixes `range` can name. */
export function rangeSize(range: PrefixRange): number {
  return PREFIX_RANGES[range].octets * 65_536;
}

const NEXT_HOPS = ['192.0.2.1', '192.0.2.2'];

/** The `n`th /24 of `range`, as `a.b.c.0/24`. */
export function prefixOf(range: PrefixRange, n: number): string {
  const size = rangeSize(range);
  if (!(Number.isInteger(n) && n >= 0 && n < size))
    throw new RangeError(`${range} prefix number must be 0..${size - 1}, got ${n}`);
  const first = PREFIX_RANGES[range].first + (n >> 16);
  return `${first}.${(n >> 8) & 255}.${n & 255}.0/24`;
}

export interface IntentFields {
  id: string;
  prefix: string;
  nextHops: string[];
  localPref: number;
}

/** One announce, as the bridge's intent payload names its fields. */
export function intentOf(range: PrefixRange, n: number, variant = 0): IntentFields {
  return {
    id: `${range}-${n}`,
    prefix: prefixOf(range, n),
    nextHops: [NEXT_HOPS[variant % NEXT_HOPS.length]!],
    localPref: 100 + variant,
  };
}

/** A single-intent payload. */
export function singlePayload(range: PrefixRange, n: number, variant = 0): string {
  return JSON.stringify(intentOf(range, n, variant));
}

/** An array payload of `size` intents, numbers `first` to `first + size - 1`. */
export function arrayPayload(range: PrefixRange, first: number, size: number): string {
  const intents: IntentFields[] = [];
  for (let n = first; n < first + size; n++) intents.push(intentOf(range, n));
  return JSON.stringify(intents);
}
