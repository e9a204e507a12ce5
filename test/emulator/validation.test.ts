import { describe, expect, it } from 'vitest';
import type { WirePath } from '../../src/jet/codec/index.js';
import { KnownTables, MAX_NEXT_HOPS, Rejection, RouteValidator } from '../../src/emulator/validation.js';

const validator = new RouteValidator(new KnownTables(['red.inet.0', 'inet.3', 'blue.inet6.0', 'mpls.0']));

function wire(overrides: Partial<WirePath> = {}): WirePath {
  return {
    family: 'inet',
    table: 'inet.0',
    prefix: '10.1.0.0',
    length: 16,
    cookie: 5n,
    nextHops: ['192.0.2.1'],
    peerType: 'internal',
    ...overrides,
  };
}

function rejection(result: unknown): { status: string; message: string } {
  expect(result).toBeInstanceOf(Rejection);
  const { status, message } = result as Rejection;
  return { status, message };
}

describe('RouteValidator.path', () => {
  it('returns the path in canonical form without the wire family, with extra fields added', () => {
    const result = validator.path(
      wire({ family: 'inet6', table: 'inet6.0', prefix: '2001:DB8:0::', length: 48, nextHops: ['2001:DB8::0:1'] }),
      { owner: 'c1' },
    );
    expect(result).toEqual({
      table: 'inet6.0',
      prefix: '2001:db8::',
      length: 48,
      cookie: 5n,
      nextHops: ['2001:db8::1'],
      peerType: 'internal',
      owner: 'c1',
    });
  });

  it.each([
    ['a prefix oneof other than inet/inet6', { family: 'other' as const }, 'PREFIX_INVALID', /inet or inet6/],
    ['no prefix address', { prefix: '' }, 'PREFIX_INVALID', /dest_prefix/],
    ['an IPv6 address in the inet field', { prefix: '2001:db8::' }, 'PREFIX_INVALID', /not an IPv4 address/],
    ['host bits', { prefix: '10.1.2.0' }, 'PREFIX_INVALID', /host bits/],
    ['a leading zero', { prefix: '10.01.0.0' }, 'PREFIX_INVALID', /leading zero/],
    ['length 33', { length: 33 }, 'PREFIX_LEN_TOO_LONG', /33 exceeds 32/],
    [
      'length 129',
      { family: 'inet6' as const, table: 'inet6.0', prefix: '2001:db8::', length: 129, nextHops: ['2001:db8::1'] },
      'PREFIX_LEN_TOO_LONG',
      /129 exceeds 128/,
    ],
    ['no table', { table: '' }, 'TABLE_INVALID', /no table/],
    ['an unknown table', { table: 'green.inet.0' }, 'TABLE_INVALID', /unknown table "green.inet.0"/],
    ['a table of the other family', { table: 'blue.inet6.0' }, 'TABLE_INVALID', /holds IPv6 routes, not IPv4/],
    ['no next hop', { nextHops: [] }, 'NEXTHOP_ADDRESS_INVALID', /empty/],
    ['a bad next hop', { nextHops: ['192.0.2.1', '192.0.2'] }, 'NEXTHOP_ADDRESS_INVALID', /protocol_nexthops\[1\]/],
    ['a next hop of the other family', { nextHops: ['2001:db8::1'] }, 'NEXTHOP_ADDRESS_INVALID', /IPv6/],
    [
      'too many next hops',
      { nextHops: Array.from({ length: MAX_NEXT_HOPS + 1 }, (_, i) => `192.0.2.${i + 1}`) },
      'NEXTHOP_ECMP_LIMIT',
      /65 next hops/,
    ],
    ['a bad community', { communities: ['no-export', '1:2:3'] }, 'COMMUNITY_LIST_INVALID', /communities\[1\]/],
    ['a bad AS path', { asPath: '65000 (65001' }, 'ASPATH_INVALID', /aspath/],
  ])('refuses %s', (_what, overrides, status, message) => {
    const refused = rejection(validator.path(wire(overrides)));
    expect(refused.status).toBe(status);
    expect(refused.message).toMatch(message);
  });

  it('accepts tables whose name does not say the family, and valid attributes', () => {
    expect(validator.path(wire({ table: 'mpls.0' }))).not.toBeInstanceOf(Rejection);
    expect(
      validator.path(
        wire({ table: 'inet.3', communities: ['65000:1', 'no-advertise'], asPath: '65001 {65002 65003}' }),
      ),
    ).not.toBeInstanceOf(Rejection);
  });

  it('gives the same answer for a repeated value (answers are remembered per family)', () => {
    expect(validator.path(wire({ nextHops: ['192.0.2.9'] }))).not.toBeInstanceOf(Rejection);
    expect(
      rejection(
        validator.path(
          wire({ family: 'inet6', table: 'inet6.0', prefix: '2001:db8::', length: 32, nextHops: ['192.0.2.9'] }),
        ),
      ).status,
    ).toBe('NEXTHOP_ADDRESS_INVALID');
    expect(rejection(validator.path(wire({ communities: ['bogus'] }))).status).toBe('COMMUNITY_LIST_INVALID');
    expect(rejection(validator.path(wire({ communities: ['bogus'] }))).status).toBe('COMMUNITY_LIST_INVALID');
  });
});

describe('RouteValidator.selector', () => {
  it('keeps only the fields given, in canonical form', () => {
    expect(validator.selector({}, false)).toEqual({ orLonger: false });
    expect(validator.selector({ table: 'red.inet.0' }, true)).toEqual({ orLonger: true, table: 'red.inet.0' });
    expect(
      validator.selector({ family: 'inet6', prefix: '2001:DB8::', length: 32, table: 'inet6.0', cookie: 3n }, false),
    ).toEqual({
      orLonger: false,
      table: 'inet6.0',
      prefix: '2001:db8::',
      length: 32,
      cookie: 3n,
    });
  });

  it('refuses unknown tables and bad prefixes', () => {
    expect(rejection(validator.selector({ table: 'nosuch' }, false)).status).toBe('TABLE_INVALID');
    expect(rejection(validator.selector({ family: 'inet', prefix: '10.0.0.0', length: 40 }, false)).status).toBe(
      'PREFIX_LEN_TOO_LONG',
    );
    expect(rejection(validator.selector({ family: 'other', prefix: '', length: 0 }, false)).status).toBe(
      'PREFIX_INVALID',
    );
    expect(
      rejection(validator.selector({ family: 'inet6', prefix: '2001:db8::', length: 32, table: 'inet.0' }, false))
        .status,
    ).toBe('TABLE_INVALID');
  });
});
