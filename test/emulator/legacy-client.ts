/**
 * A minimal legacy-dialect JET client for the emulator's surface tests: login,
 * Initialize, Add, Remove and ExecuteOpCommand over one gRPC channel, built
 * straight on the generated clients so the tests program routes the way a real
 * client does.
 */
import * as grpc from '@grpc/grpc-js';
import { LoginClient } from '../../src/gen/authentication_service.js';
import { BgpRouteClient, BgpRouteOperReply_BgpRouteOperStatus as OperStatus } from '../../src/gen/bgp_route_service.js';
import { ManagementRpcApiClient, OperationFormatType } from '../../src/gen/management_service.js';
import { legacyCodec } from '../../src/jet/codec/index.js';
import type { BgpPath, OpCommandFormat, PathKey } from '../../src/jet/model.js';

export interface LegacyClient {
  add(paths: BgpPath[]): Promise<string>;
  modify(paths: BgpPath[]): Promise<string>;
  remove(keys: PathKey[]): Promise<string>;
  opCommand(command: string, format: OpCommandFormat): Promise<{ data: string; status: number; message: string }>;
  close(): void;
}

type Callback<T> = (error: grpc.ServiceError | null, value: T) => void;

function call<T>(invoke: (callback: Callback<T>) => unknown): Promise<T> {
  return new Promise((resolve, reject) => invoke((error, value) => (error ? reject(error) : resolve(value))));
}

const FORMATS: Record<OpCommandFormat, OperationFormatType> = {
  text: OperationFormatType.OPERATION_FORMAT_CLI,
  json: OperationFormatType.OPERATION_FORMAT_JSON,
  xml: OperationFormatType.OPERATION_FORMAT_XML,
};

/** Logs in as `user` with `clientId` and initializes; every stub shares the login's channel. */
export async function connectLegacy(
  port: number,
  { user = 'jet', password = 'secret', clientId = 'surface-test' } = {},
): Promise<LegacyClient> {
  const address = `127.0.0.1:${port}`;
  const login = new LoginClient(address, grpc.credentials.createInsecure());
  const channelOverride = login.getChannel();
  const bgp = new BgpRouteClient(address, grpc.credentials.createInsecure(), { channelOverride });
  const management = new ManagementRpcApiClient(address, grpc.credentials.createInsecure(), { channelOverride });
  const deadline = () => ({ deadline: Date.now() + 5_000 });
  const reply = await call<{ result: boolean }>((cb) =>
    login.loginCheck({ userName: user, password, clientId, groupId: '' }, new grpc.Metadata(), deadline(), cb),
  );
  if (!reply.result) throw new Error(`login as ${user} refused`);
  await call((cb) => bgp.bgpRouteInitialize({}, new grpc.Metadata(), deadline(), cb));

  const update = async (method: 'bgpRouteAdd' | 'bgpRouteModify', paths: BgpPath[]) => {
    const request = { bgpRoutes: paths.map((p) => legacyCodec.encodePath(p)) };
    const r = await call<{ status: OperStatus }>((cb) => bgp[method](request, new grpc.Metadata(), deadline(), cb));
    return OperStatus[r.status] ?? String(r.status);
  };

  return {
    add: (paths) => update('bgpRouteAdd', paths),
    modify: (paths) => update('bgpRouteModify', paths),
    async remove(keys) {
      const r = await call<{ status: OperStatus }>((cb) =>
        bgp.bgpRouteRemove(
          { orLonger: false, bgpRoutes: keys.map((k) => legacyCodec.encodeMatch(k)) },
          new grpc.Metadata(),
          deadline(),
          cb,
        ),
      );
      return OperStatus[r.status] ?? String(r.status);
    },
    opCommand(command, format) {
      return new Promise((resolve, reject) => {
        const stream = management.executeOpCommand(
          { requestId: 1n, cliCommand: command, outFormat: FORMATS[format] },
          new grpc.Metadata(),
          deadline(),
        );
        let data = '';
        let status = 0;
        let message = '';
        stream.on('data', (response: { data: string; status: number; message: string }) => {
          data += response.data;
          status = response.status;
          message = response.message;
        });
        stream.on('error', reject);
        stream.on('end', () => resolve({ data, status, message }));
      });
    },
    close() {
      bgp.close();
      management.close();
      login.close();
    },
  };
}

/** The seed scenario's paths: `prefix`/24 with next hops 10.0.0.1-4, one cookie each, localpref 200, preference 10. */
export function seedPaths(prefix: string, cookieBase: bigint): BgpPath[] {
  return [1, 2, 3, 4].map((n) => ({
    table: 'inet.0',
    prefix,
    length: 24,
    cookie: cookieBase + BigInt(n),
    nextHops: [`10.0.0.${n}`],
    localPref: 200,
    routePref: 10,
  }));
}
