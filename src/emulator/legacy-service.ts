/**
 * The classic JET API services (`authentication.Login`, `routing.BgpRoute`,
 * `management.ManagementRpcApi`) over the dialect-neutral `Jsd`: each handler
 * decodes with the legacy codec, calls `Jsd` and puts the neutral status name
 * into the reply's own enum.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { LoginService, type LoginServer } from '../gen/authentication_service.js';
import {
  BgpRouteCleanupReply_BgpRouteCleanupStatus as CleanupStatus,
  BgpRouteGetReply_BgpRouteGetStatus as GetStatus,
  BgpRouteInitializeReply_BgpRouteInitializeStatus as InitializeStatus,
  BgpRouteMonitorRefreshReply_BgpRouteMonitorRefreshStatus as RefreshStatus,
  BgpRouteMonitorRegisterReply_BgpRouteMonitorRegisterStatus as RegisterStatus,
  BgpRouteMonitorUnregisterReply_BgpRouteMonitorUnregisterStatus as UnregisterStatus,
  BgpRouteOperReply_BgpRouteOperStatus as OperStatus,
  BgpRouteService,
  type BgpRouteEntry,
  type BgpRouteGetReply,
  type BgpRouteMonitorRegisterReply,
  type BgpRouteOperReply,
  type BgpRouteServer,
  type BgpRouteUpdateRequest,
} from '../gen/bgp_route_service.js';
import {
  JunosRpcResponseTypes as RpcResponse,
  ManagementRpcApiService,
  OperationFormatType,
  type ExecuteOpCommandRequest,
  type ManagementRpcApiServer,
} from '../gen/management_service.js';
import { legacyCodec as codec } from '../jet/codec/index.js';
import type { MonitorEntry, OpCommandFormat } from '../jet/model.js';
import { monitorSink, serverStream, StreamWriter, unary } from './calls.js';
import type { Jsd } from './jsd.js';
import type { OperResult } from './routing.js';

const OUTPUT_FORMATS: Partial<Record<OperationFormatType, OpCommandFormat>> = {
  [OperationFormatType.OPERATION_FORMAT_JSON]: 'json',
  [OperationFormatType.OPERATION_FORMAT_XML]: 'xml',
  [OperationFormatType.OPERATION_FORMAT_CLI]: 'text',
};

/**
 * The classic enum's number for a neutral status name. The jnx-only names a
 * route fault may choose map to the classic name of the same meaning, or, for
 * the few tunnel statuses the classic API lacks, to INTERNAL_ERROR.
 */
function operStatusCode(name: OperResult['status']): OperStatus {
  if (name === 'REQUEST_NOT_DONE') return OperStatus.TRY_AGAIN;
  const code: unknown = OperStatus[name as keyof typeof OperStatus];
  return typeof code === 'number' ? code : OperStatus.INTERNAL_ERROR;
}

function operReply(result: OperResult): BgpRouteOperReply {
  return { status: operStatusCode(result.status), operationsCompleted: result.completed };
}

function monitorReply(entries: MonitorEntry[]): BgpRouteMonitorRegisterReply {
  return {
    status: RegisterStatus.SUCCESS,
    monitorEntries: entries.map((entry) => ({
      operation: codec.monitorOpCode(entry.op),
      bgpRoute: entry.path && codec.encodePath(entry.path),
    })),
  };
}

function loginService(jsd: Jsd, log: Logger): LoginServer {
  return {
    loginCheck: unary(log, async (call) => {
      const { userName, password, clientId } = call.request;
      // The classic API answers only true/false; the reason is in the emulator's log.
      return { result: jsd.login(call.getPeer(), 'legacy', { user: userName, password, clientId }).ok };
    }),
  };
}

function bgpRouteService(jsd: Jsd, log: Logger): BgpRouteServer {
  const decodePaths = (entries: BgpRouteEntry[]) => entries.map((entry) => codec.decodePath(entry));
  const operation = (op: 'add' | 'modify' | 'update') =>
    unary<BgpRouteUpdateRequest, BgpRouteOperReply>(log, async (call) =>
      operReply(await jsd.oper(call.getPeer(), op, decodePaths(call.request.bgpRoutes))),
    );
  return {
    bgpRouteInitialize: unary(log, async (call) => {
      const outcome = await jsd.initialize(call.getPeer());
      return { status: InitializeStatus[outcome.status], gwNRoutes: outcome.routes };
    }),
    bgpRouteCleanup: unary(log, async (call) => ({ status: CleanupStatus[await jsd.cleanup(call.getPeer())] })),
    bgpRouteAdd: operation('add'),
    bgpRouteModify: operation('modify'),
    bgpRouteUpdate: operation('update'),
    bgpRouteRemove: unary(log, async (call) => {
      const matches = call.request.bgpRoutes.map((match) => codec.decodeMatch(match));
      return operReply(await jsd.remove(call.getPeer(), matches, call.request.orLonger));
    }),
    bgpRouteGet: serverStream(log, async (call) => {
      const { bgpRoute, orLonger, routeCount } = call.request;
      const outcome = await jsd.get(call.getPeer(), codec.decodeMatch(bgpRoute), orLonger, routeCount);
      const writer = new StreamWriter<BgpRouteGetReply>(call);
      if (outcome.status !== 'SUCCESS') {
        writer.write({ status: GetStatus[outcome.status], bgpRoutes: [] });
      } else {
        await writer.writeEach(outcome.replies, (batch) => ({
          status: GetStatus.SUCCESS,
          bgpRoutes: batch.map((route) => codec.encodePath(route)),
        }));
      }
      writer.end();
    }),
    bgpRouteMonitorRegister: serverStream(log, async (call) => {
      const writer = new StreamWriter<BgpRouteMonitorRegisterReply>(call);
      const status = await jsd.subscribe(call.getPeer(), call.request.routeCount, monitorSink(writer, monitorReply));
      if (status !== 'SUCCESS') {
        writer.write({ status: RegisterStatus[status], monitorEntries: [] });
        writer.end();
      }
    }),
    bgpRouteMonitorUnregister: unary(log, async (call) => ({
      status: UnregisterStatus[await jsd.unsubscribe(call.getPeer())],
    })),
    bgpRouteMonitorRefresh: unary(log, async (call) => ({ status: RefreshStatus[await jsd.refresh(call.getPeer())] })),
  };
}

function commandOf(request: ExecuteOpCommandRequest): string | undefined {
  return request.cliCommand ?? request.xmlCommand ?? request.jsonCommand;
}

function managementService(jsd: Jsd, log: Logger): ManagementRpcApiServer {
  return {
    executeOpCommand: serverStream(log, async (call) => {
      const { requestId, outFormat } = call.request;
      const output = jsd.opCommand(call.getPeer(), commandOf(call.request), OUTPUT_FORMATS[outFormat]);
      const writer = new StreamWriter(call);
      if (output.ok) {
        await writer.writeEach(output.parts, (data) => ({ requestId, data, status: RpcResponse.SUCCESS, message: '' }));
      } else {
        writer.write({ requestId, data: '', status: RpcResponse.NOK, message: output.error });
      }
      writer.end();
    }),
    executeCfgCommand: unary(log, async (call) => ({
      requestId: call.request.requestId,
      status: RpcResponse.NOK,
      message: jsd.configRefusal(call.getPeer()),
    })),
    getEphemeralConfig: unary(log, async (call) => {
      const message = jsd.configRefusal(call.getPeer());
      return {
        requestId: call.request.requestId,
        response: call.request.ephConfigRequests.map(({ operationId, path }) => ({
          operationId,
          path,
          value: '',
          status: RpcResponse.UNSUPPORTED_PATH,
          message,
        })),
      };
    }),
    editEphemeralConfig: unary(log, async (call) => {
      const message = jsd.configRefusal(call.getPeer());
      return {
        requestId: call.request.requestId,
        response: call.request.ephConfigOperations.map(({ operationId }) => ({
          operationId,
          status: RpcResponse.NOK,
          message,
        })),
      };
    }),
  };
}

/** Registers the classic JET services on `server`. */
export function addLegacyServices(server: grpc.Server, jsd: Jsd, log: Logger): void {
  server.addService(LoginService, loginService(jsd, log));
  server.addService(BgpRouteService, bgpRouteService(jsd, log));
  server.addService(ManagementRpcApiService, managementService(jsd, log));
}
