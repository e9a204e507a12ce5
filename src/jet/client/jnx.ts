/**
 * JetRpc over the current JET API (`jnx.jet.authentication`, `jnx.jet.routing.bgp`,
 * `jnx.jet.management`): replies carry a common RpcStatus plus the operation's
 * enum in `sub_code`.
 */
import type { Observable } from 'rxjs';
import { AuthenticationClient } from '../../gen/jnx_authentication_service.js';
import { StatusCode, type RpcStatus } from '../../gen/jnx_common_base_types.js';
import { AddressFormat } from '../../gen/jnx_common_addr_types.js';
import { ManagementClient, OpCommandOutputFormat } from '../../gen/jnx_management_service.js';
import { RouteTableFormat } from '../../gen/jnx_routing_base_types.js';
import {
  BgpClient,
  CleanupResponse_StatusCode as CleanupStatus,
  InitializeResponse_StatusCode as InitStatus,
  RouteGetResponse_StatusCode as GetStatus,
  RouteSubscribeResponse_StatusCode as SubscribeStatus,
  type RouteOperResponse,
  type RouteSubscribeResponse,
  type RouteUpdateRequest,
} from '../../gen/jnx_routing_bgp_service.js';
import { jnxCodec as codec } from '../codec/index.js';
import type { BgpPath, InitializeOutcome, MonitorEntry, OpCommandFormat, OperOutcome, PathMatch } from '../model.js';
import { observeStream, streamReplies, unaryCall } from './calls.js';
import { channelOptions, whenNotReady, type JetChannelOptions } from './channel.js';
import { bgpPathOf, JetStatusError, type JetRpc, type LoginOutcome, type OperRequest } from './types.js';

const OUT_FORMATS: Record<OpCommandFormat, OpCommandOutputFormat> = {
  text: OpCommandOutputFormat.OP_COMMAND_OUTPUT_CLI,
  json: OpCommandOutputFormat.OP_COMMAND_OUTPUT_JSON,
  xml: OpCommandOutputFormat.OP_COMMAND_OUTPUT_XML,
};

const failed = (status: RpcStatus | undefined): boolean => status?.code === StatusCode.FAILURE;

/** Throws unless both the common status and the sub-code say success. */
function check(
  rpc: string,
  reply: { status?: RpcStatus | undefined; subCode: number },
  names: Record<number, string>,
): void {
  if (reply.subCode !== 0 || failed(reply.status)) {
    throw new JetStatusError(rpc, names[reply.subCode] ?? String(reply.subCode), reply.subCode, reply.status?.message);
  }
}

function operOutcome(reply: RouteOperResponse): OperOutcome {
  return { status: codec.operStatusName(reply.subCode), code: reply.subCode, completed: reply.operationsCompleted };
}

function subscribeEntries(reply: RouteSubscribeResponse): MonitorEntry[] {
  check('RouteSubscribe', reply, SubscribeStatus);
  return reply.subscribeEntries.map((entry) => {
    const op = codec.monitorOpOf(entry.operation);
    return op === 'end-of-rib' || !entry.route ? { op } : { op, path: bgpPathOf(codec.decodePath(entry.route)) };
  });
}

export class JnxJetRpc implements JetRpc {
  readonly dialect = 'jnx' as const;
  private readonly auth: AuthenticationClient;
  private readonly bgp: BgpClient;
  private readonly management: ManagementClient;

  constructor(options: JetChannelOptions) {
    const grpcOptions = channelOptions(options);
    this.auth = new AuthenticationClient(options.address, options.credentials, grpcOptions);
    // The router authenticates the connection Login used: every stub shares its channel.
    const shared = { ...grpcOptions, channelOverride: this.auth.getChannel() };
    this.bgp = new BgpClient(options.address, options.credentials, shared);
    this.management = new ManagementClient(options.address, options.credentials, shared);
  }

  async login(user: string, password: string, clientId: string, deadline: Date): Promise<LoginOutcome> {
    const request = { username: user, password, clientId, groupId: '' };
    const reply = await unaryCall(this.auth.login.bind(this.auth), request, deadline);
    if (reply.status?.code === StatusCode.SUCCESS) return { ok: true };
    return { ok: false, message: reply.status?.message || 'Login answered FAILURE' };
  }

  async initialize(deadline: Date): Promise<InitializeOutcome> {
    const request = {
      defaultAddressFormat: AddressFormat.ADDRESS_STRING,
      defaultTableFormat: RouteTableFormat.TABLE_STRING,
    };
    const reply = await unaryCall(this.bgp.initialize.bind(this.bgp), request, deadline);
    const rebound = reply.subCode === InitStatus.SUCCESS_STATE_REBOUND;
    const status = InitStatus[reply.subCode] ?? String(reply.subCode);
    const ok = !failed(reply.status) && (rebound || reply.subCode === InitStatus.SUCCESS);
    return { status, code: reply.subCode, rebound, ok };
  }

  async cleanup(deadline: Date): Promise<void> {
    check('Cleanup', await unaryCall(this.bgp.cleanup.bind(this.bgp), {}, deadline), CleanupStatus);
  }

  async oper(request: OperRequest, deadline: Date): Promise<OperOutcome> {
    switch (request.op) {
      case 'remove': {
        const remove = { orLonger: false, routes: request.keys.map((k) => codec.encodeMatch(k)) };
        return operOutcome(await unaryCall(this.bgp.routeDelete.bind(this.bgp), remove, deadline));
      }
      case 'add':
        return operOutcome(await unaryCall(this.bgp.routeAdd.bind(this.bgp), this.update(request.paths), deadline));
      case 'modify':
        return operOutcome(await unaryCall(this.bgp.routeModify.bind(this.bgp), this.update(request.paths), deadline));
      case 'update':
        return operOutcome(await unaryCall(this.bgp.routeUpdate.bind(this.bgp), this.update(request.paths), deadline));
    }
  }

  async *get(match: PathMatch, routeCount: number, deadline: Date): AsyncIterable<BgpPath[]> {
    const request = {
      route: codec.encodeMatch(match),
      orLonger: match.orLonger ?? false,
      activeOnly: false,
      routeCount,
    };
    for await (const reply of streamReplies(this.bgp.routeGet(request, { deadline }))) {
      // Nothing matching is an empty answer, not a failure.
      if (reply.subCode === GetStatus.ROUTE_NOT_FOUND) continue;
      check('RouteGet', reply, GetStatus);
      yield reply.routes.map((entry) => bgpPathOf(codec.decodePath(entry)));
    }
  }

  monitor(paused$?: Observable<boolean>): Observable<MonitorEntry> {
    return observeStream(() => this.bgp.routeSubscribe({ routeCount: 0 }), subscribeEntries, paused$);
  }

  async opCommand(command: string, format: OpCommandFormat, deadline: Date): Promise<string> {
    const request = { cliCommand: command, outFormat: OUT_FORMATS[format] };
    let output = '';
    for await (const part of streamReplies(this.management.opCommandGet(request, { deadline }))) {
      if (failed(part.status))
        throw new JetStatusError('OpCommandGet', 'FAILURE', StatusCode.FAILURE, part.status?.message);
      output += part.data;
    }
    return output;
  }

  disconnected(): Promise<string> {
    return whenNotReady(this.auth.getChannel());
  }

  close(): void {
    this.auth.close();
  }

  private update(paths: readonly BgpPath[]): RouteUpdateRequest {
    return { routes: paths.map((p) => codec.encodePath(p)) };
  }
}
