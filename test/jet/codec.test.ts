/**
 * The dialect codecs survive the wire: a neutral path encoded, serialized to
 * protobuf bytes, parsed back and decoded is the same path, in both dialects.
 * Path cookies are checked at full 64-bit width, including values at and
 * above 2^63 that a signed or floating-point detour would corrupt.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { BgpRouteRemoveRequest, BgpRouteUpdateRequest } from '../../src/gen/bgp_route_service.js';
import { RouteDeleteRequest, RouteUpdateRequest } from '../../src/gen/jnx_routing_bgp_service.js';
import { codecFor, jnxCodec, legacyCodec } from '../../src/jet/codec/index.js';
import type { BgpPath, DialectName, PathKey, PathMatch } from '../../src/jet/model.js';

const UINT64_MAX = 2n ** 64n - 1n;
const HIGH_COOKIES = [2n ** 63n, 2n ** 63n + 1n, 0xdeadbeefcafef00dn, UINT64_MAX];

/** Neutral path → dialect entry → bytes → entry → neutral path. */
function roundTripPath(dialect: DialectName, p: BgpPath): BgpPath {
  if (dialect === 'legacy') {
    const bytes = BgpRouteUpdateRequest.encode({ bgpRoutes: [legacyCodec.encodePath(p)] }).finish();
    const { family: _family, ...decoded } = legacyCodec.decodePath(BgpRouteUpdateRequest.decode(bytes).bgpRoutes[0]!);
    return decoded;
  }
  const bytes = RouteUpdateRequest.encode({ routes: [jnxCodec.encodePath(p)] }).finish();
  const { family: _family, ...decoded } = jnxCodec.decodePath(RouteUpdateRequest.decode(bytes).routes[0]!);
  return decoded;
}

/** Remove key → dialect match → bytes → match → neutral selector. */
function roundTripKey(dialect: DialectName, key: PathKey | PathMatch) {
  if (dialect === 'legacy') {
    const bytes = BgpRouteRemoveRequest.encode({ orLonger: false, bgpRoutes: [legacyCodec.encodeMatch(key)] }).finish();
    return legacyCodec.decodeMatch(BgpRouteRemoveRequest.decode(bytes).bgpRoutes[0]);
  }
  const bytes = RouteDeleteRequest.encode({ orLonger: false, routes: [jnxCodec.encodeMatch(key)] }).finish();
  return jnxCodec.decodeMatch(RouteDeleteRequest.decode(bytes).routes[0]);
}

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const ipv6 = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
  .map((g) => g.map((n) => n.toString(16)).join(':'));
const uint32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });

/** Paths as the decoders return them: absent optionals stay absent, peerType always set. */
const bgpPath: fc.Arbitrary<BgpPath> = fc
  .record(
    {
      table: fc.constantFrom('inet.0', 'inet6.0', 'blue.inet.0'),
      v6: fc.boolean(),
      v4prefix: ipv4,
      v6prefix: ipv6,
      length: fc.integer({ min: 0, max: 128 }),
      cookie: fc.oneof(fc.bigInt({ min: 0n, max: UINT64_MAX }), fc.constantFrom(...HIGH_COOKIES)),
      nextHops: fc.array(fc.oneof(ipv4, ipv6), { minLength: 1, maxLength: 4 }),
      peerType: fc.constantFrom('internal' as const, 'external' as const),
      localPref: uint32,
      routePref: uint32,
      med: uint32,
      asPath: fc.constantFrom('65001 65002', '65001 {65010 65011}', '(65100) 65001', ''),
      communities: fc.array(fc.constantFrom('65000:100', 'no-export', 'no-advertise', 'target:65000:1'), {
        maxLength: 3,
      }),
      originatorId: ipv4,
      clusterList: fc.array(ipv4, { minLength: 1, maxLength: 3 }),
      noAdvertise: fc.constant(true as const),
      noExport: fc.constant(true as const),
    },
    {
      requiredKeys: ['table', 'v6', 'v4prefix', 'v6prefix', 'length', 'cookie', 'nextHops', 'peerType'],
    },
  )
  .map(({ v6, v4prefix, v6prefix, ...rest }) => ({ ...rest, prefix: v6 ? v6prefix : v4prefix }));

describe.each(['legacy', 'jnx'] as const)('%s codec over protobuf bytes', (dialect) => {
  it('decodes every encoded path to the same neutral path', () => {
    fc.assert(
      fc.property(bgpPath, (p) => {
        expect(roundTripPath(dialect, p)).toEqual(p);
      }),
      { numRuns: 300 },
    );
  });

  it.each(HIGH_COOKIES)('keeps path cookie %s exact', (cookie) => {
    const p: BgpPath = {
      table: 'inet.0',
      prefix: '10.0.0.0',
      length: 24,
      cookie,
      nextHops: ['192.0.2.1'],
      peerType: 'internal',
    };
    expect(roundTripPath(dialect, p).cookie).toBe(cookie);
    expect(roundTripKey(dialect, p).cookie).toBe(cookie);
  });

  it('encodes remove keys as matches naming the same path', () => {
    const key: PathKey = { table: 'inet6.0', prefix: '2001:db8::', length: 48, cookie: UINT64_MAX };
    expect(roundTripKey(dialect, key)).toEqual({ ...key, family: 'inet6' });
  });

  it("carries a match's communities list, and never a path's own communities, in a remove match", () => {
    const key: PathKey = { table: 'inet.0', prefix: '10.0.0.0', length: 24, cookie: 0n };
    const decoded = roundTripKey(dialect, { ...key, matchCommunities: ['65000:1.*', 'no-export'] });
    expect(decoded).toMatchObject({ matchCommunities: ['65000:1.*', 'no-export'] });
    expect(decoded.cookie).toBeUndefined();
    const programmed: BgpPath = { ...key, nextHops: ['192.0.2.1'], communities: ['65000:100'] };
    expect(roundTripKey(dialect, programmed).matchCommunities).toBeUndefined();
    expect(roundTripKey(dialect, { ...key, matchCommunities: [] }).matchCommunities).toBeUndefined();
  });

  it('maps monitor operations both ways', () => {
    const codec = codecFor(dialect);
    for (const op of ['update', 'remove', 'end-of-rib'] as const)
      expect(codec.monitorOpOf(codec.monitorOpCode(op))).toBe(op);
  });

  it('names route-operation statuses by their wire numbers', () => {
    const codec = codecFor(dialect);
    expect(codec.operStatusName(17)).toBe('ROUTE_EXISTS');
    expect(codec.operStatusName(18)).toBe('ROUTE_NOT_FOUND');
    expect(codec.operStatusCode('ROUTE_EXISTS')).toBe(17);
    // The one retryable status whose name differs between the dialects.
    expect(codec.operStatusName(23)).toBe(dialect === 'legacy' ? 'TRY_AGAIN' : 'REQUEST_NOT_DONE');
  });
});

describe('path cookies on the wire, read by an independent protobuf decoder', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  function load(dialect: DialectName): protobuf.Root {
    const dir = path.join(root, 'proto', dialect);
    const proto = new protobuf.Root();
    proto.resolvePath = (_origin, target) =>
      path.isAbsolute(target) || target.startsWith('google/') ? target : path.join(dir, target);
    proto.loadSync(
      readdirSync(dir)
        .filter((f) => f.endsWith('.proto'))
        .map((f) => path.join(dir, f)),
      { keepCase: true },
    );
    return proto;
  }
  const p: BgpPath = {
    table: 'inet.0',
    prefix: '10.0.0.0',
    length: 24,
    cookie: UINT64_MAX - 1n,
    nextHops: ['192.0.2.1'],
  };

  it('legacy BgpRouteEntry.path_cookie carries all 64 bits', () => {
    const bytes = BgpRouteUpdateRequest.encode({ bgpRoutes: [legacyCodec.encodePath(p)] }).finish();
    const type = load('legacy').lookupType('routing.BgpRouteUpdateRequest');
    const decoded = type.toObject(type.decode(bytes), { longs: String }) as {
      bgp_routes: Array<{ path_cookie: string }>;
    };
    expect(decoded.bgp_routes[0]!.path_cookie).toBe((UINT64_MAX - 1n).toString());
  });

  it('jnx RouteEntry.key.cookie carries all 64 bits', () => {
    const bytes = RouteUpdateRequest.encode({ routes: [jnxCodec.encodePath(p)] }).finish();
    const type = load('jnx').lookupType('jnx.jet.routing.bgp.RouteUpdateRequest');
    const decoded = type.toObject(type.decode(bytes), { longs: String }) as {
      routes: Array<{ key: { cookie: string } }>;
    };
    expect(decoded.routes[0]!.key.cookie).toBe((UINT64_MAX - 1n).toString());
  });
});
