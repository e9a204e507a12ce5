/**
 * Helpers for the JET compliance suite: where the suite points (an emulator it
 * starts, or a real router named by environment variables), and a small
 * dialect-neutral test client built on the generated grpc-js clients. The client
 * sends exactly what a JET application would (Login, then the BGP service on the
 * same channel) and reports statuses by their enum names, so one test body
 * serves both dialects.
 *
 * Router mode: JET_COMPLIANCE_ADDRESS (host:port), JET_COMPLIANCE_DIALECT
 * (legacy | jnx, default legacy), JET_COMPLIANCE_USER, JET_COMPLIANCE_PASSWORD,
 * JET_COMPLIANCE_TLS_CA (PEM file: use TLS), JET_COMPLIANCE_TLS_CERT and
 * JET_COMPLIANCE_TLS_KEY (client certificate for mutual TLS),
 * JET_COMPLIANCE_TLS_SERVERNAME (name to check the router's certificate against).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { LoginClient } from '../../src/gen/authentication_service.js';
import {
  BgpRouteCleanupReply_BgpRouteCleanupStatus as LegacyCleanup,
  BgpRouteClient,
  BgpRouteGetReply_BgpRouteGetStatus as LegacyGet,
  BgpRouteInitializeReply_BgpRouteInitializeStatus as LegacyInit,
  BgpRouteMonitorRefreshReply_BgpRouteMonitorRefreshStatus as LegacyRefresh,
  BgpRouteMonitorRegisterReply_BgpRouteMonitorRegisterStatus as LegacyRegister,
  BgpRouteMonitorUnregisterReply_BgpRouteMonitorUnregisterStatus as LegacyUnregister,
  BgpRouteOperReply_BgpRouteOperStatus as LegacyOper,
  type BgpRouteEntry,
  type BgpRouteOperReply,
} from '../../src/gen/bgp_route_service.js';
import { AuthenticationClient } from '../../src/gen/jnx_authentication_service.js';
import { StatusCode, type RpcStatus } from '../../src/gen/jnx_common_base_types.js';
import { ManagementClient, OpCommandOutputFormat } from '../../src/gen/jnx_management_service.js';
import {
  BgpClient,
  CleanupResponse_StatusCode as JnxCleanup,
  InitializeResponse_StatusCode as JnxInit,
  RouteGetResponse_StatusCode as JnxGet,
  RouteOperResponse_StatusCode as JnxOper,
  RouteRefreshResponse_StatusCode as JnxRefresh,
  RouteSubscribeResponse_StatusCode as JnxSubscribe,
  RouteUnsubscribeResponse_StatusCode as JnxUnsubscribe,
  type RouteEntry,
  type RouteOperResponse,
} from '../../src/gen/jnx_routing_bgp_service.js';
import { ManagementRpcApiClient, OperationFormatType } from '../../src/gen/management_service.js';
import type { RoutePrefix } from '../../src/gen/prpd_common.js';
import { jnxCodec, legacyCodec } from '../../src/jet/codec/index.js';
import {
  DIALECTS,
  type BgpPath,
  type DialectName,
  type MonitorEntry,
  type PathMatch,
  type RouteOperation,
} from '../../src/jet/model.js';
import { JetEmulator, type EmulatorOptions } from '../../src/emulator/emulator.js';

/** Deadline of every call the suite makes: a hung server fails a test instead of stalling the run. */
const CALL_DEADLINE_MS = 10_000;

export const TEST_USER = 'jet';
export const TEST_PASSWORD = 'jet-secret';

/** Where the suite points: an emulator it started, or a router from the environment. */
export interface ComplianceTarget {
  readonly address: string;
  readonly user: string;
  readonly password: string;
  readonly credentials: grpc.ChannelCredentials;
  readonly channelOptions: grpc.ChannelOptions;
  /** The emulator's control API; undefined against a real router. */
  readonly emulator: JetEmulator | undefined;
  stop(): Promise<void>;
}

/** True when the environment names a real router to test instead of the emulator. */
export const ROUTER_MODE = process.env.JET_COMPLIANCE_ADDRESS !== undefined;

/** The dialects to run: both against the emulator, the router's one otherwise. */
export function complianceDialects(): DialectName[] {
  if (!ROUTER_MODE) return [...DIALECTS];
  const dialect = process.env.JET_COMPLIANCE_DIALECT ?? 'legacy';
  if (dialect !== 'legacy' && dialect !== 'jnx')
    throw new Error(`JET_COMPLIANCE_DIALECT must be legacy or jnx, not ${dialect}`);
  return [dialect];
}

function routerTarget(): ComplianceTarget {
  const env = process.env;
  const read = (name: string) => (env[name] ? readFileSync(env[name]) : null);
  const ca = read('JET_COMPLIANCE_TLS_CA');
  const credentials = ca
    ? grpc.credentials.createSsl(ca, read('JET_COMPLIANCE_TLS_KEY'), read('JET_COMPLIANCE_TLS_CERT'))
    : grpc.credentials.createInsecure();
  const serverName = env.JET_COMPLIANCE_TLS_SERVERNAME;
  return {
    address: env.JET_COMPLIANCE_ADDRESS ?? '',
    user: env.JET_COMPLIANCE_USER ?? TEST_USER,
    password: env.JET_COMPLIANCE_PASSWORD ?? '',
    credentials,
    channelOptions: serverName ? { 'grpc.ssl_target_name_override': serverName } : {},
    emulator: undefined,
    stop: async () => undefined,
  };
}

/** The router from the environment, or a fresh emulator (with `options` applied) on a free loopback port. */
export async function startTarget(options: Partial<EmulatorOptions> = {}): Promise<ComplianceTarget> {
  if (ROUTER_MODE) return routerTarget();
  return emulatorTarget(options, grpc.credentials.createInsecure());
}

/** A fresh emulator, whatever the mode: for tests of the emulator's own transport options (TLS). */
export async function emulatorTarget(
  options: Partial<EmulatorOptions>,
  credentials: grpc.ChannelCredentials,
  channelOptions: grpc.ChannelOptions = {},
): Promise<ComplianceTarget> {
  const emulator = await JetEmulator.start({
    users: { [TEST_USER]: TEST_PASSWORD },
    logger: pino({ level: 'silent' }),
    ...options,
  });
  return {
    address: emulator.address,
    user: TEST_USER,
    password: TEST_PASSWORD,
    credentials,
    channelOptions,
    emulator,
    stop: () => emulator.stop(),
  };
}

/** A client id no earlier run left state under (a router keeps state across runs). */
export function uniqueClientId(label: string): string {
  return `compliance-${label}-${randomBytes(4).toString('hex')}`;
}

export interface StatusReply {
  /** The operation enum's name (legacy `status`, jnx `sub_code`). */
  status: string;
  /** legacy: the enum says success; jnx: `status.code` is SUCCESS. */
  ok: boolean;
  /** jnx `status.message`; empty for legacy. */
  message: string;
}

export interface OperReply extends StatusReply {
  completed: number;
  /** The operation enum's number (legacy `status`, jnx `sub_code`), as the demo apps print it. */
  code: number;
}

export interface InitializeReply extends StatusReply {
  routes: number;
}

export interface GetReply extends StatusReply {
  routes: BgpPath[];
}

export interface MonitorReply extends StatusReply {
  entries: MonitorEntry[];
}

export interface OpCommandPart {
  ok: boolean;
  data: string;
  message: string;
}

/** An encoded route entry of either dialect, for tests that craft what the codec never sends. */
export type WireEntry = BgpRouteEntry | RouteEntry;

/** Replaces the destination-prefix oneof of an encoded entry (undefined: no prefix at all). */
export function setDestPrefix(
  entry: WireEntry,
  destPrefix: Pick<RoutePrefix, 'inet' | 'inet6' | 'labeledInet'> | undefined,
): void {
  if ('key' in entry) {
    if (entry.key) entry.key.destPrefix = destPrefix;
  } else {
    entry.destPrefix = destPrefix;
  }
}

function unaryCall<Res>(
  invoke: (callback: (error: grpc.ServiceError | null, response: Res) => void) => void,
): Promise<Res> {
  return new Promise((resolve, reject) => invoke((error, response) => (error ? reject(error) : resolve(response))));
}

function readAll<T>(stream: grpc.ClientReadableStream<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const replies: T[] = [];
    stream.on('data', (reply: T) => replies.push(reply));
    stream.on('error', reject);
    stream.on('end', () => resolve(replies));
  });
}

function callOptions(): Partial<grpc.CallOptions> {
  return { deadline: Date.now() + CALL_DEADLINE_MS };
}

/** A Monitor/Subscribe stream as the test sees it: every reply, and a way to wait for entries. */
export class MonitorStream {
  readonly replies: MonitorReply[] = [];
  /** Resolves with the stream's final status (OK when the server ended it). */
  readonly ended: Promise<grpc.StatusObject>;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly call: grpc.ClientReadableStream<unknown>,
    toReply: (raw: unknown) => MonitorReply,
  ) {
    call.on('data', (raw: unknown) => {
      this.replies.push(toReply(raw));
      for (const wake of this.waiters) wake();
    });
    this.ended = new Promise((resolve) => {
      call.on('status', (status: grpc.StatusObject) => resolve(status));
      // An error is also reported as 'status'; listening keeps it from being thrown.
      call.on('error', () => undefined);
    });
  }

  /** Every entry so far, in order. */
  get entries(): MonitorEntry[] {
    return this.replies.flatMap((reply) => reply.entries);
  }

  /** Resolves once `done(entries)` holds; rejects after `timeoutMs`. */
  async until(done: (entries: MonitorEntry[]) => boolean, timeoutMs = 5_000): Promise<MonitorEntry[]> {
    if (done(this.entries)) return this.entries;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(`monitor stream: condition not met within ${timeoutMs} ms; got ${this.entries.length} entries`),
        );
      }, timeoutMs);
      const check = () => {
        if (!done(this.entries)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.entries);
      };
      this.waiters.add(check);
    });
  }

  /** Stops reading, as a slow application would; the server must wait rather than buffer. */
  pause(): void {
    this.call.pause();
  }

  resume(): void {
    this.call.resume();
  }

  cancel(): void {
    this.call.cancel();
  }
}

/** The calls one dialect makes; `JetTestClient` hides which. */
interface DialectCalls {
  login(user: string, password: string, clientId: string): Promise<StatusReply>;
  initialize(): Promise<InitializeReply>;
  cleanup(): Promise<StatusReply>;
  oper(op: Exclude<RouteOperation, 'remove'>, paths: BgpPath[], tweak?: (entry: WireEntry) => void): Promise<OperReply>;
  remove(matches: PathMatch[], orLonger: boolean): Promise<OperReply>;
  get(match: PathMatch, orLonger: boolean, routeCount: number): Promise<GetReply[]>;
  subscribe(routeCount: number): MonitorStream;
  unsubscribe(): Promise<StatusReply>;
  refresh(): Promise<StatusReply>;
  opCommand(command: string): Promise<OpCommandPart[]>;
  close(): void;
}

function legacyReply(names: Record<number, string>, code: number, success = ['SUCCESS']): StatusReply {
  const status = names[code] ?? `UNKNOWN_${code}`;
  return { status, ok: success.includes(status), message: '' };
}

function legacyOperReply(reply: BgpRouteOperReply): OperReply {
  return { ...legacyReply(LegacyOper, reply.status), completed: reply.operationsCompleted, code: reply.status };
}

class LegacyCalls implements DialectCalls {
  private readonly login$: LoginClient;
  private readonly bgp: BgpRouteClient;
  private readonly management: ManagementRpcApiClient;

  constructor(target: ComplianceTarget) {
    this.login$ = new LoginClient(target.address, target.credentials, target.channelOptions);
    const shared = { channelOverride: this.login$.getChannel() };
    this.bgp = new BgpRouteClient(target.address, target.credentials, shared);
    this.management = new ManagementRpcApiClient(target.address, target.credentials, shared);
  }

  async login(userName: string, password: string, clientId: string): Promise<StatusReply> {
    const reply = await unaryCall<{ result: boolean }>((cb) =>
      this.login$.loginCheck({ userName, password, clientId, groupId: '' }, new grpc.Metadata(), callOptions(), cb),
    );
    return { status: reply.result ? 'SUCCESS' : 'FAILURE', ok: reply.result, message: '' };
  }

  async initialize(): Promise<InitializeReply> {
    const reply = await unaryCall<{ status: number; gwNRoutes: number }>((cb) =>
      this.bgp.bgpRouteInitialize({}, new grpc.Metadata(), callOptions(), cb),
    );
    return { ...legacyReply(LegacyInit, reply.status, ['SUCCESS', 'SUCCESS_STATE_REBOUND']), routes: reply.gwNRoutes };
  }

  async cleanup(): Promise<StatusReply> {
    const reply = await unaryCall<{ status: number }>((cb) =>
      this.bgp.bgpRouteCleanup({}, new grpc.Metadata(), callOptions(), cb),
    );
    return legacyReply(LegacyCleanup, reply.status);
  }

  async oper(
    op: Exclude<RouteOperation, 'remove'>,
    paths: BgpPath[],
    tweak?: (entry: WireEntry) => void,
  ): Promise<OperReply> {
    const bgpRoutes = paths.map((path) => legacyCodec.encodePath(path));
    if (tweak) bgpRoutes.forEach(tweak);
    const method = { add: 'bgpRouteAdd', modify: 'bgpRouteModify', update: 'bgpRouteUpdate' } as const;
    const reply = await unaryCall<BgpRouteOperReply>((cb) =>
      this.bgp[method[op]]({ bgpRoutes }, new grpc.Metadata(), callOptions(), cb),
    );
    return legacyOperReply(reply);
  }

  async remove(matches: PathMatch[], orLonger: boolean): Promise<OperReply> {
    const bgpRoutes = matches.map((match) => legacyCodec.encodeMatch(match));
    const reply = await unaryCall<BgpRouteOperReply>((cb) =>
      this.bgp.bgpRouteRemove({ orLonger, bgpRoutes }, new grpc.Metadata(), callOptions(), cb),
    );
    return legacyOperReply(reply);
  }

  async get(match: PathMatch, orLonger: boolean, routeCount: number): Promise<GetReply[]> {
    const request = {
      bgpRoute: legacyCodec.encodeMatch(match),
      orLonger,
      activeOnly: false,
      replyAddressFormat: 0,
      replyTableFormat: 0,
      routeCount,
    };
    const replies = await readAll(this.bgp.bgpRouteGet(request, callOptions()));
    return replies.map((reply) => ({
      ...legacyReply(LegacyGet, reply.status),
      routes: reply.bgpRoutes.map((entry) => legacyCodec.decodePath(entry)),
    }));
  }

  subscribe(routeCount: number): MonitorStream {
    const call = this.bgp.bgpRouteMonitorRegister({ replyAddressFormat: 0, replyTableFormat: 0, routeCount });
    return new MonitorStream(call, (raw) => {
      const reply = raw as { status: number; monitorEntries: Array<{ operation: number; bgpRoute?: BgpRouteEntry }> };
      return {
        ...legacyReply(LegacyRegister, reply.status),
        entries: reply.monitorEntries.map((e) =>
          monitorEntry(legacyCodec.monitorOpOf(e.operation), e.bgpRoute && legacyCodec.decodePath(e.bgpRoute)),
        ),
      };
    });
  }

  async unsubscribe(): Promise<StatusReply> {
    const reply = await unaryCall<{ status: number }>((cb) =>
      this.bgp.bgpRouteMonitorUnregister({}, new grpc.Metadata(), callOptions(), cb),
    );
    return legacyReply(LegacyUnregister, reply.status);
  }

  async refresh(): Promise<StatusReply> {
    const reply = await unaryCall<{ status: number }>((cb) =>
      this.bgp.bgpRouteMonitorRefresh({}, new grpc.Metadata(), callOptions(), cb),
    );
    return legacyReply(LegacyRefresh, reply.status);
  }

  async opCommand(cliCommand: string): Promise<OpCommandPart[]> {
    const request = { requestId: 1n, cliCommand, outFormat: OperationFormatType.OPERATION_FORMAT_CLI };
    const replies = await readAll(this.management.executeOpCommand(request, callOptions()));
    return replies.map((reply) => ({ ok: reply.status === 0, data: reply.data, message: reply.message }));
  }

  close(): void {
    this.login$.close();
  }
}

function jnxReply(names: Record<number, string>, status: RpcStatus | undefined, subCode: number): StatusReply {
  return {
    status: names[subCode] ?? `UNKNOWN_${subCode}`,
    ok: status?.code === StatusCode.SUCCESS,
    message: status?.message ?? '',
  };
}

function jnxOperReply(reply: RouteOperResponse): OperReply {
  return {
    ...jnxReply(JnxOper, reply.status, reply.subCode),
    completed: reply.operationsCompleted,
    code: reply.subCode,
  };
}

function monitorEntry(op: MonitorEntry['op'], path: BgpPath | undefined): MonitorEntry {
  return path ? { op, path } : { op };
}

class JnxCalls implements DialectCalls {
  private readonly auth: AuthenticationClient;
  private readonly bgp: BgpClient;
  private readonly management: ManagementClient;

  constructor(target: ComplianceTarget) {
    this.auth = new AuthenticationClient(target.address, target.credentials, target.channelOptions);
    const shared = { channelOverride: this.auth.getChannel() };
    this.bgp = new BgpClient(target.address, target.credentials, shared);
    this.management = new ManagementClient(target.address, target.credentials, shared);
  }

  async login(username: string, password: string, clientId: string): Promise<StatusReply> {
    const reply = await unaryCall<{ status: RpcStatus | undefined }>((cb) =>
      this.auth.login({ username, password, clientId, groupId: '' }, new grpc.Metadata(), callOptions(), cb),
    );
    const ok = reply.status?.code === StatusCode.SUCCESS;
    return { status: ok ? 'SUCCESS' : 'FAILURE', ok, message: reply.status?.message ?? '' };
  }

  async initialize(): Promise<InitializeReply> {
    const reply = await unaryCall<{ status: RpcStatus | undefined; subCode: number; numClientRoutes: number }>((cb) =>
      this.bgp.initialize({ defaultAddressFormat: 0, defaultTableFormat: 0 }, new grpc.Metadata(), callOptions(), cb),
    );
    return { ...jnxReply(JnxInit, reply.status, reply.subCode), routes: reply.numClientRoutes };
  }

  async cleanup(): Promise<StatusReply> {
    const reply = await unaryCall<{ status: RpcStatus | undefined; subCode: number }>((cb) =>
      this.bgp.cleanup({}, new grpc.Metadata(), callOptions(), cb),
    );
    return jnxReply(JnxCleanup, reply.status, reply.subCode);
  }

  async oper(
    op: Exclude<RouteOperation, 'remove'>,
    paths: BgpPath[],
    tweak?: (entry: WireEntry) => void,
  ): Promise<OperReply> {
    const routes = paths.map((path) => jnxCodec.encodePath(path));
    if (tweak) routes.forEach(tweak);
    const method = { add: 'routeAdd', modify: 'routeModify', update: 'routeUpdate' } as const;
    const reply = await unaryCall<RouteOperResponse>((cb) =>
      this.bgp[method[op]]({ routes }, new grpc.Metadata(), callOptions(), cb),
    );
    return jnxOperReply(reply);
  }

  async remove(matches: PathMatch[], orLonger: boolean): Promise<OperReply> {
    const routes = matches.map((match) => jnxCodec.encodeMatch(match));
    const reply = await unaryCall<RouteOperResponse>((cb) =>
      this.bgp.routeDelete({ orLonger, routes }, new grpc.Metadata(), callOptions(), cb),
    );
    return jnxOperReply(reply);
  }

  async get(match: PathMatch, orLonger: boolean, routeCount: number): Promise<GetReply[]> {
    const request = { route: jnxCodec.encodeMatch(match), orLonger, activeOnly: false, routeCount };
    const replies = await readAll(this.bgp.routeGet(request, callOptions()));
    return replies.map((reply) => ({
      ...jnxReply(JnxGet, reply.status, reply.subCode),
      routes: reply.routes.map((entry) => jnxCodec.decodePath(entry)),
    }));
  }

  subscribe(routeCount: number): MonitorStream {
    const call = this.bgp.routeSubscribe({ routeCount });
    return new MonitorStream(call, (raw) => {
      const reply = raw as {
        status: RpcStatus | undefined;
        subCode: number;
        subscribeEntries: Array<{ operation: number; route?: RouteEntry }>;
      };
      return {
        ...jnxReply(JnxSubscribe, reply.status, reply.subCode),
        entries: reply.subscribeEntries.map((e) =>
          monitorEntry(jnxCodec.monitorOpOf(e.operation), e.route && jnxCodec.decodePath(e.route)),
        ),
      };
    });
  }

  async unsubscribe(): Promise<StatusReply> {
    const reply = await unaryCall<{ status: RpcStatus | undefined; subCode: number }>((cb) =>
      this.bgp.routeUnsubscribe({}, new grpc.Metadata(), callOptions(), cb),
    );
    return jnxReply(JnxUnsubscribe, reply.status, reply.subCode);
  }

  async refresh(): Promise<StatusReply> {
    const reply = await unaryCall<{ status: RpcStatus | undefined; subCode: number }>((cb) =>
      this.bgp.routeRefresh({}, new grpc.Metadata(), callOptions(), cb),
    );
    return jnxReply(JnxRefresh, reply.status, reply.subCode);
  }

  async opCommand(cliCommand: string): Promise<OpCommandPart[]> {
    const request = { cliCommand, outFormat: OpCommandOutputFormat.OP_COMMAND_OUTPUT_CLI };
    const replies = await readAll(this.management.opCommandGet(request, callOptions()));
    return replies.map((reply) => ({
      ok: reply.status?.code === StatusCode.SUCCESS,
      data: reply.data,
      message: reply.status?.message ?? '',
    }));
  }

  close(): void {
    this.auth.close();
  }
}

/** One JET application connection: a channel, the login on it and the BGP calls. */
export class JetTestClient {
  private constructor(
    readonly dialect: DialectName,
    readonly clientId: string,
    private readonly target: ComplianceTarget,
    private readonly calls: DialectCalls,
  ) {}

  /** A client on its own channel (its own TCP connection), not logged in yet. */
  static open(target: ComplianceTarget, dialect: DialectName, clientId: string): JetTestClient {
    // grpc-js shares one TCP connection among channels to the same address unless told
    // otherwise; JET authenticates connections, so each application needs its own.
    const own = { ...target, channelOptions: { ...target.channelOptions, 'grpc.use_local_subchannel_pool': 1 } };
    const calls = dialect === 'legacy' ? new LegacyCalls(own) : new JnxCalls(own);
    return new JetTestClient(dialect, clientId, target, calls);
  }

  /** A client that logged in as the target's user and initialized; throws if either fails. */
  static async ready(target: ComplianceTarget, dialect: DialectName, clientId: string): Promise<JetTestClient> {
    const client = JetTestClient.open(target, dialect, clientId);
    const login = await client.login();
    if (!login.ok) throw new Error(`login as ${target.user} failed: ${login.message}`);
    const init = await client.initialize();
    if (!init.ok) throw new Error(`Initialize failed: ${init.status}`);
    return client;
  }

  login(user = this.target.user, password = this.target.password, clientId = this.clientId): Promise<StatusReply> {
    return this.calls.login(user, password, clientId);
  }

  initialize(): Promise<InitializeReply> {
    return this.calls.initialize();
  }

  cleanup(): Promise<StatusReply> {
    return this.calls.cleanup();
  }

  /** Add/Modify/Update; `tweak` edits each encoded entry before sending (malformed-input tests). */
  oper(
    op: Exclude<RouteOperation, 'remove'>,
    paths: BgpPath[],
    tweak?: (entry: WireEntry) => void,
  ): Promise<OperReply> {
    return this.calls.oper(op, paths, tweak);
  }

  add(paths: BgpPath[]): Promise<OperReply> {
    return this.calls.oper('add', paths);
  }

  remove(matches: PathMatch[], orLonger = false): Promise<OperReply> {
    return this.calls.remove(matches, orLonger);
  }

  get(match: PathMatch = {}, opts: { orLonger?: boolean; routeCount?: number } = {}): Promise<GetReply[]> {
    return this.calls.get(match, opts.orLonger ?? false, opts.routeCount ?? 0);
  }

  subscribe(routeCount = 0): MonitorStream {
    return this.calls.subscribe(routeCount);
  }

  unsubscribe(): Promise<StatusReply> {
    return this.calls.unsubscribe();
  }

  refresh(): Promise<StatusReply> {
    return this.calls.refresh();
  }

  opCommand(command: string): Promise<OpCommandPart[]> {
    return this.calls.opCommand(command);
  }

  /** Closes the channel without Cleanup, as a crashed or disconnected application would. */
  close(): void {
    this.calls.close();
  }
}

/** `count` distinct /32 host routes under 10.200.0.0/16 (or another /16), one next hop each. */
export function hostRoutes(count: number, opts: { secondOctet?: number; cookieBase?: bigint } = {}): BgpPath[] {
  const second = opts.secondOctet ?? 200;
  return Array.from({ length: count }, (_, i) => ({
    table: 'inet.0',
    prefix: `10.${second}.${Math.floor(i / 256)}.${i % 256}`,
    length: 32,
    cookie: (opts.cookieBase ?? 1n) + BigInt(i),
    nextHops: ['192.0.2.1'],
    peerType: 'internal' as const,
  }));
}

/** The jnx names of the statuses the classic API names differently. */
const JNX_RENAMES: Readonly<Record<string, string>> = {
  TRY_AGAIN: 'REQUEST_NOT_DONE',
  ALREADY_REGISTERED: 'ALREADY_SUBSCRIBED',
  NOT_REGISTERED: 'NOT_SUBSCRIBED',
};

/** A status by its classic name, as `dialect` names it (route-operation and Monitor enums). */
export function statusName(dialect: DialectName, classic: string): string {
  return dialect === 'jnx' ? (JNX_RENAMES[classic] ?? classic) : classic;
}
