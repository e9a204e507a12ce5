/**
 * Address and BGP-attribute syntax shared by the bridge and the JET emulator.
 *
 * Everything here is strict on purpose: a route that reaches a router must mean
 * exactly one thing, so ambiguous spellings (octets with leading zeros, which
 * some parsers read as octal; zone ids; IPv4-mapped IPv6; prefixes with host
 * bits set) are refused with a reason instead of being guessed at. Canonical
 * text (IPv6 compressed and lowercase, per RFC 5952) is what the rest of the
 * code compares and hashes.
 */
import ipaddr from 'ipaddr.js';

export type Family = 'inet' | 'inet6';

export interface ParsedPrefix {
  family: Family;
  /** Canonical network address text, without the length. */
  prefix: string;
  length: number;
}

export interface ParsedAddress {
  family: Family;
  /** Canonical address text. */
  address: string;
}

/** Thrown by the parsers in this module; `reason` is the part after the colon. */
export class AddressSyntaxError extends SyntaxError {
  override readonly name = 'AddressSyntaxError';
  constructor(
    message: string,
    readonly input: string,
    readonly reason: string | undefined,
  ) {
    super(message);
  }
}

export const MAX_LENGTH: Readonly<Record<Family, number>> = { inet: 32, inet6: 128 };
const FAMILY_NAME: Readonly<Record<Family, string>> = { inet: 'IPv4', inet6: 'IPv6' };
export const UINT32_MAX = 0xffff_ffff;

/** `inet` → `IPv4`, `inet6` → `IPv6`, for messages. */
export function familyName(family: Family): string {
  return FAMILY_NAME[family];
}

/** The routing table a route goes to when the intent names none. */
export function defaultTable(family: Family): string {
  return family === 'inet' ? 'inet.0' : 'inet6.0';
}

const TABLE_PATTERN = /^(?:[A-Za-z0-9_-]+\.)?(inet6?)\.(0|[1-9][0-9]{0,4})$/;

/** Why `table` is not a table BGP-static routes can go to, or undefined when it is one. */
export function tableNameError(table: string): string | undefined {
  if (tableFamily(table) !== undefined) return undefined;
  return `${quote(table)} is not a unicast routing table (expected inet.N, inet6.N, <instance>.inet.N or <instance>.inet6.N)`;
}

/**
 * The family a routing table holds: `inet.0`, `inet.3`, `vrf1.inet.0` hold IPv4,
 * `inet6.0`, `vrf1.inet6.0` hold IPv6. `undefined` for names that are not a
 * unicast table BGP-static routes can go to.
 */
export function tableFamily(table: string): Family | undefined {
  const match = TABLE_PATTERN.exec(table);
  return match ? (match[1] as Family) : undefined;
}

/** Shows untrusted text in a message: quoted, escaped and cut to a readable size. */
export function quote(text: string): string {
  const limit = 80;
  return JSON.stringify(text.length > limit ? `${text.slice(0, limit)}…` : text);
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const DIGITS = /^[0-9]+$/;
const WHITESPACE = /\s/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]+$/;

/**
 * A strict dotted-quad IPv4 address as a uint32, or the reason `text` is not one.
 * Every prefix and next hop of every intent comes through here, so well-formed
 * text is read in one pass over its characters; anything else takes the slower
 * path below, which finds the reason.
 */
function parseDottedQuad(text: string): { value: number } | { reason: string } {
  const value = strictQuadValue(text);
  return value === undefined ? dottedQuadProblem(text) : { value };
}

const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** The value of a strict dotted quad (no leading zeros, octets 0..255), or undefined for any other text. */
function strictQuadValue(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots += 1;
    } else if (c >= ZERO && c <= NINE) {
      // A second digit after a leading 0 is a leading zero.
      if (digits === 1 && octet === 0) return undefined;
      octet = octet * 10 + (c - ZERO);
      digits += 1;
      if (octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : undefined;
}

/** The slow path of parseDottedQuad: the value, or the first rule `text` breaks. */
function dottedQuadProblem(text: string): { value: number } | { reason: string } {
  const octets = text.split('.');
  if (octets.length === 1) return { reason: 'expected a dotted quad (a.b.c.d)' };
  if (octets.length !== 4) return { reason: 'expected four dot-separated octets' };
  let value = 0;
  for (const octet of octets) {
    if (!DIGITS.test(octet)) return { reason: `octet ${quote(octet)} is not a decimal number` };
    if (!DECIMAL.test(octet)) return { reason: `octet ${quote(octet)} has a leading zero` };
    const n = octet.length > 3 ? 256 : Number(octet);
    if (n > 255) return { reason: `octet ${octet} is out of range 0..255` };
    value = value * 256 + n;
  }
  return { value };
}

/** Why `text` is not a strict dotted-quad IPv4 address, or undefined when it is one. */
function ipv4Problem(text: string): string | undefined {
  const parsed = parseDottedQuad(text);
  return 'reason' in parsed ? parsed.reason : undefined;
}

/** Why `text` is not an IPv6 address we accept ('' when ipaddr.js just says no), or undefined when it is one. */
function ipv6Problem(text: string): string | undefined {
  if (!IPV6_CHARS.test(text)) return 'has characters other than hex digits, ":" and "."';
  const tail = text.slice(text.lastIndexOf(':') + 1);
  // ipaddr.js reads an embedded IPv4 tail loosely (octal, hex); hold it to dotted-quad rules.
  if (tail.includes('.')) {
    const problem = ipv4Problem(tail);
    if (problem) return `embedded IPv4 part: ${problem}`;
  }
  return ipaddr.IPv6.isValid(text) ? undefined : '';
}

/** Problems shared by addresses and prefixes, checked before any parsing. */
function lexicalProblem(text: string): string | undefined {
  if (text === '') return 'empty';
  if (WHITESPACE.test(text)) return 'contains whitespace';
  if (text.includes('%')) return 'zone ids (the "%..." suffix) are not allowed';
  return undefined;
}

/**
 * A parsed address. IPv4 is kept as a uint32 (its strict dotted-quad text is
 * already canonical, and masking is integer arithmetic); IPv6 goes through
 * ipaddr.js.
 */
type ParsedIp = { family: 'inet'; value: number } | { family: 'inet6'; ip: ipaddr.IPv6 };

/** Why a text is not an address; `reason` is absent when there is nothing more specific to say. */
interface IpProblem {
  family?: undefined;
  reason?: string;
}

/** Parses a bare address, or says why it is not one (callers add the context). */
function parseIp(text: string): ParsedIp | IpProblem {
  const lexical = lexicalProblem(text);
  if (lexical) return { reason: lexical };
  if (text.includes(':')) {
    const problem = ipv6Problem(text);
    if (problem !== undefined) return problem === '' ? {} : { reason: problem };
    return { family: 'inet6', ip: ipaddr.IPv6.parse(text) };
  }
  const quad = parseDottedQuad(text);
  return 'reason' in quad ? quad : { family: 'inet', value: quad.value };
}

function failure(input: string, what: string, reason: string | undefined): AddressSyntaxError {
  const message = reason ? `${quote(input)} is not ${what}: ${reason}` : `${quote(input)} is not ${what}`;
  return new AddressSyntaxError(message, input, reason);
}

function addressNoun(family: Family | undefined): string {
  return family ? `an ${FAMILY_NAME[family]} address` : 'an IP address';
}

/**
 * Parses an IP address (a next hop, an originator id) strictly and returns its
 * canonical text. With `expected`, an address of the other family is refused.
 */
export function parseAddress(text: string, expected?: Family): ParsedAddress {
  const noun = addressNoun(expected);
  if (typeof text !== 'string') throw failure(String(text), noun, 'not a string');
  if (text.includes('/')) throw failure(text, noun, 'an address takes no "/length"');
  const parsed = parseIp(text);
  if (parsed.family === undefined) throw failure(text, noun, parsed.reason);
  if (parsed.family === 'inet6' && parsed.ip.isIPv4MappedAddress()) {
    const v4 = parsed.ip.toIPv4Address().toString();
    throw failure(text, noun, `IPv4-mapped IPv6 addresses are not supported; write ${v4}`);
  }
  if (expected && parsed.family !== expected) {
    throw failure(text, noun, `it is an ${FAMILY_NAME[parsed.family]} address`);
  }
  const address = parsed.family === 'inet' ? text : parsed.ip.toRFC5952String();
  return { family: parsed.family, address };
}

/** `value` with every bit after the first `length` cleared. */
function ipv4Network(value: number, length: number): number {
  // Shifting by 32 is a no-op in JavaScript, so /0 needs its own case.
  return length === 0 ? 0 : (value & (0xffffffff << (32 - length))) >>> 0;
}

/** `ip` with every bit after the first `length` cleared. */
function ipv6Network(ip: ipaddr.IPv6, length: number): ipaddr.IPv6 {
  const parts = ip.parts.map((part, i) => {
    const keep = Math.max(0, Math.min(16, length - i * 16));
    return part & ((0xffff << (16 - keep)) & 0xffff);
  });
  return new ipaddr.IPv6(parts);
}

/** The canonical network text of a parsed address and length, or the reason it is not a network. */
function networkText(parsed: ParsedIp, length: number): { network: string } | { reason: string } {
  if (parsed.family === 'inet') {
    const network = ipv4Network(parsed.value, length);
    const text = uint32ToIpv4(network);
    return network === parsed.value ? { network: text } : { reason: `host bits set; did you mean ${text}/${length}?` };
  }
  if (length >= 96 && parsed.ip.isIPv4MappedAddress()) {
    const [a, b, c, d] = parsed.ip.toIPv4Address().octets as [number, number, number, number];
    const v4 = uint32ToIpv4(ipv4Network(a * 2 ** 24 + b * 2 ** 16 + c * 2 ** 8 + d, length - 96));
    return { reason: `IPv4-mapped IPv6 prefixes are not supported; use ${v4}/${length - 96}` };
  }
  const network = ipv6Network(parsed.ip, length).toRFC5952String();
  return network === parsed.ip.toRFC5952String()
    ? { network }
    : { reason: `host bits set; did you mean ${network}/${length}?` };
}

/**
 * Parses `address/length` strictly: IPv4 lengths 0..32, IPv6 0..128, no host
 * bits set, no IPv4-mapped IPv6, no zone id, no whitespace.
 */
export function parsePrefix(text: string): ParsedPrefix {
  const noun = 'a valid prefix';
  if (typeof text !== 'string') throw failure(String(text), noun, 'not a string');
  const lexical = lexicalProblem(text);
  if (lexical) throw failure(text, noun, lexical);
  const slash = text.lastIndexOf('/');
  if (slash < 0) throw failure(text, noun, 'missing "/length"');
  const addressText = text.slice(0, slash);
  const lengthText = text.slice(slash + 1);

  const parsed = parseIp(addressText);
  if (parsed.family === undefined) {
    throw failure(text, noun, parsed.reason ?? `${quote(addressText)} is not an IP address`);
  }
  const { family } = parsed;
  const max = MAX_LENGTH[family];
  if (!DIGITS.test(lengthText)) throw failure(text, noun, `length ${quote(lengthText)} is not a number`);
  if (!DECIMAL.test(lengthText)) throw failure(text, noun, `length ${quote(lengthText)} has a leading zero`);
  const length = Number(lengthText);
  if (length > max) {
    throw failure(text, noun, `length ${lengthText} is out of range for ${FAMILY_NAME[family]} (0..${max})`);
  }

  const result = networkText(parsed, length);
  if ('reason' in result) throw failure(text, noun, result.reason);
  return { family, prefix: result.network, length };
}

/** `10.1.2.3` → 167838211. Throws AddressSyntaxError for anything but a strict dotted quad. */
export function ipv4ToUint32(address: string): number {
  const lexical = typeof address === 'string' ? lexicalProblem(address) : 'not a string';
  const parsed = lexical === undefined ? parseDottedQuad(address) : { reason: lexical };
  if ('reason' in parsed) throw failure(String(address), 'an IPv4 address', parsed.reason);
  return parsed.value;
}

/** 167838211 → `10.1.2.3`. Throws RangeError outside 0..2^32-1. */
export function uint32ToIpv4(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > UINT32_MAX) {
    throw new RangeError(`${n} is not an unsigned 32-bit integer`);
  }
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** Parses a decimal number with no sign, no leading zeros and no exponent; NaN otherwise. */
function strictDecimal(text: string): number {
  return DECIMAL.test(text) && text.length <= 10 ? Number(text) : Number.NaN;
}

function inRange(text: string, max: number, min = 0): boolean {
  const n = strictDecimal(text);
  return n >= min && n <= max;
}

export const WELL_KNOWN_COMMUNITIES: readonly string[] = [
  'no-export',
  'no-advertise',
  'no-export-subconfed',
  'llgr-stale',
  'no-llgr',
];

const UINT16_MAX = 0xffff;

/** Checks the `X:Y` of `target:X:Y` / `origin:X:Y`: which half gets 32 bits depends on X. */
function extendedCommunityProblem(global: string, local: string): string | undefined {
  if (global.includes('.')) {
    if (ipv4Problem(global)) return `administrator ${quote(global)} is not an IPv4 address`;
    return inRange(local, UINT16_MAX) ? undefined : `after an IPv4 administrator the number must be 0..65535`;
  }
  // Junos marks a 4-byte AS administrator with a trailing "L" (target:65000L:1).
  const fourByteMark = global.endsWith('L');
  const asText = fourByteMark ? global.slice(0, -1) : global;
  if (!inRange(asText, UINT32_MAX)) return `administrator ${quote(global)} is not an AS number or IPv4 address`;
  if (fourByteMark || strictDecimal(asText) > UINT16_MAX) {
    return inRange(local, UINT16_MAX) ? undefined : `after a 4-byte AS the number must be 0..65535`;
  }
  return inRange(local, UINT32_MAX) ? undefined : `after a 2-byte AS the number must be 0..4294967295`;
}

/** The detail of why `s` is not a community, or undefined when it is one. */
function communityProblem(s: string): string | undefined {
  if (WELL_KNOWN_COMMUNITIES.includes(s)) return undefined;
  const parts = s.split(':');
  const head = parts[0]!;
  if (head === 'target' || head === 'origin') {
    return parts.length === 3 ? extendedCommunityProblem(parts[1]!, parts[2]!) : `expected ${head}:X:Y`;
  }
  if (head === 'large') {
    if (parts.length !== 4) return 'expected large:A:B:C';
    const bad = parts.slice(1).find((part) => !inRange(part, UINT32_MAX));
    return bad === undefined ? undefined : `${quote(bad)} is not a number 0..4294967295`;
  }
  if (parts.length === 2 && parts.every((part) => DIGITS.test(part))) {
    const bad = parts.find((part) => !inRange(part, UINT16_MAX));
    return bad === undefined ? undefined : `${quote(bad)} is not a number 0..65535`;
  }
  return `expected N:M, target:X:Y, origin:X:Y, large:A:B:C or one of ${WELL_KNOWN_COMMUNITIES.join(', ')}`;
}

/**
 * Why `s` is not a community the router accepts, or undefined when it is one.
 * Valid: `N:M` (16-bit:16-bit), the well-known names, extended `target:X:Y` and
 * `origin:X:Y` (X an AS number or IPv4 address), large `large:A:B:C`.
 */
export function communityError(s: string): string | undefined {
  if (typeof s !== 'string') return 'a community must be a string';
  const problem = communityProblem(s);
  return problem === undefined ? undefined : `${quote(s)} is not a community: ${problem}`;
}

const AS_PATH_TOKEN = /[[\]{}()]|[^\s[\]{}()]+/g;
const CLOSER: ReadonlyMap<string, string> = new Map([
  ['[', ']'],
  ['{', '}'],
  ['(', ')'],
]);

/** The detail of why `s` is not an AS path, or undefined when it is one. */
function asPathProblem(s: string, maxAsns: number): string | undefined {
  const open: string[] = [];
  let asns = 0;
  let segmentSize = 0;
  for (const [token] of s.matchAll(AS_PATH_TOKEN)) {
    if (CLOSER.has(token)) {
      const setInConfederation = open.length === 1 && open[0] === '(' && token !== '(';
      if (open.length > 0 && !setInConfederation) {
        return `${quote(token)} cannot open a segment inside ${quote(open.at(-1)!)}`;
      }
      open.push(token);
      segmentSize = 0;
    } else if (token === ']' || token === '}' || token === ')') {
      const opener = open.pop();
      if (opener === undefined || CLOSER.get(opener) !== token) return `unbalanced ${quote(token)}`;
      if (segmentSize === 0) return `empty ${opener} ${token} segment`;
      // A set closing inside a confederation is one member of that confederation segment.
      segmentSize = 1;
    } else {
      if (!inRange(token, UINT32_MAX, 1)) return `${quote(token)} is not an AS number 1..4294967295`;
      asns += 1;
      segmentSize += 1;
      if (asns > maxAsns) return `more than ${maxAsns} AS numbers`;
    }
  }
  return open.length > 0 ? `${quote(open.at(-1)!)} is never closed` : undefined;
}

/**
 * Why `s` is not an AS path, or undefined when it is one. An AS path is AS
 * numbers (1..4294967295) separated by spaces; `[ ]` or `{ }` enclose an AS set
 * and `( )` a confederation segment, which may itself hold a set. Segments are
 * non-empty and balanced. The empty string is the empty path. `maxAsns` bounds
 * the number of AS numbers.
 */
export function asPathError(s: string, maxAsns = Number.POSITIVE_INFINITY): string | undefined {
  if (typeof s !== 'string') return 'an AS path must be a string';
  const problem = asPathProblem(s, maxAsns);
  return problem === undefined ? undefined : `${quote(s)} is not an AS path: ${problem}`;
}
