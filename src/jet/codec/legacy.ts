/**
 * Codec for the classic JET API (packages `routing`, `jnxBase`): flat
 * `BgpRouteEntry`, `rtt_name`/`rtt_id` tables, `BgpAttrib32` wrappers and
 * `CommunityList.com_list`.
 */
import {
  BgpPeerType,
  BgpRouteMonitorEntry_BgpRouteMonitorOper as MonitorOper,
  BgpRouteOperReply_BgpRouteOperStatus as OperStatus,
  RouteProtocol,
  type BgpAttrib32,
  type BgpRouteEntry,
  type BgpRouteMatch,
  type CommunityList,
} from '../../gen/bgp_route_service.js';
import type { RouteTable } from '../../gen/prpd_common.js';
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

const attr = (value: number | undefined): BgpAttrib32 | undefined => (value === undefined ? undefined : { value });

function table(name: string | undefined): RouteTable | undefined {
  return name === undefined ? undefined : { rttName: { name } };
}

function tableName(t: RouteTable | undefined): string {
  if (t?.rttName) return t.rttName.name;
  if (t?.rttId) return `#${t.rttId.id}`;
  return '';
}

function communities(list: string[] | undefined): CommunityList | undefined {
  return list === undefined ? undefined : { comList: list.map((communityString) => ({ communityString })) };
}

const MONITOR_OPS: Record<MonitorOp, MonitorOper> = {
  update: MonitorOper.ROUTE_UPDATE,
  remove: MonitorOper.ROUTE_REMOVE,
  'end-of-rib': MonitorOper.END_OF_RIBS,
};

export const legacyCodec: DialectCodec<BgpRouteEntry, BgpRouteMatch> = {
  dialect: 'legacy',

  encodePath(p: BgpPath): BgpRouteEntry {
    return {
      destPrefix: p.flowspec === undefined ? wirePrefix(p.prefix) : encodeFlowPrefix(p),
      destPrefixLen: p.length,
      table: table(p.table),
      protocol: RouteProtocol.PROTO_BGP_STATIC,
      pathCookie: p.cookie,
      routePreference: attr(p.routePref),
      localPreference: attr(p.localPref),
      med: attr(p.med),
      aigpDistance: undefined,
      communities: communities(p.communities),
      aspath: p.asPath === undefined ? undefined : { aspathString: p.asPath },
      originatorId: p.originatorId === undefined ? undefined : { value: ipv4ToUint32(p.originatorId) },
      clusterList: (p.clusterList ?? []).map((c) => ({ value: ipv4ToUint32(c) })),
      clusterId: undefined,
      routeOperFlag: 0,
      protocolNexthops: p.nextHops.map(textAddress),
      routeType: p.peerType === 'external' ? BgpPeerType.BGP_EXTERNAL : BgpPeerType.BGP_INTERNAL,
      routeFlags:
        p.noAdvertise || p.noExport
          ? {
              noAdvertise: !!p.noAdvertise,
              noExport: !!p.noExport,
              useNexthopReject: false,
              useNexthopFictitious: false,
            }
          : undefined,
      routeData:
        p.then === undefined ? undefined : { srtePolicyData: undefined, flowspecData: encodeFlowActions(p.then) },
      tunnelAttributes: undefined,
    };
  },

  decodePath(e: BgpRouteEntry): WirePath {
    const path: WirePath = {
      family: prefixFamily(e.destPrefix),
      table: tableName(e.table),
      prefix: prefixAddress(e.destPrefix),
      length: e.destPrefixLen,
      cookie: e.pathCookie,
      nextHops: e.protocolNexthops.map(addressText),
      peerType: e.routeType === BgpPeerType.BGP_EXTERNAL ? 'external' : 'internal',
    };
    if (path.family === 'other') decodeFlowDestination(path, e.destPrefix);
    decodeFlowData(path, e.routeData?.flowspecData);
    if (e.localPreference) path.localPref = e.localPreference.value;
    if (e.routePreference) path.routePref = e.routePreference.value;
    if (e.med) path.med = e.med.value;
    if (e.aspath) path.asPath = e.aspath.aspathString;
    if (e.communities) path.communities = e.communities.comList.map((c) => c.communityString);
    if (e.originatorId) path.originatorId = uint32ToIpv4(e.originatorId.value);
    if (e.clusterList.length) path.clusterList = e.clusterList.map((c) => uint32ToIpv4(c.value));
    if (e.routeFlags?.noAdvertise) path.noAdvertise = true;
    if (e.routeFlags?.noExport) path.noExport = true;
    return path;
  },

  encodeMatch(m: PathMatch): BgpRouteMatch {
    return {
      destPrefix:
        m.flowspec !== undefined
          ? encodeFlowPrefix({ table: m.table ?? '', flowspec: m.flowspec })
          : m.prefix === undefined
            ? undefined
            : wirePrefix(m.prefix),
      destPrefixLen: m.length ?? 0,
      table: table(m.table),
      protocol: RouteProtocol.PROTO_BGP_STATIC,
      pathCookie: m.cookie ?? 0n,
      communities: communities(m.matchCommunities),
    };
  },

  decodeMatch(m: BgpRouteMatch | undefined): WireMatch {
    if (!m) return {};
    const matchCommunities = m.communities?.comList.map((c) => c.communityString);
    return wireMatch(m.destPrefix, m.destPrefixLen, m.table && tableName(m.table), m.pathCookie, matchCommunities);
  },

  ...operStatuses(OperStatus),
  ...monitorOps(MONITOR_OPS),
};
