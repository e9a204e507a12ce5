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
  type RouteUpdateRequest,
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

/** The jnx enum name for a neutral status: the classic name when the enum has it, else its jnx rename. */
function jnxName(enumObject: Record<string, string | number>, name: string): string {
  return name in enumObject ? name : (JNX_NAMES[name] ?? name);
}

const SUCCESS_NAMES = new Set(['SUCCESS', 'SUCCESS_STATE_REBOUND']);

/**
 * `status` and `sub_code` for a neutral status name in one jnx enum. A failure's
 * message always says why: the given reason, or at least the status name.
 */
function statusOf(
  enumObject: Record<string, string | number>,
  name: string,
  message = '',
): { status: RpcStatus; subCode: number } {
  const subName = jnxName(enumObject, name);
  const subCode = enumObject[subName];
  if (typeof subCode !== 'number') throw new Error(`status ${name} has no jnx equivalent`);
  const ok = SUCCESS_NAMES.has(subName);
  return {
    status: { code: ok ? StatusCode.SUCCESS : StatusCode.FAILURE, message: message || (ok ? '' : subName) },
    subCode,
  };
}

const OUTPUT_FORMATS: Partial<Record<OpCommandOutputFormat, OpCommandFormat>> = {
  [OpCommandOutputFormat.OP_COMMAND_OUTPUT_JSON]: 'json',
  [OpCommandOutputFormat.OP_COMMAND_OUTPUT_XML]: 'xml',
  [OpCommandOutputFormat.OP_COMMAND_OUTPUT_CLI]: 'text',
};

function operReply(result: OperResult): RouteOperResponse {
  return { ...statusOf(OperStatus, result.status, result.message), operationsCompleted: result.completed };
}

function subscribeReply(entries: MonitorEntry[]): RouteSubscribeResponse {
  return {
    ...statusOf(SubscribeStatus, 'SUCCESS'),
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
  const operation = (op: 'add' | 'modify' | 'update') =>
    unary<RouteUpdateRequest, RouteOperResponse>(log, async (call) =>
      operReply(await jsd.oper(call.getPeer(), op, decodePaths(call.request.routes))),
    );
  return {
    initialize: unary(log, async (call) => {
      const outcome = await jsd.initialize(call.getPeer());
      return { ...statusOf(InitializeStatus, outcome.status), numClientRoutes: outcome.routes };
    }),
    cleanup: unary(log, async (call) => {
      return statusOf(CleanupStatus, await jsd.cleanup(call.getPeer()));
    }),
    routeAdd: operation('add'),
    routeModify: operation('modify'),
    routeUpdate: operation('update'),
    routeDelete: unary(log, async (call) => {
      const matches = call.request.routes.map((match) => codec.decodeMatch(match));
      return operReply(await jsd.remove(call.getPeer(), matches, call.request.orLonger));
    }),
    routeGet: serverStream(log, async (call) => {
      const { route, orLonger, routeCount } = call.request;
      const outcome = await jsd.get(call.getPeer(), codec.decodeMatch(route), orLonger, routeCount);
      const writer = new StreamWriter<RouteGetResponse>(call);
      if (outcome.status !== 'SUCCESS') {
        writer.write({ ...statusOf(GetStatus, outcome.status, outcome.message), routes: [] });
      } else {
        await writer.writeEach(outcome.replies, (batch) => ({
          ...statusOf(GetStatus, 'SUCCESS'),
          routes: batch.map((path) => codec.encodePath(path)),
        }));
      }
      writer.end();
    }),
    routeSubscribe: serverStream(log, async (call) => {
      const writer = new StreamWriter<RouteSubscribeResponse>(call);
      const status = await jsd.subscribe(call.getPeer(), call.request.routeCount, monitorSink(writer, subscribeReply));
      if (status !== 'SUCCESS') {
        writer.write({ ...statusOf(SubscribeStatus, status), subscribeEntries: [] });
        writer.end();
      }
    }),
    routeUnsubscribe: unary(log, async (call) => {
      return statusOf(UnsubscribeStatus, await jsd.unsubscribe(call.getPeer()));
    }),
    routeRefresh: unary(log, async (call) => {
      return statusOf(RefreshStatus, await jsd.refresh(call.getPeer()));
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
    ephemeralConfigGet: unary(log, async (call) => ({
      status: failure(jsd.configRefusal(call.getPeer())),
      configResponses: [],
    })),
    ephemeralConfigSet: unary(log, async (call) => ({
      status: failure(jsd.configRefusal(call.getPeer())),
      operationResponses: [],
    })),
  };
}

/** Registers the current (jnx) JET services on `server`. */
export function addJnxServices(server: grpc.Server, jsd: Jsd, log: Logger): void {
  server.addService(AuthenticationService, authenticationService(jsd, log));
  server.addService(BgpService, bgpService(jsd, log));
  server.addService(ManagementService, managementService(jsd, log));
}
