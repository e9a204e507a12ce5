/**
 * JET carries addresses as text or as network-order bytes (`IpAddress` oneof).
 * Both dialects share that shape; these helpers read either form and write text.
 */
import ipaddr from 'ipaddr.js';

export interface WireAddress {
  addrString?: string | undefined;
  addrBytes?: Buffer | undefined;
}

/** Text form of a wire address; bytes of the wrong length yield "" so validation rejects it. */
export function addressText(a: WireAddress | undefined): string {
  if (!a) return '';
  if (a.addrString !== undefined) return a.addrString;
  if (a.addrBytes && (a.addrBytes.length === 4 || a.addrBytes.length === 16)) {
    return ipaddr.fromByteArray([...a.addrBytes]).toString();
  }
  return '';
}

export function textAddress(text: string): WireAddress {
  return { addrString: text };
}

/** Which address family a route prefix oneof names: only plain inet/inet6 are BGP-static routes. */
export function prefixFamily(p: { inet?: unknown; inet6?: unknown } | undefined): 'inet' | 'inet6' | 'other' {
  if (p?.inet !== undefined) return 'inet';
  if (p?.inet6 !== undefined) return 'inet6';
  return 'other';
}

export function prefixAddress(p: { inet?: WireAddress; inet6?: WireAddress } | undefined): string {
  return addressText(p?.inet ?? p?.inet6);
}

export function wirePrefix(prefix: string): { inet?: WireAddress; inet6?: WireAddress } {
  return prefix.includes(':') ? { inet6: textAddress(prefix) } : { inet: textAddress(prefix) };
}
