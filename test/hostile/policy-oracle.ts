/**
 * The hostile suite's own reading of its route policy (10.0.0.0/8 le 32 in
 * inet.0, 2001:db8::/32 le 64 in inet6.0), written apart from the bridge's
 * policy code so a bug there cannot hide itself. It judges what reached the
 * router, in the router's terms: table, address and length of a programmed path.
 */
import ipaddr from 'ipaddr.js';

/** Config entries for the bridge under test; insidePolicy below must say the same. */
export const POLICY_ALLOW = ['10.0.0.0/8 le 32', '2001:db8::/32 le 64'];

interface Range {
  table: string;
  kind: 'ipv4' | 'ipv6';
  network: ipaddr.IPv4 | ipaddr.IPv6;
  length: number;
  maxLength: number;
}

const RANGES: readonly Range[] = [
  { table: 'inet.0', kind: 'ipv4', network: ipaddr.parse('10.0.0.0'), length: 8, maxLength: 32 },
  { table: 'inet6.0', kind: 'ipv6', network: ipaddr.parse('2001:db8::'), length: 32, maxLength: 64 },
];

export interface RouteOnRouter {
  table: string;
  prefix: string;
  length: number;
}

/** Whether a path the router holds is one the policy allows. Anything it cannot read is outside. */
export function insidePolicy(route: RouteOnRouter): boolean {
  if (!ipaddr.isValid(route.prefix)) return false;
  const address = ipaddr.parse(route.prefix);
  return RANGES.some(
    (range) =>
      range.table === route.table &&
      range.kind === address.kind() &&
      route.length >= range.length &&
      route.length <= range.maxLength &&
      address.match(range.network, range.length),
  );
}
