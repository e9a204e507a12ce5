/**
 * Route queries: a message on `<prefix>/<device>/bgp/get` asks which routes the
 * device reports through JET Get. The payload is optional:
 *
 *   {"id": "q1", "prefix": "10.0.0.0/8", "orLonger": true, "table": "inet.0"}
 *
 * (`table` defaults to the prefix's family table; no prefix asks for every
 * route.) The answer goes to `<prefix>/<device>/bgp/get/result`, or to the
 * MQTT 5 response topic, as
 * `{"id", "ok", "device", "routes": [{"prefix": "10.1.0.0/24", "table", "nextHops", "cookie": "<decimal>", ...attributes}], "error"?}`.
 * Cookies are decimal strings because JSON numbers cannot hold 64 bits.
 */
import { flowMatchJson, flowTableFamily } from '../jet/flowspec.js';
import { z } from 'zod';
import type { IntentLimits } from '../intent/intent.js';
import { issueLines, issueMessage } from '../intent/issues.js';
import {
  AddressSyntaxError,
  defaultTable,
  familyName,
  type ParsedPrefix,
  parsePrefix,
  quote,
  tableFamily,
} from '../intent/syntax.js';
import { DeviceUnavailableError } from '../jet/device.js';
import type { BgpPath, PathAttributes, PathMatch } from '../jet/model.js';
import type { InboundMessage } from '../mqtt/client.js';
import { BridgeCode } from '../mqtt/results.js';
import type { StageContext } from './context.js';

export interface RouteQuery {
  id?: string;
  match: PathMatch;
}

/** One route in a query answer. */
export interface QueriedRoute extends PathAttributes {
  prefix: string;
  table: string;
  nextHops: string[];
  cookie: string;
  /** A flow route's match, as an intent writes it; `prefix` is then its canonical text. */
  flowspec?: Record<string, unknown>;
}

export interface QueryAnswer {
  id?: string;
  ok: boolean;
  device: string;
  routes: QueriedRoute[];
  error?: string;
}

function querySchema(limits: IntentLimits) {
  const text = z.string().min(1).max(limits.maxStringLength);
  return z.strictObject({
    id: text.optional(),
    prefix: text.optional(),
    orLonger: z.boolean().optional(),
    table: text.optional(),
  });
}

/** Parses a query payload; an error names the field and says why. */
export function parseRouteQuery(
  payload: Buffer,
  limits: IntentLimits,
): { ok: true; query: RouteQuery } | { ok: false; error: string; id?: string } {
  if (payload.length > limits.maxPayloadBytes)
    return { ok: false, error: `payload is larger than the limit of ${limits.maxPayloadBytes} bytes` };
  const text = payload.toString('utf8');
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { ok: false, error: `payload is not JSON: ${(error as Error).message}` };
    }
  }
  const parsed = querySchema(limits).safeParse(value, { error: issueMessage });
  if (!parsed.success) return { ok: false, error: issueLines(parsed.error.issues, 'payload').join('; ') };
  const { id, prefix, orLonger, table } = parsed.data;
  const fail = (error: string) => ({ ok: false as const, error, ...(id !== undefined && { id }) });
  const match: PathMatch = {};
  if (table !== undefined && flowTableFamily(table) !== undefined) {
    // A flow table is listed whole: its keys are matches, not prefixes.
    if (prefix !== undefined) return fail(`payload.prefix: ${table} holds flow routes; leave out prefix to list them`);
    if (orLonger !== undefined) return fail('payload.orLonger: needs a prefix to widen');
    return { ok: true, query: { ...(id !== undefined && { id }), match: { table } } };
  }
  const tableHolds = table === undefined ? undefined : tableFamily(table);
  if (table !== undefined && tableHolds === undefined) {
    return fail(
      `payload.table: ${quote(table)} is not a routing table (expected inet.N, inet6.N, <instance>.inet.N, <instance>.inet6.N, inetflow.0 or inet6flow.0)`,
    );
  }
  if (prefix !== undefined) {
    let destination: ParsedPrefix;
    try {
      destination = parsePrefix(prefix);
    } catch (error) {
      return fail(`payload.prefix: ${error instanceof AddressSyntaxError ? error.message : String(error)}`);
    }
    const holds = tableHolds ?? destination.family;
    if (holds !== destination.family) {
      return fail(
        `payload.table: ${table} holds ${familyName(holds)} routes but prefix ${prefix} is ${familyName(destination.family)}`,
      );
    }
    match.table = table ?? defaultTable(destination.family);
    match.prefix = destination.prefix;
    match.length = destination.length;
    if (orLonger !== undefined) match.orLonger = orLonger;
  } else {
    if (orLonger !== undefined) return fail('payload.orLonger: needs a prefix to widen');
    if (table !== undefined) match.table = table;
  }
  return { ok: true, query: { ...(id !== undefined && { id }), match } };
}

/** A route as the answer shows it: prefix with its length, cookie as decimal text. */
export function queriedRoute(path: BgpPath): QueriedRoute {
  const { table, prefix, length, cookie, nextHops, flowspec, ...attributes } = path;
  if (flowspec !== undefined) {
    return { prefix, table, nextHops, cookie: cookie.toString(), flowspec: flowMatchJson(flowspec), ...attributes };
  }
  return { prefix: `${prefix}/${length}`, table, nextHops, cookie: cookie.toString(), ...attributes };
}

/** The answer to one query message. Never rejects. */
export async function queryRoutes(msg: InboundMessage, device: string, ctx: StageContext): Promise<QueryAnswer> {
  const parsed = parseRouteQuery(msg.payload, ctx.limits);
  const context = ctx.devices.get(device);
  const id = parsed.ok ? parsed.query.id : parsed.id;
  const answer = (error?: string, routes: QueriedRoute[] = []): QueryAnswer => ({
    ...(id !== undefined && { id }),
    ok: error === undefined,
    device,
    routes,
    ...(error !== undefined && { error }),
  });
  if (context === undefined) return answer(`${BridgeCode.UNKNOWN_DEVICE}: device "${device}" is not configured`);
  if (!parsed.ok) return answer(`${BridgeCode.INVALID_PAYLOAD}: ${parsed.error}`);
  try {
    const paths = await context.session.get(parsed.query.match);
    return answer(undefined, paths.map(queriedRoute));
  } catch (error) {
    if (error instanceof DeviceUnavailableError) return answer(`${BridgeCode.DEVICE_UNAVAILABLE}: ${error.message}`);
    ctx.logger.warn({ device, err: error }, 'route query failed');
    return answer(`query failed: ${(error as Error).message ?? String(error)}`);
  }
}

/** Serves one query message: asks the device, then publishes the answer. Never rejects. */
export async function answerRouteQuery(msg: InboundMessage, device: string, ctx: StageContext): Promise<void> {
  const answer = await queryRoutes(msg, device, ctx);
  try {
    await ctx.reply(msg, ctx.topics.getResult(device), JSON.stringify(answer));
  } catch (error) {
    ctx.logger.warn({ device, err: error }, 'could not publish a route query answer');
  }
}
