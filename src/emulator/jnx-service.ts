/**
 * The current JET API services (`jnx.jet.authentication.Authentication`,
 * `jnx.jet.routing.bgp.Bgp`, `jnx.jet.management.Management`) over the
 * dialect-neutral `Jsd`. jnx replies carry a common `RpcStatus` (SUCCESS or
 * FAILURE, with a message saying why) plus `sub_code`, the operation's enum; a
 * few enum names differ from the classic API and are renamed here.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { AuthenticationService, type AuthenticationServer } from '../gen/jnx_authentication_service.js';
import { StatusCode, type RpcStatus } from '../gen/jnx_common_base_types.js';
import {
  OpCommandOutputFormat,
  ManagementService,
  type ManagementServer,
  type OpCommandGetResponse,
} from '../gen/jnx_management_service.js';
import {
  BgpService,
  CleanupResponse_StatusCode as CleanupStatus,
  InitializeResponse_StatusCode as InitializeStatus,
  RouteGetResponse_StatusCode as GetStatus,
  RouteOperResponse_StatusCode as OperStatus,
  RouteRefreshResponse_StatusCode as RefreshStatus,
  RouteSubscribeResponse_StatusCode as SubscribeStatus,
  RouteUnsubscribeResponse_StatusCode as UnsubscribeStatus,
  type BgpServer,
  type RouteEntry,
  type RouteGetResponse,
  type RouteOperResponse,
  type RouteSubscribeResponse,
} from '../gen/jnx_routing_bgp_service.js';
import { jnxCodec as codec } from '../jet/codec/index.js';
import type { MonitorEntry, OpCommandFormat } from '../jet/model.js';
import { monitorSink, serverStream, StreamWriter, unary } from './calls.js';
import type { Jsd } from './jsd.js';
import type { OperResult } from './routing.js';

/** jnx names of the statuses whose classic names `Jsd` uses. */
const JNX_NAMES: Readonly<Record<string, string>> = {
  TRY_AGAIN: 'REQUEST_NOT_DONE',
  ALREADY_REGISTERED: 'ALREADY_SUBSCRIBED',
  NOT_REGISTERED: 'NOT_SUBSCRIBED',
};

/** The `sub_code` for a neutral status name in one jnx enum; the classic name is tried first. */
function subCode(enumObject: Record<string, string | number>, name: string): number {
  const value = enumObject[name] ?? enumObject[JNX_NAMES[name] ?? name];
  if (typeof value !== 'number') throw new Error(`status ${name} has no jnx equivalent`);
  return value;
}

const SUCCESS_NAMES = new Set(['SUCCESS', 'SUCCESS_STATE_REBOUND']);

/** The common status for a neutral status name; a failure always says why (the name at least). */
function rpcStatus(name: string, message = ''): RpcStatus {
  const ok = SUCCESS_NAMES.has(name);
  return { code: ok ? StatusCode.SUCCESS : StatusCode.FAILURE, message: message || (ok ? '' : name) };
}

const OUTPUT_FORMATS: Partial<Record<OpCommandOutputFormat, OpCommandFormat>> = {
  [OpCommandOutputFormat.OP_COMMAND_OUTPUT_JSON]: 'json',
  [OpCommandOutputFormat.OP_COMMAND_OUTPUT_XML]: 'xml',
  [OpCommandOutputFormat.OP_COMMAND_OUTPUT_CLI]: 'text',
};

function operReply(result: OperResult): RouteOperResponse {
  return {
    status: rpcStatus(result.status, result.message),
    subCode: subCode(OperStatus, result.status),
    operationsCompleted: result.completed,
  };
}

function subscribeReply(entries: MonitorEntry[]): RouteSubscribeResponse {
  return {
    status: rpcStatus('SUCCESS'),
    subCode: SubscribeStatus.SUCCESS,
    subscribeEntries: entries.map((entry) => ({
      operation: codec.monitorOpCode(entry.op),
      route: entry.path && codec.encodePath(entry.path),
    })),
  };
}

function authenticationService(jsd: Jsd, log: Logger): AuthenticationServer {
  return {
    login: unary(log, async (call) => {
      const { username, password, clientId } = call.request;
      const outcome = jsd.login(call.getPeer(), 'jnx', { user: username, password, clientId });
      return { status: { code: outcome.ok ? StatusCode.SUCCESS : StatusCode.FAILURE, message: outcome.message } };
    }),
  };
}

function bgpService(jsd: Jsd, log: Logger): BgpServer {
  const decodePaths = (entries: RouteEntry[]) => entries.map((entry) => codec.decodePath(entry));
  return {
    initialize: unary(log, async (call) => {
      const outcome = await jsd.initialize(call.getPeer());
      return {
        status: rpcStatus(outcome.status),
        subCode: subCode(InitializeStatus, outcome.status),
        numClientRoutes: outcome.routes,
      };
    }),
    cleanup: unary(log, async (call) => {
      const status = await jsd.cleanup(call.getPeer());
      return { status: rpcStatus(status), subCode: subCode(CleanupStatus, status) };
    }),
    routeAdd: unary(log, async (call) => operReply(await jsd.oper(call.getPeer(), 'add', decodePaths(call.request.routes)))),
    routeModify: unary(log, async (call) => operReply(await jsd.oper(call.getPeer(), 'modify', decodePaths(call.request.routes)))),
    routeUpdate: unary(log, async (call) => operReply(await jsd.oper(call.getPeer(), 'update', decodePaths(call.request.routes)))),
    routeDelete: unary(log, async (call) => {
      const matches = call.request.routes.map((match) => codec.decodeMatch(match));
      return operReply(await jsd.remove(call.getPeer(), matches, call.request.orLonger));
    }),
    routeGet: serverStream(log, async (call) => {
      const { route, orLonger, routeCount } = call.request;
      const outcome = await jsd.get(call.getPeer(), codec.decodeMatch(route), orLonger, routeCount);
      const writer = new StreamWriter<RouteGetResponse>(call);
      if (outcome.status !== 'SUCCESS') {
        writer.write({ status: rpcStatus(outcome.status, outcome.message), subCode: subCode(GetStatus, outcome.status), routes: [] });
      } else {
        await writer.writeEach(outcome.replies, (batch) => ({
          status: rpcStatus('SUCCESS'),
          subCode: GetStatus.SUCCESS,
          routes: batch.map((path) => codec.encodePath(path)),
        }));
      }
      writer.end();
    }),
    routeSubscribe: serverStream(log, async (call) => {
      const writer = new StreamWriter<RouteSubscribeResponse>(call);
      const status = await jsd.subscribe(call.getPeer(), call.request.routeCount, monitorSink(writer, subscribeReply));
      if (status !== 'SUCCESS') {
        writer.write({ status: rpcStatus(status), subCode: subCode(SubscribeStatus, status), subscribeEntries: [] });
        writer.end();
      }
    }),
    routeUnsubscribe: unary(log, async (call) => {
      const status = await jsd.unsubscribe(call.getPeer());
      return { status: rpcStatus(status), subCode: subCode(UnsubscribeStatus, status) };
    }),
    routeRefresh: unary(log, async (call) => {
      const status = await jsd.refresh(call.getPeer());
      return { status: rpcStatus(status), subCode: subCode(RefreshStatus, status) };
    }),
  };
}

function managementService(jsd: Jsd, log: Logger): ManagementServer {
  const failure = (message: string): RpcStatus => ({ code: StatusCode.FAILURE, message });
  return {
    opCommandGet: serverStream(log, async (call) => {
      const { cliCommand, xmlCommand, outFormat } = call.request;
      const output = jsd.opCommand(call.getPeer(), cliCommand ?? xmlCommand, OUTPUT_FORMATS[outFormat]);
      const writer = new StreamWriter<OpCommandGetResponse>(call);
      if (output.ok) {
        await writer.writeEach(output.parts, (data) => ({ status: { code: StatusCode.SUCCESS, message: '' }, data }));
      } else {
        writer.write({ status: failure(output.error), data: '' });
      }
      writer.end();
    }),
    configSet: unary(log, async (call) => ({ status: failure(jsd.configRefusal(call.getPeer())) })),
    ephemeralConfigGet: unary(log, async (call) => ({ status: failure(jsd.configRefusal(call.getPeer())), configResponses: [] })),
    ephemeralConfigSet: unary(log, async (call) => ({ status: failure(jsd.configRefusal(call.getPeer())), operationResponses: [] })),
  };
}

/** Registers the current (jnx) JET services on `server`. */
export function addJnxServices(server: grpc.Server, jsd: Jsd, log: Logger): void {
  server.addService(AuthenticationService, authenticationService(jsd, log));
  server.addService(BgpService, bgpService(jsd, log));
  server.addService(ManagementService, managementService(jsd, log));
}
