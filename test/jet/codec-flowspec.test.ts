/**
 * FlowSpec on the wire, both dialects: a flow path survives encode, protobuf
 * bytes and decode with its match, actions and key text; a remove key carries
 * the match; and the bytes put the match in `inet_flowspec` / `inet6_flowspec`
 * and the actions in `flowspec_data`, as the wire facts define them.
 */
import { describe, expect, it } from 'vitest';
import { BgpRouteRemoveRequest, BgpRouteUpdateRequest } from '../../src/gen/bgp_route_service.js';
import { RouteDeleteRequest, RouteUpdateRequest } from '../../src/gen/jnx_routing_bgp_service.js';
import { jnxCodec, legacyCodec } from '../../src/jet/codec/index.js';
import { canonicalMatch, flowKey, type FlowMatch } from '../../src/jet/flowspec.js';
import { type BgpPath, DIALECTS, type DialectName, type PathKey } from '../../src/jet/model.js';

function roundTripPath(dialect: DialectName, p: BgpPath) {
  if (dialect === 'legacy') {
    const bytes = BgpRouteUpdateRequest.encode({ bgpRoutes: [legacyCodec.encodePath(p)] }).finish();
    return { bytes, decoded: legacyCodec.decodePath(BgpRouteUpdateRequest.decode(bytes).bgpRoutes[0]!) };
  }
  const bytes = RouteUpdateRequest.encode({ routes: [jnxCodec.encodePath(p)] }).finish();
  return { bytes, decoded: jnxCodec.decodePath(RouteUpdateRequest.decode(bytes).routes[0]!) };
}

function roundTripKey(dialect: DialectName, key: PathKey) {
  if (dialect === 'legacy') {
    const bytes = BgpRouteRemoveRequest.encode({ orLonger: false, bgpRoutes: [legacyCodec.encodeMatch(key)] }).finish();
    return legacyCodec.decodeMatch(BgpRouteRemoveRequest.decode(bytes).bgpRoutes[0]);
  }
  const bytes = RouteDeleteRequest.encode({ orLonger: false, routes: [jnxCodec.encodeMatch(key)] }).finish();
  return jnxCodec.decodeMatch(RouteDeleteRequest.decode(bytes).routes[0]);
}

const MATCH: FlowMatch = canonicalMatch({
  destination: '203.0.113.0/24',
  source: '198.51.100.7/32',
  protocols: [
    { min: 6, max: 6 },
    { min: 17, max: 17 },
  ],
  ports: [{ min: 8080, max: 8080 }],
  destinationPorts: [
    { min: 53, max: 53 },
    { min: 1024, max: 65535 },
  ],
  sourcePorts: [{ min: 123, max: 123 }],
  icmpTypes: [{ min: 8, max: 8 }],
  icmpCodes: [{ min: 0, max: 0 }],
  packetLengths: [{ min: 0, max: 100 }],
  dscp: [{ min: 46, max: 46 }],
  tcpFlags: ['syn', 'ack'],
  fragment: ['dont-fragment', 'first-fragment'],
});

function flowPath(match: FlowMatch, table: string): BgpPath {
  return {
    table,
    prefix: flowKey(match),
    length: 0,
    cookie: 0xdeadbeefcafef00dn,
    nextHops: [],
    flowspec: match,
    then: { rateLimit: 1_000_000, markDscp: 10, sample: true },
    communities: ['65000:1'],
  };
}

describe.each(DIALECTS)('FlowSpec in the %s codec', (dialect) => {
  it('keeps every match field, the actions and the key text across the wire', () => {
    const path = flowPath(MATCH, 'inetflow.0');
    const { decoded } = roundTripPath(dialect, path);
    expect(decoded).toEqual({ ...path, family: 'inet', peerType: 'internal' });
  });

  it('puts an IPv6 match in inet6_flowspec', () => {
    const match = canonicalMatch({ destination: '2001:db8::/48', fragment: ['not-a-fragment'] });
    const path = flowPath(match, 'inet6flow.0');
    const { decoded } = roundTripPath(dialect, path);
    expect(decoded).toMatchObject({ family: 'inet6', prefix: '2001:db8::/48,*,frag=not-a-fragment', flowspec: match });
  });

  it('takes the family of a match without addresses from the table', () => {
    const match = canonicalMatch({ protocols: [{ min: 58, max: 58 }] });
    expect(roundTripPath(dialect, flowPath(match, 'inet6flow.0')).decoded.family).toBe('inet6');
    expect(roundTripPath(dialect, flowPath(match, 'inetflow.0')).decoded.family).toBe('inet');
  });

  it('names a flow route in a remove by its match', () => {
    const path = flowPath(MATCH, 'inetflow.0');
    expect(roundTripKey(dialect, path)).toEqual({
      family: 'inet',
      table: 'inetflow.0',
      prefix: path.prefix,
      length: 0,
      cookie: path.cookie,
      flowspec: MATCH,
    });
  });
});

describe('FlowSpec wire layout', () => {
  it('sets the documented fields: OR-ed TCP flag bits, fragment flags and flowspec_data', () => {
    const entry = legacyCodec.encodePath(flowPath(MATCH, 'inetflow.0'));
    const address = entry.destPrefix?.inetFlowspec;
    expect(address?.tcpFlags).toBe(2 | 16);
    expect(address?.fragment).toEqual({
      notMatch: false,
      match: true,
      dontFragement: true,
      isAFragement: false,
      firstFragement: true,
      lastFragement: false,
    });
    expect(address?.destination).toEqual({ addrString: '203.0.113.0' });
    expect(address?.destPrefixLen).toBe(24);
    expect(address?.destPorts?.rangeList).toEqual([
      { min: 53, max: 53 },
      { min: 1024, max: 65535 },
    ]);
    expect(entry.routeData?.flowspecData).toEqual({
      discard: false,
      markDscp: 10,
      rateLimitVal: 1_000_000,
      redirectInstRtComm: '',
      sample: true,
    });
    expect(jnxCodec.encodePath(flowPath(MATCH, 'inetflow.0')).addrFamilyData?.flowspecData).toEqual(
      entry.routeData?.flowspecData,
    );
  });
});
