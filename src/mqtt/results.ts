/**
 * Payloads the bridge publishes: intent results and device state. Their JSON keys are
 * part of the public MQTT contract (users' automations parse them), so change them
 * only additively.
 */

/** `status` of a route that JET programmed. */
export const SUCCESS = 'SUCCESS';

/** Statuses the bridge itself gives when a route never reached JET, or was refused. */
export const BridgeCode = {
  /** The payload is not valid JSON or not a valid intent. */
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  /** The topic names a device the bridge is not configured for. */
  UNKNOWN_DEVICE: 'UNKNOWN_DEVICE',
  /** A policy rule refused the route. */
  POLICY_DENIED: 'POLICY_DENIED',
  /** The device session is down; the route was not programmed. */
  DEVICE_UNAVAILABLE: 'DEVICE_UNAVAILABLE',
  /** A later intent for the same route replaced this one before it was programmed. */
  SUPERSEDED: 'SUPERSEDED',
  /** The sender or device exceeded its intent rate. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** Programming the route would exceed a configured route limit. */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
} as const;

export type BridgeCode = (typeof BridgeCode)[keyof typeof BridgeCode];

/** The outcome for one route of an intent. */
export interface IntentResult {
  prefix: string;
  action: 'announce' | 'withdraw';
  /** `SUCCESS`, the JET status enum name, or a {@link BridgeCode}. */
  status: string;
  /** The numeric JET status, when the route reached JET. */
  jetStatus?: number;
  added: number;
  modified: number;
  removed: number;
  /** True when the device already had exactly this route, so nothing was sent. */
  unchanged: boolean;
  /** Id of the intent that superseded this one (status `SUPERSEDED`). */
  supersededBy?: string;
  error?: string;
  id?: string;
  table?: string;
}

/** One reply to one intent message. */
export interface ResultMessage {
  /** The request's `id`, echoed so that senders can match replies. */
  id?: string;
  ok: boolean;
  device: string;
  results: IntentResult[];
  error?: string;
  /** Time from receiving the request to publishing this reply. */
  latencyMs: number;
}

export type DeviceState = 'connecting' | 'ready' | 'rebound' | 'down';

/** Retained on `<prefix>/<device>/state`. */
export interface DeviceStateMessage {
  state: DeviceState;
  dialect: string;
  /** ISO 8601 time of the last state change. */
  since: string;
  error?: string;
  drops?: number;
  /**
   * Paths the router does not hold as the bridge's durable record says: refused
   * while reconciling, or left unverified by a request that went unanswered. The
   * bridge retries them with backoff; absent when there are none.
   */
  unreconciled?: number;
}
