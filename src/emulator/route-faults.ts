/**
 * Route-level faults: the emulated router refuses routes inside chosen prefixes
 * with a chosen JET status, as a router does for a next hop it cannot resolve or
 * a table that is not ready. A test describes the fault in plain data
 * ({@link RejectFault}); {@link compileRejectFault} checks it once and returns a
 * rule the route programmer asks per route. Pure: no sockets, no clock.
 */
import ipaddr from 'ipaddr.js';
import type { BgpRouteOperReply_BgpRouteOperStatus as LegacyOperStatus } from '../gen/bgp_route_service.js';
import type { RouteOperResponse_StatusCode as JnxOperStatus } from '../gen/jnx_routing_bgp_service.js';
import { AddressSyntaxError, parsePrefix } from '../intent/syntax.js';
import type { RouteOperation } from '../jet/model.js';

/** Every route-operation status name of either dialect's enum. */
export type JetOperStatusName = Exclude<keyof typeof LegacyOperStatus | keyof typeof JnxOperStatus, 'UNRECOGNIZED'>;

/**
 * The names {@link JetOperStatusName} covers, as values (the enums are imported
 * as types only so this module stays free of generated code at run time).
 * Written out once; `satisfies` makes the compiler hold it to both enums.
 */
const STATUS_NAMES = Object.keys({
  SUCCESS: 0,
  INTERNAL_ERROR: 0,
  NOT_INITIALIZED: 0,
  NO_OP: 0,
  TOO_MANY_OPS: 0,
  TABLE_INVALID: 0,
  TABLE_NOT_READY: 0,
  PREFIX_INVALID: 0,
  PREFIX_LEN_TOO_SHORT: 0,
  PREFIX_LEN_TOO_LONG: 0,
  GATEWAY_INVALID: 0,
  NEXTHOP_INVALID: 0,
  NEXTHOP_ADDRESS_INVALID: 0,
  NEXTHOP_ECMP_LIMIT: 0,
  COMMUNITY_LIST_INVALID: 0,
  ASPATH_INVALID: 0,
  LABEL_INFO_INVALID: 0,
  ROUTE_EXISTS: 0,
  ROUTE_NOT_FOUND: 0,
  CLUSTER_LIST_INVALID: 0,
  PROTOCOL_INVALID: 0,
  ROUTE_ADD_FAILED: 0,
  BGP_NOT_READY: 0,
  TRY_AGAIN: 0,
  REQUEST_NOT_DONE: 0,
  REQUEST_UNSUPPORTED: 0,
  PEER_TYPE_INVALID: 0,
  SEGMENT_LIST_INVALID: 0,
  SEGMENT_INVALID: 0,
  SEGMENT_LABEL_INVALID: 0,
  SEGMENT_ID_INVALID: 0,
  SEGMENT_LIST_COUNT_INVALID: 0,
  SEGMENT_COUNT_INVALID: 0,
  SRTE_ROUTE_DATA_INVALID: 0,
  FLOWSPEC_ADDR_INVALID: 0,
  FLOWSPEC_MTCH_FLDS_INVALID: 0,
  FLOWSPEC_ACTION_INVALID: 0,
  FLOWSPEC_STATIC_RT_EXISTS: 0,
  SRTE_PRIORITY_INVALID: 0,
  TUNNEL_ATTR_LIST_INVALID: 0,
  TUNNEL_ATTR_EGRESS_ENDPOINT_NOT_IPV4: 0,
  TUNNEL_ATTR_COLOR_COM_COLOR_MISMATCH: 0,
  TUNNEL_ATTR_ENDPOINT_NH_MISMATCH: 0,
  TUNNEL_ATTR_ANYENCAP_INVALID: 0,
  TUNNEL_ATTR_RPF_INVALID: 0,
  TUNNEL_ATTR_EGRESS_ENDPOINT_INVALID: 0,
  SRTE_ENLP_INVALID: 0,
  MUTUALLY_EXCLUSIVE_RT_FLAGS_ARE_SET: 0,
} satisfies Record<JetOperStatusName, 0>) as JetOperStatusName[];

const FAILURE_NAMES: ReadonlySet<string> = new Set(STATUS_NAMES.filter((name) => name !== 'SUCCESS'));

export const ROUTE_OPERATIONS: readonly RouteOperation[] = ['add', 'modify', 'update', 'remove'];

/** A route-level fault as a test or the admin API gives it. */
export interface RejectFault {
  /** Routes at or inside any of these prefixes (`10.1.0.0/16`) are refused. */
  prefixes: string[];
  /** The JET status name the refusal answers (either dialect's name). */
  status: string;
  /** The operations refused; default all four. */
  ops?: RouteOperation[];
}

/** A reject fault that cannot be used; `field` names the part at fault. */
export class RejectFaultError extends Error {
  override readonly name = 'RejectFaultError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

interface Network {
  address: ipaddr.IPv4 | ipaddr.IPv6;
  length: number;
  text: string;
}

/** A checked reject fault: which routes it refuses and with what. */
export class RejectRule {
  constructor(
    readonly status: JetOperStatusName,
    private readonly networks: readonly Network[],
    private readonly ops: ReadonlySet<RouteOperation>,
  ) {}

  /**
   * The prefix (as given) that refuses `op` on the destination `prefix/length`,
   * or undefined. A destination whose prefix is not an IP address (another
   * route family) is never refused by an IP prefix.
   */
  refuses(op: RouteOperation, destination: { prefix: string; length: number }): string | undefined {
    if (!this.ops.has(op) || !ipaddr.isValid(destination.prefix)) return undefined;
    const address = ipaddr.parse(destination.prefix);
    const inside = this.networks.find(
      (network) =>
        destination.length >= network.length &&
        address.kind() === network.address.kind() &&
        address.match(network.address, network.length),
    );
    return inside?.text;
  }
}

function checkPrefix(text: unknown, field: string): Network {
  if (typeof text !== 'string') throw new RejectFaultError(field, 'expected a prefix such as "10.1.0.0/16"');
  try {
    const parsed = parsePrefix(text);
    return { address: ipaddr.parse(parsed.prefix), length: parsed.length, text: `${parsed.prefix}/${parsed.length}` };
  } catch (error) {
    if (error instanceof AddressSyntaxError) throw new RejectFaultError(field, error.message);
    throw error;
  }
}

function checkStatus(status: unknown): JetOperStatusName {
  if (typeof status === 'string' && FAILURE_NAMES.has(status)) return status as JetOperStatusName;
  const why = status === 'SUCCESS' ? 'SUCCESS is not a refusal' : `${JSON.stringify(status)} is not a JET status name`;
  throw new RejectFaultError('status', `${why} (e.g. NEXTHOP_ADDRESS_INVALID, TABLE_NOT_READY, ROUTE_ADD_FAILED)`);
}

function checkOps(ops: unknown): Set<RouteOperation> {
  if (ops === undefined) return new Set(ROUTE_OPERATIONS);
  if (!Array.isArray(ops) || ops.length === 0) {
    throw new RejectFaultError('ops', `expected a non-empty list of ${ROUTE_OPERATIONS.join(', ')}`);
  }
  return new Set(
    ops.map((op, i) => {
      if (ROUTE_OPERATIONS.includes(op as RouteOperation)) return op as RouteOperation;
      throw new RejectFaultError(`ops[${i}]`, `${JSON.stringify(op)} is not one of ${ROUTE_OPERATIONS.join(', ')}`);
    }),
  );
}

/** Checks a reject fault; throws RejectFaultError naming the field that is wrong. */
export function compileRejectFault(fault: RejectFault): RejectRule {
  if (!Array.isArray(fault.prefixes) || fault.prefixes.length === 0) {
    throw new RejectFaultError('prefixes', 'expected a non-empty list of prefixes such as "10.1.0.0/16"');
  }
  const networks = fault.prefixes.map((text, i) => checkPrefix(text, `prefixes[${i}]`));
  return new RejectRule(checkStatus(fault.status), networks, checkOps(fault.ops));
}
