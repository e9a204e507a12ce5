/**
 * A JET server that does nothing, run as its own process: it accepts any
 * login, initializes, and answers every route request SUCCESS for all its
 * routes after decoding it, without keeping them. The bench points a bridge at
 * it to measure the bridge without the emulator's own work (validation, the
 * RIB, events) in the round trip. Legacy dialect only; Get answers nothing.
 *
 * Usage: node --import tsx bench/lib/noop-jet.ts --port P
 */
import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { LoginService, type LoginServer } from '../../src/gen/authentication_service.js';
import {
  BgpRouteCleanupReply_BgpRouteCleanupStatus as CleanupStatus,
  BgpRouteInitializeReply_BgpRouteInitializeStatus as InitializeStatus,
  BgpRouteOperReply_BgpRouteOperStatus as OperStatus,
  BgpRouteService,
  type BgpRouteOperReply,
  type BgpRouteServer,
} from '../../src/gen/bgp_route_service.js';

/** SUCCESS for every route of the request. */
function allDone(
  call: ServerUnaryCall<{ bgpRoutes: unknown[] }, BgpRouteOperReply>,
  callback: sendUnaryData<BgpRouteOperReply>,
): void {
  callback(null, { status: OperStatus.SUCCESS, operationsCompleted: call.request.bgpRoutes.length });
}

const unimplemented = { code: GrpcStatus.UNIMPLEMENTED, details: 'the no-op JET server does not serve this' };

const login: LoginServer = {
  loginCheck: (_call, callback) => callback(null, { result: true }),
};

const bgpRoute: BgpRouteServer = {
  bgpRouteInitialize: (_call, callback) => callback(null, { status: InitializeStatus.SUCCESS, gwNRoutes: 0 }),
  bgpRouteCleanup: (_call, callback) => callback(null, { status: CleanupStatus.SUCCESS }),
  bgpRouteAdd: allDone,
  bgpRouteModify: allDone,
  bgpRouteUpdate: allDone,
  bgpRouteRemove: allDone,
  // No routes: the stream ends at once.
  bgpRouteGet: (call) => call.end(),
  bgpRouteMonitorRegister: (call) => call.destroy(Object.assign(new Error(unimplemented.details), unimplemented)),
  bgpRouteMonitorUnregister: (_call, callback) => callback(unimplemented),
  bgpRouteMonitorRefresh: (_call, callback) => callback(unimplemented),
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' } } });
  const port = Number(values.port);
  if (!(Number.isInteger(port) && port > 0 && port < 65536))
    throw new Error(`noop-jet: --port must be a TCP port, got ${values.port}`);
  const server = new Server();
  server.addService(LoginService, login);
  server.addService(BgpRouteService, bgpRoute);
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  process.send?.({ kind: 'ready' });
  const stop = (): void => server.tryShutdown(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`noop-jet: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
