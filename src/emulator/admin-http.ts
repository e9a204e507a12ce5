/**
 * The emulator's HTTP control surface for tests, demos and the CLI: JSON in,
 * JSON out, on its own port, never part of what a router offers.
 *
 *   GET    /healthz            {"status": "ok", "grpcPort": n}
 *   GET    /routes             the RIB, one entry per programmed path; query owner=, prefix=, table=
 *   GET    /clients            client ids, their users, dialects, connection state, route counts
 *   GET    /peer-routes        the peer-learned routes fed to Monitor/Subscribe
 *   POST   /peer-routes        inject peer routes: an array of intent-shaped routes
 *   DELETE /peer-routes        withdraw peer routes: an array of {"prefix", "table"?}, or the query
 *                              ?prefix=...&prefix=...&table=... (table optional)
 *   POST   /notify             {"topic", "event"}: publish a jet-event through the notifier
 *   POST   /faults             {"latencyMs"?, "unavailable"?, "tryAgain"?, "dropConnections"?,
 *                               "reject"?: {"prefixes", "status", "ops"?}}; {} clears
 *
 * Routes are written as `{table, prefix: "10.1.0.0/24", cookie: "<decimal>",
 * nextHops, <attributes>, owner}`: the cookie is text because it is a 64-bit
 * integer that JSON numbers cannot hold exactly. Malformed input gets a 400
 * naming the field, an unknown path 404, a body over 1 MiB 413. The API is
 * described by docs/emulator-admin.openapi.yaml (OpenAPI 3.1).
 */
import { flowMatchJson } from '../jet/flowspec.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { BgpPath } from '../jet/model.js';
import type { Intent } from '../intent/intent.js';
import { issueLines, issueMessage } from '../intent/issues.js';
import { parseIntentPayload } from '../intent/parse.js';
import { AddressSyntaxError, defaultTable, familyName, parsePrefix, quote, tableFamily } from '../intent/syntax.js';
import { PeerRouteError, type JetEmulator, type PeerRouteInput } from './emulator.js';
import type { JetEventInput } from './notify.js';
import { RejectFaultError, ROUTE_OPERATIONS } from './route-faults.js';

/** What the admin API needs of the emulator. */
export type AdminEmulator = Pick<
  JetEmulator,
  'port' | 'routes' | 'clients' | 'peerRoutes' | 'injectPeerRoutes' | 'withdrawPeerRoutes' | 'setFaults'
>;

/** What POST /notify needs: the notifier's publish. */
export interface AdminNotifier {
  publish(topic: string, event: JetEventInput): Promise<void>;
}

export interface AdminServerOptions {
  host: string;
  /** 0 picks a free port; the bound one is in the returned `port`. */
  port: number;
  logger: Logger;
  notifier?: AdminNotifier;
}

export interface AdminServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Largest request body accepted. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An answer other than 200, with the message the client sees. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Request {
  query: URLSearchParams;
  /** The body, read up to MAX_BODY_BYTES. */
  body(): Promise<Buffer>;
}

type Handler = (request: Request) => Promise<unknown> | unknown;

/**
 * `10.1.0.0/24` and the cookie as decimal text; everything else as the model
 * names it. A flow route shows its match text as `prefix` and its match as the intent writes it.
 */
export function pathJson(path: BgpPath & { owner?: string; since?: number }): Record<string, unknown> {
  // `since` dates a path for `show route`; the JSON keeps to the path and its owner.
  const { table, prefix, length, cookie, nextHops, since: _since, flowspec, ...rest } = path;
  const json = { table, prefix: `${prefix}/${length}`, cookie: cookie.toString(), nextHops, ...rest };
  if (flowspec !== undefined) Object.assign(json, { prefix, flowspec: flowMatchJson(flowspec) });
  return json;
}

/** JSON that writes any bigint as decimal text instead of throwing. */
function stringify(body: unknown): string {
  return JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

function parseJson(buffer: Buffer): unknown {
  if (buffer.length === 0) throw new HttpError(400, 'request body is empty; expected JSON');
  try {
    return JSON.parse(buffer.toString('utf8')) as unknown;
  } catch (error) {
    throw new HttpError(400, `request body is not JSON: ${(error as Error).message}`);
  }
}

/** Validates `value` with `schema`, turning zod issues into a 400 that names each field. */
function validate<T>(schema: z.ZodType<T>, value: unknown, base: string): T {
  const result = schema.safeParse(value, { error: issueMessage });
  if (!result.success) throw new HttpError(400, issueLines(result.error.issues, base).join('; '));
  return result.data;
}

function checkQuery(query: URLSearchParams, known: readonly string[]): void {
  for (const key of query.keys()) {
    if (!known.includes(key)) {
      throw new HttpError(400, `unknown query parameter "${key}" (known: ${known.join(', ') || 'none'})`);
    }
  }
}

/** A prefix from a query or body field, canonical; 400 naming `field` when malformed. */
function prefixField(text: string, field: string) {
  try {
    return parsePrefix(text);
  } catch (error) {
    if (error instanceof AddressSyntaxError) throw new HttpError(400, `${field}: ${error.message}`);
    throw error;
  }
}

/** Runs a peer-route change; what the emulated router refuses (an unknown table, say) is the client's 400. */
function refusedAsBadRequest(change: () => void): void {
  try {
    change();
  } catch (error) {
    if (error instanceof PeerRouteError) throw new HttpError(400, `${error.status}: ${error.message}`);
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Handlers

function listRoutes(emulator: AdminEmulator, { query }: Request): unknown {
  checkQuery(query, ['owner', 'prefix', 'table']);
  const owner = query.get('owner');
  const table = query.get('table');
  const prefixText = query.get('prefix');
  const prefix = prefixText === null ? undefined : prefixField(prefixText, 'prefix');
  return emulator
    .routes()
    .filter(
      (route) =>
        (owner === null || route.owner === owner) &&
        (table === null || route.table === table) &&
        (prefix === undefined || (route.prefix === prefix.prefix && route.length === prefix.length)),
    )
    .map(pathJson);
}

/**
 * A peer-learned route is one BGP path carrying all its next hops, as a router
 * learns it from a neighbour (unlike programmed routes, one path per next hop).
 * The emulator assigns its cookie.
 */
function peerRouteOf(intent: Intent): PeerRouteInput {
  const { table, prefix, length, nextHops, attributes } = intent;
  return { ...attributes, table, prefix, length, nextHops };
}

async function injectPeerRoutes(emulator: AdminEmulator, request: Request): Promise<unknown> {
  const parsed = parseIntentPayload(await request.body());
  if (!parsed.ok) throw new HttpError(400, parsed.error);
  const problems = parsed.entries.flatMap((entry) => {
    if ('error' in entry) return [entry.error];
    if (entry.intent.action === 'withdraw') {
      return [
        `intents[${entry.index}].action: "withdraw" is not allowed here; DELETE /peer-routes withdraws peer routes`,
      ];
    }
    return [];
  });
  if (problems.length > 0) throw new HttpError(400, problems.join('; '));
  const routes = parsed.entries.flatMap((entry) => ('intent' in entry ? [peerRouteOf(entry.intent)] : []));
  refusedAsBadRequest(() => emulator.injectPeerRoutes(routes));
  return { injected: routes.length };
}

const withdrawSchema = z.array(z.strictObject({ prefix: z.string(), table: z.string().min(1).optional() })).min(1);

interface WithdrawSelection {
  items: Array<{ prefix: string; table?: string }>;
  /** How an error names item `i`'s `key`: its place in the body, or the query parameter. */
  field(i: number, key: 'prefix' | 'table'): string;
}

/** The routes to withdraw: a JSON body, or `?prefix=...&prefix=...[&table=...]`, not both. */
async function withdrawSelection(request: Request): Promise<WithdrawSelection> {
  const { query } = request;
  checkQuery(query, ['prefix', 'table']);
  const body = await request.body();
  const prefixes = query.getAll('prefix');
  const table = query.get('table');
  if (prefixes.length === 0 && table === null) {
    const items = validate(withdrawSchema, parseJson(body), 'routes');
    return { items, field: (i, key) => `routes[${i}].${key}` };
  }
  if (body.length > 0) throw new HttpError(400, 'give the routes in the body or as query parameters, not both');
  if (prefixes.length === 0) throw new HttpError(400, 'query parameter "table" needs at least one "prefix"');
  if (table === '') throw new HttpError(400, 'query parameter "table" is empty');
  const items = prefixes.map((prefix) => ({ prefix, ...(table !== null && { table }) }));
  return { items, field: (i, key) => (key === 'prefix' ? `query prefix ${quote(prefixes[i] ?? '')}` : 'query table') };
}

async function withdrawPeerRoutes(emulator: AdminEmulator, request: Request): Promise<unknown> {
  const { items, field } = await withdrawSelection(request);
  const keys = items.map((item, i) => {
    const { family, prefix, length } = prefixField(item.prefix, field(i, 'prefix'));
    const table = item.table ?? defaultTable(family);
    const holds = tableFamily(table);
    if (holds === undefined)
      throw new HttpError(
        400,
        `${field(i, 'table')}: ${quote(table)} is not a unicast routing table (inet.N or inet6.N)`,
      );
    if (holds !== family) {
      throw new HttpError(
        400,
        `${field(i, 'table')}: ${table} holds ${familyName(holds)} routes but ${prefix}/${length} is ${familyName(family)}`,
      );
    }
    return { prefix, length, table };
  });
  const before = emulator.peerRoutes().length;
  refusedAsBadRequest(() => emulator.withdrawPeerRoutes(keys));
  return { withdrawn: before - emulator.peerRoutes().length };
}

const notifySchema = z.strictObject({
  topic: z
    .string()
    .min(1)
    .max(1024)
    .refine((topic) => !/[+#\0]/.test(topic), 'a topic to publish on must not contain "+", "#" or NUL'),
  event: z.strictObject({
    'event-id': z.string().min(1),
    hostname: z.string().optional(),
    time: z.string().optional(),
    severity: z.string().optional(),
    facility: z.string().optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
  }),
});

async function notify(notifier: AdminNotifier | undefined, request: Request): Promise<unknown> {
  if (!notifier) throw new HttpError(409, 'notifications are off: start the emulator with --notify-mqtt <url>');
  const { topic, event } = validate(notifySchema, parseJson(await request.body()), '');
  try {
    await notifier.publish(topic, event);
  } catch (error) {
    throw new HttpError(502, `the notification broker did not take the event: ${(error as Error).message}`);
  }
  return { published: topic };
}

const faultsSchema = z.strictObject({
  latencyMs: z.int().min(0).max(600_000).optional(),
  unavailable: z.boolean().optional(),
  tryAgain: z.boolean().optional(),
  dropConnections: z.boolean().optional(),
  reject: z
    .strictObject({
      prefixes: z.array(z.string()).min(1),
      status: z.string(),
      ops: z.array(z.enum(ROUTE_OPERATIONS)).min(1).optional(),
    })
    .optional(),
});

async function setFaults(emulator: AdminEmulator, request: Request): Promise<unknown> {
  const faults = validate(faultsSchema, parseJson(await request.body()), '');
  try {
    emulator.setFaults(faults);
  } catch (error) {
    if (error instanceof RejectFaultError) throw new HttpError(400, `reject.${error.message}`);
    throw error;
  }
  return { faults };
}

/** A handler for an endpoint that takes no query parameters: any given is a 400. */
function withoutQuery(produce: () => unknown): Handler {
  return ({ query }) => {
    checkQuery(query, []);
    return produce();
  };
}

function handlers(emulator: AdminEmulator, notifier: AdminNotifier | undefined): Map<string, Map<string, Handler>> {
  const table: Array<[method: string, path: string, handler: Handler]> = [
    ['GET', '/healthz', () => ({ status: 'ok', grpcPort: emulator.port })],
    ['GET', '/routes', (r) => listRoutes(emulator, r)],
    ['GET', '/clients', withoutQuery(() => emulator.clients())],
    ['GET', '/peer-routes', withoutQuery(() => emulator.peerRoutes().map(pathJson))],
    ['POST', '/peer-routes', (r) => injectPeerRoutes(emulator, r)],
    ['DELETE', '/peer-routes', (r) => withdrawPeerRoutes(emulator, r)],
    ['POST', '/notify', (r) => notify(notifier, r)],
    ['POST', '/faults', (r) => setFaults(emulator, r)],
  ];
  const byPath = new Map<string, Map<string, Handler>>();
  for (const [method, path, handler] of table) {
    const methods = byPath.get(path) ?? new Map<string, Handler>();
    methods.set(method, handler);
    byPath.set(path, methods);
  }
  return byPath;
}

// ---------------------------------------------------------------------------
// Server

/** Reads the body up to the cap; a larger one is a 413 (its rest is discarded). */
function bodyReader(req: IncomingMessage): () => Promise<Buffer> {
  return () => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      req.resume();
      return Promise.reject(
        new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${MAX_BODY_BYTES}`),
      );
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          req.off('data', onData);
          req.resume();
          reject(new HttpError(413, `request body exceeds the limit of ${MAX_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      };
      req.on('data', onData);
      req.once('end', () => resolve(Buffer.concat(chunks)));
      req.once('error', reject);
    });
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

async function dispatch(
  routes: Map<string, Map<string, Handler>>,
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
) {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const methods = routes.get(url.pathname);
  if (!methods) {
    send(res, 404, { error: `no such endpoint: ${url.pathname}`, endpoints: [...routes.keys()] });
    return;
  }
  const handler = methods.get(req.method ?? '');
  if (!handler) {
    const allowed = [...methods.keys()].join(', ');
    send(res, 405, { error: `${req.method} is not allowed on ${url.pathname}; use ${allowed}` }, { Allow: allowed });
    return;
  }
  try {
    send(res, 200, await handler({ query: url.searchParams, body: bodyReader(req) }));
  } catch (error) {
    if (error instanceof HttpError) {
      // After a refused body the connection has unread bytes; close it rather than reuse it.
      send(res, error.status, { error: error.message }, error.status === 413 ? { Connection: 'close' } : {});
      return;
    }
    logger.error({ err: error, path: url.pathname }, 'emulator admin request failed');
    if (!res.headersSent) send(res, 500, { error: `internal error: ${(error as Error).message}` });
  }
}

/** Starts the admin API and resolves once its port is bound. */
export function startAdminServer(emulator: AdminEmulator, options: AdminServerOptions): Promise<AdminServer> {
  const { logger } = options;
  const routes = handlers(emulator, options.notifier);
  const server = createServer((req, res) => void dispatch(routes, req, res, logger));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      server.on('error', (error) => logger.error({ err: error }, 'emulator admin server error'));
      const { port } = server.address() as AddressInfo;
      resolve({
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
