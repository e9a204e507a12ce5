/**
 * The route intent: what an MQTT publisher asks the bridge to do with one
 * prefix on one device, after validation. The wire format (JSON field names) is
 * described in parse.ts; this module holds the validated shape and the limits
 * that bound a message.
 */
import type { FlowMatch } from '../jet/flowspec.js';
import type { PathAttributes } from '../jet/model.js';
import type { Family } from './syntax.js';

export type IntentAction = 'announce' | 'withdraw';

export interface Intent {
  /** The publisher's correlation id, echoed in results. */
  id?: string;
  action: IntentAction;
  table: string;
  family: Family;
  /** Canonical network address text; for a flow route, the canonical text of `flowspec` (length 0). */
  prefix: string;
  length: number;
  /**
   * Canonical next-hop addresses, one BGP-static path each. For an announce it
   * is never empty. For a withdraw it names the paths to remove; empty means
   * every path of the prefix.
   */
  nextHops: string[];
  attributes: PathAttributes;
  /** A flow route's match (see src/intent/flowspec.ts): the route's key. */
  flowspec?: FlowMatch;
}

/** Bounds that keep one message from costing the bridge unbounded work. */
export interface IntentLimits {
  /** Payload size in bytes, checked before decoding. */
  maxPayloadBytes: number;
  maxIntentsPerMessage: number;
  /** Length of every free-text field (id, prefix, table, addresses, communities). */
  maxStringLength: number;
  maxNextHops: number;
  /** AS numbers in `asPath`; also bounds the entries of `clusterList`, the other path-length list. */
  maxAsPathLength: number;
  maxCommunities: number;
  /** JSON nesting depth of the whole payload, checked before parsing. */
  maxDepth: number;
}

export const DEFAULT_INTENT_LIMITS: Readonly<IntentLimits> = Object.freeze({
  maxPayloadBytes: 1024 * 1024,
  maxIntentsPerMessage: 10_000,
  maxStringLength: 256,
  maxNextHops: 64,
  maxAsPathLength: 64,
  maxCommunities: 64,
  maxDepth: 8,
});
