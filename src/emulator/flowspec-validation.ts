/**
 * How the emulated router checks a flow route (`inet_flowspec` /
 * `inet6_flowspec` destination with `flowspec_data`), with the JET statuses
 * for each fault: FLOWSPEC_ADDR_INVALID for a destination or source that is
 * not a prefix of the route's family, FLOWSPEC_MTCH_FLDS_INVALID for an empty
 * match, a range out of its bounds or unknown TCP flag bits,
 * FLOWSPEC_ACTION_INVALID for no action, more than one terminating action, a
 * DSCP above 63 or a redirect that is not a route target, and TABLE_INVALID
 * for a table that is not a flow table of the route's family. Protocol next
 * hops are ignored: a flow route has none (the choice is ours; the IDL is
 * silent). Checked matches come back canonical (flowspec.ts).
 */
import type { WireMatch } from '../jet/codec/index.js';
import {
  canonicalMatch,
  type FlowActions,
  type FlowMatch,
  flowKey,
  flowTableFamily,
  RANGE_COMPONENT_NAMES,
  RANGE_COMPONENTS,
  TERMINATING_ACTIONS,
} from '../jet/flowspec.js';
import { communityError, type Family, familyName, parsePrefix } from '../intent/syntax.js';

export type FlowStatus =
  | 'FLOWSPEC_ADDR_INVALID'
  | 'FLOWSPEC_MTCH_FLDS_INVALID'
  | 'FLOWSPEC_ACTION_INVALID'
  | 'TABLE_INVALID';

/** Why a flow route was refused. */
export interface FlowFault<S extends FlowStatus = FlowStatus> {
  fault: S;
  message: string;
}

type DestinationFault = FlowFault<'FLOWSPEC_ADDR_INVALID' | 'FLOWSPEC_MTCH_FLDS_INVALID' | 'TABLE_INVALID'>;

/** A checked flow destination: canonical match and its key text. */
export interface CheckedFlow {
  family: Family;
  table: string;
  prefix: string;
  length: 0;
  flowspec: FlowMatch;
}

const fault = <S extends FlowStatus>(status: S, message: string): FlowFault<S> => ({ fault: status, message });

function addressFault(
  field: 'destination' | 'source',
  text: string | undefined,
  family: Family,
): FlowFault<'FLOWSPEC_ADDR_INVALID'> | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = parsePrefix(text);
    if (parsed.family !== family) {
      return fault('FLOWSPEC_ADDR_INVALID', `${field} ${text} is not ${familyName(family)} (${family}_flowspec)`);
    }
    return undefined;
  } catch (error) {
    return fault('FLOWSPEC_ADDR_INVALID', `${field}: ${(error as Error).message}`);
  }
}

function matchFault(
  match: FlowMatch,
  unknownTcpBits: number | undefined,
): FlowFault<'FLOWSPEC_MTCH_FLDS_INVALID'> | undefined {
  if (unknownTcpBits !== undefined && unknownTcpBits !== 0) {
    return fault(
      'FLOWSPEC_MTCH_FLDS_INVALID',
      `tcp_flags sets bits 0x${unknownTcpBits.toString(16)} that name no TCP flag`,
    );
  }
  for (const name of RANGE_COMPONENT_NAMES) {
    const { max } = RANGE_COMPONENTS[name];
    for (const [i, range] of (match[name] ?? []).entries()) {
      if (range.min > range.max || range.max > max) {
        return fault(
          'FLOWSPEC_MTCH_FLDS_INVALID',
          `${name}[${i}] ${range.min}..${range.max} is not a range within 0..${max}`,
        );
      }
    }
  }
  if (Object.keys(match).length === 0) return fault('FLOWSPEC_MTCH_FLDS_INVALID', 'the match has no field');
  return undefined;
}

/** The destination of a flow route or key, canonical, or why it is refused. */
export function checkFlowDestination(m: WireMatch): CheckedFlow | DestinationFault {
  const family = m.family === 'inet6' ? 'inet6' : 'inet';
  const match = m.flowspec ?? {};
  const table = m.table ?? '';
  const holds = flowTableFamily(table);
  if (holds !== family) {
    const why =
      holds === undefined ? `"${table}" is not a flow table` : `${table} holds ${familyName(holds)} flow routes`;
    return fault('TABLE_INVALID', `${why}; ${family}_flowspec routes go to ${family}flow.0`);
  }
  const problem =
    addressFault('destination', match.destination, family) ??
    addressFault('source', match.source, family) ??
    matchFault(match, m.unknownTcpBits);
  if (problem) return problem;
  const canonical = canonicalMatch(match);
  return { family, table, prefix: flowKey(canonical), length: 0, flowspec: canonical };
}

/** Why a flow route's actions are refused, or undefined when they are sound. */
export function flowActionsFault(then: FlowActions | undefined): FlowFault<'FLOWSPEC_ACTION_INVALID'> | undefined {
  if (then === undefined || Object.keys(then).length === 0) {
    return fault('FLOWSPEC_ACTION_INVALID', 'flowspec_data names no action');
  }
  const terminating = TERMINATING_ACTIONS.filter((name) => then[name] !== undefined);
  if (terminating.length > 1) {
    return fault(
      'FLOWSPEC_ACTION_INVALID',
      `flowspec_data sets ${terminating.join(' and ')}: one terminating action at most`,
    );
  }
  if (then.markDscp !== undefined && then.markDscp > 63) {
    return fault('FLOWSPEC_ACTION_INVALID', `mark_dscp ${then.markDscp} exceeds 63`);
  }
  if (then.redirect !== undefined) {
    const problem = then.redirect.startsWith('target:') ? communityError(then.redirect) : 'expected target:X:Y';
    if (problem) return fault('FLOWSPEC_ACTION_INVALID', `redirect_inst_rt_comm: ${problem}`);
  }
  return undefined;
}

export function isFlowFault<S extends FlowStatus>(value: object | FlowFault<S>): value is FlowFault<S> {
  return 'fault' in value;
}
