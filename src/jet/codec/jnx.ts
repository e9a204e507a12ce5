/**
 * Codec for the current JET API (`jnx.jet.*`): `RouteEntry` nests its key in a
 * `RouteMatch`, tables are `name`/`id`, attributes are protobuf wrappers
 * (unwrapped to plain numbers by ts-proto) and communities live in `Communities`.
 */
import type { RouteTable } from '../../gen/jnx_routing_base_types.js';
import { RouteProtoType } from '../../gen/jnx_routing_base_types.js';
import {
  PeerType,
  RouteOperResponse_StatusCode as OperStatus,
  RouteSubscribeEntry_RouteSubscribeOper as SubscribeOper,
  type RouteEntry,
  type RouteMatch,
} from '../../gen/jnx_routing_bgp_service.js';
import { ipv4ToUint32, uint32ToIpv4 } from '../../intent/syntax.js';
import type { BgpPath, MonitorOp, PathMatch } from '../model.js';
import { addressText, prefixAddress, prefixFamily, textAddress, wirePrefix } from './address.js';
import { decodeFlowData, encodeFlowActions, encodeFlowPrefix } from './flowspec.js';
import {
  decodeFlowDestination,
  monitorOps,
  operStatuses,
  wireMatch,
  type DialectCodec,
  type WireMatch,
  type WirePath,
} from './types.js';

function table(name: string | undefined): RouteTable | undefined {
  return name === undefined ? undefined : { name: { name } };
}

function tableName(t: RouteTable | undefined): string {
  if (t?.name) return t.name.name;
  if (t?.id) return `#${t.id.id}`;
  return '';
}

function destinationPrefix(m: PathMatch): RouteMatch['destPrefix'] {
  if (m.flowspec !== undefined) return encodeFlowPrefix({ table: m.table ?? '', flowspec: m.flowspec });
  return m.prefix === undefined ? undefined : wirePrefix(m.prefix);
}

function routeMatch(m: PathMatch, communities?: string[]): RouteMatch {
  return {
    destPrefix: destinationPrefix(m),
    destPrefixLen: m.length ?? 0,
    table: table(m.table),
    protocol: RouteProtoType.PROTO_BGP_STATIC,
    cookie: m.cookie ?? 0n,
    communities:
      communities === undefined ? undefined : { communities: communities.map((community) => ({ community })) },
  };
}

const MONITOR_OPS: Record<MonitorOp, SubscribeOper> = {
  update: SubscribeOper.ROUTE_UPDATE,
  remove: SubscribeOper.ROUTE_DELETE,
  'end-of-rib': SubscribeOper.END_OF_RIBS,
};

export const jnxCodec: DialectCodec<RouteEntry, RouteMatch> = {
  dialect: 'jnx',

  encodePath(p: BgpPath): RouteEntry {
    return {
      key: routeMatch(p, p.communities),
      routePreference: p.routePref,
      localPreference: p.localPref,
      med: p.med,
      aigpDistance: undefined,
      aspath: p.asPath === undefined ? undefined : { aspath: p.asPath },
      originatorId: p.originatorId === undefined ? undefined : ipv4ToUint32(p.originatorId),
      clusterList: (p.clusterList ?? []).map(ipv4ToUint32),
      clusterId: undefined,
      protocolNexthops: p.nextHops.map(textAddress),
      routeType: p.peerType === 'external' ? PeerType.BGP_EXTERNAL : PeerType.BGP_INTERNAL,
      routeFlags:
        p.noAdvertise || p.noExport
          ? {
              noAdvertise: !!p.noAdvertise,
              noExport: !!p.noExport,
              useNexthopReject: false,
              useNexthopFictitious: false,
            }
          : undefined,
      addrFamilyData:
        p.then === undefined ? undefined : { srtePolicyData: undefined, flowspecData: encodeFlowActions(p.then) },
      tunnelAttributes: undefined,
    };
  },

  decodePath(e: RouteEntry): WirePath {
    const key = e.key;
    const path: WirePath = {
      family: prefixFamily(key?.destPrefix),
      table: tableName(key?.table),
      prefix: prefixAddress(key?.destPrefix),
      length: key?.destPrefixLen ?? 0,
      cookie: key?.cookie ?? 0n,
      nextHops: e.protocolNexthops.map(addressText),
      peerType: e.routeType === PeerType.BGP_EXTERNAL ? 'external' : 'internal',
    };
    if (path.family === 'other') decodeFlowDestination(path, key?.destPrefix);
    decodeFlowData(path, e.addrFamilyData?.flowspecData);
    if (e.localPreference !== undefined) path.localPref = e.localPreference;
    if (e.routePreference !== undefined) path.routePref = e.routePreference;
    if (e.med !== undefined) path.med = e.med;
    if (e.aspath) path.asPath = e.aspath.aspath;
    if (key?.communities) path.communities = key.communities.communities.map((c) => c.community);
    if (e.originatorId !== undefined) path.originatorId = uint32ToIpv4(e.originatorId);
    if (e.clusterList.length) path.clusterList = e.clusterList.map(uint32ToIpv4);
    if (e.routeFlags?.noAdvertise) path.noAdvertise = true;
    if (e.routeFlags?.noExport) path.noExport = true;
    return path;
  },

  encodeMatch: (m: PathMatch): RouteMatch => routeMatch(m, m.matchCommunities),

  decodeMatch(m: RouteMatch | undefined): WireMatch {
    if (!m) return {};
    const matchCommunities = m.communities?.communities.map((c) => c.community);
    return wireMatch(m.destPrefix, m.destPrefixLen, m.table && tableName(m.table), m.cookie, matchCommunities);
  },

  ...operStatuses(OperStatus),
  ...monitorOps(MONITOR_OPS),
};
