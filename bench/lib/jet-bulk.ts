/**
 * The bulk reference: a JET client that sends 1000-route BgpRouteUpdate
 * requests straight to the emulator over gRPC, with no MQTT and no JSON, as
 * many requests in flight as the bridge keeps per device. Its routes/s is the
 * ceiling the bridge's bulk row is measured against: what grpc-js and the
 * emulator allow when nothing else is done per route.
 *
 * The requests are the bridge's own wire messages for the bulk routes (the
 * bridge's codec builds them, before the clock starts); sending only encodes
 * and transmits them. Runs as its own process: it logs in, builds its
 * requests and reports `ready`; on `go` it sends them all and reports.
 *
 * Usage: node --import tsx bench/lib/jet-bulk.ts --jet host:port --user U
 *          --password P --client-id C --routes N --array-size N --in-flight N
 */
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { LoginClient, type LoginReply, type LoginRequest } from '../../src/gen/authentication_service.js';
import {
  BgpRouteClient,
  BgpRouteInitializeReply_BgpRouteInitializeStatus as InitializeStatus,
  BgpRouteOperReply_BgpRouteOperStatus as OperStatus,
  type BgpRouteInitializeReply,
  type BgpRouteInitializeRequest,
  type BgpRouteOperReply,
  type BgpRouteUpdateRequest,
} from '../../src/gen/bgp_route_service.js';
import { pathCookie } from '../../src/intent/route-key.js';
import { legacyCodec } from '../../src/jet/codec/index.js';
import { monotonicMs } from './correlation.js';
import { intentOf } from './payloads.js';

export interface JetBulkReport {
  kind: 'jet-bulk-report';
  routes: number;
  elapsedMs: number;
  /** Routes in requests that did not answer SUCCESS. */
  failed: number;
  failure?: string;
}

type Callback<T> = (error: ServiceError | null, reply: T) => void;

function call<Req, Rep>(method: (request: Req, callback: Callback<Rep>) => unknown, request: Req): Promise<Rep> {
  return new Promise((resolve, reject) => method(request, (error, reply) => (error ? reject(error) : resolve(reply))));
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new Error(`jet-bulk: ${flag} is required`);
  return value;
}

function positive(value: string | undefined, flag: string): number {
  const n = Number(required(value, flag));
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`jet-bulk: ${flag} must be a positive integer, got ${value}`);
  return n;
}

/** The bulk scenario's routes as the bridge programs them for `device`: one path each, in requests of `size`. */
function buildRequests(device: string, routes: number, size: number): BgpRouteUpdateRequest[] {
  const requests: BgpRouteUpdateRequest[] = [];
  for (let first = 0; first < routes; first += size) {
    const bgpRoutes = [];
    for (let n = first; n < Math.min(first + size, routes); n++) {
      const { prefix: text, nextHops, localPref } = intentOf('bulk', n);
      const [prefix = '', length] = text.split('/');
      const cookie = pathCookie(device, 'inet.0', prefix, Number(length), nextHops[0]!);
      const path = { table: 'inet.0', prefix, length: Number(length), cookie, nextHops, localPref };
      bgpRoutes.push(legacyCodec.encodePath(path));
    }
    requests.push({ bgpRoutes });
  }
  return requests;
}

/** Sends every request, `inFlight` at a time, and counts the routes of those not answered SUCCESS. */
async function sendAll(
  update: (request: BgpRouteUpdateRequest) => Promise<BgpRouteOperReply>,
  requests: BgpRouteUpdateRequest[],
  inFlight: number,
): Promise<Omit<JetBulkReport, 'kind' | 'routes' | 'elapsedMs'>> {
  let next = 0;
  let failed = 0;
  let failure: string | undefined;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const request = requests[next++]!;
      try {
        const reply = await update(request);
        if (reply.status !== OperStatus.SUCCESS) {
          failed += request.bgpRoutes.length;
          failure ??= OperStatus[reply.status] ?? String(reply.status);
        }
      } catch (error) {
        failed += request.bgpRoutes.length;
        failure ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { failed, ...(failure !== undefined && { failure }) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      jet: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      'client-id': { type: 'string' },
      device: { type: 'string', default: 'ref' },
      routes: { type: 'string' },
      'array-size': { type: 'string' },
      'in-flight': { type: 'string' },
    },
  });
  const jet = required(values.jet, '--jet');
  const routes = positive(values.routes, '--routes');
  const inFlight = positive(values['in-flight'], '--in-flight');
  const auth = new LoginClient(jet, credentials.createInsecure());
  // The router authenticates the connection Login used: the BGP stub shares it.
  const bgp = new BgpRouteClient(jet, credentials.createInsecure(), { channelOverride: auth.getChannel() });
  const login = await call<LoginRequest, LoginReply>(auth.loginCheck.bind(auth), {
    userName: required(values.user, '--user'),
    password: required(values.password, '--password'),
    clientId: required(values['client-id'], '--client-id'),
    groupId: '',
  });
  if (!login.result) throw new Error('jet-bulk: LoginCheck refused the credentials');
  const init = await call<BgpRouteInitializeRequest, BgpRouteInitializeReply>(bgp.bgpRouteInitialize.bind(bgp), {});
  if (init.status !== InitializeStatus.SUCCESS && init.status !== InitializeStatus.SUCCESS_STATE_REBOUND) {
    throw new Error(`jet-bulk: BgpRouteInitialize answered ${InitializeStatus[init.status]}`);
  }
  const requests = buildRequests(values.device, routes, positive(values['array-size'], '--array-size'));
  const update = (request: BgpRouteUpdateRequest) =>
    call<BgpRouteUpdateRequest, BgpRouteOperReply>(bgp.bgpRouteUpdate.bind(bgp), request);

  process.on('message', (message: { kind?: string }) => {
    if (message.kind !== 'go') return;
    const startMs = monotonicMs();
    void sendAll(update, requests, inFlight).then((outcome) => {
      const report: JetBulkReport = { kind: 'jet-bulk-report', routes, elapsedMs: monotonicMs() - startMs, ...outcome };
      process.send?.(report);
    });
  });
  process.send?.({ kind: 'ready' });
  const stop = (): void => {
    auth.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`jet-bulk: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
