/**
 * JetRpc over the classic JET API (`authentication.Login`, `routing.BgpRoute`,
 * `management.ManagementRpcApi`): replies carry the operation's status enum directly.
 */
import type { Observable } from 'rxjs';
import { LoginClient } from '../../gen/authentication_service.js';
import {
  BgpRouteClient,
  BgpRouteCleanupReply_BgpRouteCleanupStatus as CleanupStatus,
  BgpRouteGetReply_BgpRouteGetStatus as GetStatus,
  BgpRouteInitializeReply_BgpRouteInitializeStatus as InitStatus,
  BgpRouteMonitorRegisterReply_BgpRouteMonitorRegisterStatus as RegisterStatus,
  type BgpRouteMonitorRegisterReply,
  type BgpRouteOperReply,
  type BgpRouteUpdateRequest,
} from '../../gen/bgp_route_service.js';
import { AddressFormat } from '../../gen/jnx_addr.js';
import { JunosRpcResponseTypes, ManagementRpcApiClient, OperationFormatType } from '../../gen/management_service.js';
import { RouteTableFormat } from '../../gen/prpd_common.js';
import { legacyCodec as codec } from '../codec/index.js';
import type { BgpPath, InitializeOutcome, MonitorEntry, OpCommandFormat, OperOutcome, PathMatch } from '../model.js';
import { observeStream, streamReplies, unaryCall } from './calls.js';
import { channelOptions, whenNotReady, type JetChannelOptions } from './channel.js';
import { bgpPathOf, JetStatusError, type JetRpc, type LoginOutcome, type OperRequest } from './types.js';

const OUT_FORMATS: Record<OpCommandFormat, OperationFormatType> = {
  text: OperationFormatType.OPERATION_FORMAT_CLI,
  json: OperationFormatType.OPERATION_FORMAT_JSON,
  xml: OperationFormatType.OPERATION_FORMAT_XML,
};

function operOutcome(reply: BgpRouteOperReply): OperOutcome {
  return { status: codec.operStatusName(reply.status), code: reply.status, completed: reply.operationsCompleted };
}

function monitorEntries(reply: BgpRouteMonitorRegisterReply): MonitorEntry[] {
  if (reply.status !== RegisterStatus.SUCCESS) {
    throw new JetStatusError(
      'BgpRouteMonitorRegister',
      RegisterStatus[reply.status] ?? String(reply.status),
      reply.status,
    );
  }
  return reply.monitorEntries.map((entry) => {
    const op = codec.monitorOpOf(entry.operation);
    return op === 'end-of-rib' || !entry.bgpRoute ? { op } : { op, path: bgpPathOf(codec.decodePath(entry.bgpRoute)) };
  });
}

export class LegacyJetRpc implements JetRpc {
  readonly dialect = 'legacy' as const;
  private readonly auth: LoginClient;
  private readonly bgp: BgpRouteClient;
  private readonly management: ManagementRpcApiClient;
  private nextRequestId = 1n;

  constructor(options: JetChannelOptions) {
    const grpcOptions = channelOptions(options);
    this.auth = new LoginClient(options.address, options.credentials, grpcOptions);
    // The router authenticates the connection Login used: every stub shares its channel.
    const shared = { ...grpcOptions, channelOverride: this.auth.getChannel() };
    this.bgp = new BgpRouteClient(options.address, options.credentials, shared);
    this.management = new ManagementRpcApiClient(options.address, options.credentials, shared);
  }

  async login(user: string, password: string, clientId: string, deadline: Date): Promise<LoginOutcome> {
    const request = { userName: user, password, clientId, groupId: '' };
    const reply = await unaryCall(this.auth.loginCheck.bind(this.auth), request, deadline);
    return reply.result ? { ok: true } : { ok: false, message: 'LoginCheck answered false' };
  }

  async initialize(deadline: Date): Promise<InitializeOutcome> {
    const reply = await unaryCall(this.bgp.bgpRouteInitialize.bind(this.bgp), {}, deadline);
    const rebound = reply.status === InitStatus.SUCCESS_STATE_REBOUND;
    const status = InitStatus[reply.status] ?? String(reply.status);
    return { status, code: reply.status, rebound, ok: rebound || reply.status === InitStatus.SUCCESS };
  }

  async cleanup(deadline: Date): Promise<void> {
    const reply = await unaryCall(this.bgp.bgpRouteCleanup.bind(this.bgp), {}, deadline);
    if (reply.status !== CleanupStatus.SUCCESS) {
      throw new JetStatusError('BgpRouteCleanup', CleanupStatus[reply.status] ?? String(reply.status), reply.status);
    }
  }

  async oper(request: OperRequest, deadline: Date): Promise<OperOutcome> {
    switch (request.op) {
      case 'remove': {
        const remove = { orLonger: false, bgpRoutes: request.keys.map((k) => codec.encodeMatch(k)) };
        return operOutcome(await unaryCall(this.bgp.bgpRouteRemove.bind(this.bgp), remove, deadline));
      }
      case 'add':
        return operOutcome(await unaryCall(this.bgp.bgpRouteAdd.bind(this.bgp), this.update(request.paths), deadline));
      case 'modify':
        return operOutcome(
          await unaryCall(this.bgp.bgpRouteModify.bind(this.bgp), this.update(request.paths), deadline),
        );
      case 'update':
        return operOutcome(
          await unaryCall(this.bgp.bgpRouteUpdate.bind(this.bgp), this.update(request.paths), deadline),
        );
    }
  }

  async *get(match: PathMatch, routeCount: number, deadline: Date): AsyncIterable<BgpPath[]> {
    const request = {
      bgpRoute: codec.encodeMatch(match),
      orLonger: match.orLonger ?? false,
      activeOnly: false,
      replyAddressFormat: AddressFormat.ADDRESS_STRING,
      replyTableFormat: RouteTableFormat.TABLE_STRING,
      routeCount,
    };
    for await (const reply of streamReplies(this.bgp.bgpRouteGet(request, { deadline }))) {
      // Nothing matching is an empty answer, not a failure.
      if (reply.status === GetStatus.ROUTE_NOT_FOUND) continue;
      if (reply.status !== GetStatus.SUCCESS) {
        throw new JetStatusError('BgpRouteGet', GetStatus[reply.status] ?? String(reply.status), reply.status);
      }
      yield reply.bgpRoutes.map((entry) => bgpPathOf(codec.decodePath(entry)));
    }
  }

  monitor(paused$?: Observable<boolean>): Observable<MonitorEntry> {
    const request = {
      replyAddressFormat: AddressFormat.ADDRESS_STRING,
      replyTableFormat: RouteTableFormat.TABLE_STRING,
      routeCount: 0,
    };
    return observeStream(() => this.bgp.bgpRouteMonitorRegister(request), monitorEntries, paused$);
  }

  async opCommand(command: string, format: OpCommandFormat, deadline: Date): Promise<string> {
    const request = { requestId: this.nextRequestId++, cliCommand: command, outFormat: OUT_FORMATS[format] };
    let output = '';
    for await (const part of streamReplies(this.management.executeOpCommand(request, { deadline }))) {
      if (part.status !== JunosRpcResponseTypes.SUCCESS) {
        throw new JetStatusError(
          'ExecuteOpCommand',
          JunosRpcResponseTypes[part.status] ?? String(part.status),
          part.status,
          part.message,
        );
      }
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

  private update(paths: readonly BgpPath[]): BgpRouteUpdateRequest {
    return { bgpRoutes: paths.map((p) => codec.encodePath(p)) };
  }
}
