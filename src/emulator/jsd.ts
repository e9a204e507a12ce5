/**
 * The emulated JET service daemon (`jsd`), dialect-neutral: what each JET RPC
 * does for the connection that calls it. The legacy and jnx services decode a
 * request with their codec, call one method here and encode the answer, so the
 * behaviour is written once and both dialects share one RIB and one set of
 * clients, as on a router that serves both APIs.
 */
import type { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { WireMatch, WirePath } from '../jet/codec/index.js';
import type { DialectName, OpCommandFormat, RouteOperation } from '../jet/model.js';
import { RpcError } from './calls.js';
import { ClientRegistry, type ClientState, type Connection, type InitializeStatus } from './clients.js';
import { PeerRouteFeed, type MonitorSink } from './monitor.js';
import { Rib, type ProgrammedRoute } from './rib.js';
import {
  MAX_ROUTES_PER_REPLY,
  RouteProgrammer,
  type GetStatus,
  type OperResult,
  type OperStatus,
  type RouteChange,
} from './routing.js';
import { PathSelection } from './path-match.js';
import { compileRejectFault, type RejectFault } from './route-faults.js';
import { Rejection, RouteValidator, type KnownTables } from './validation.js';

/** Faults a test can switch on to see how a client copes. */
export interface Faults {
  /** Delay every BGP route-service call by this long. */
  latencyMs?: number;
  /** Fail every BGP route-service call with gRPC UNAVAILABLE. */
  unavailable?: boolean;
  /** Answer route operations and Get with TRY_AGAIN (legacy) / REQUEST_NOT_DONE (jnx). */
  tryAgain?: boolean;
  /** Destroy every client connection now (one-shot; not remembered). */
  dropConnections?: boolean;
  /** Refuse routes inside these prefixes with this status on these operations (first-error abort). */
  reject?: RejectFault;
}

export interface OpCommandResult {
  ok: boolean;
  data: string;
  error?: string;
}

export type OpCommandHandler = (command: string, format: OpCommandFormat) => OpCommandResult;

/** A command's output in reply-sized parts, or why it failed. */
export type OpCommandOutput = { ok: true; parts: string[] } | { ok: false; error: string };

/** The most output characters one management reply carries. */
export const OUTPUT_PART_CHARS = 64 * 1024;

export interface RouteEvent {
  op: RouteChange;
  path: ProgrammedRoute;
}

/** One Add/Modify/Update/Remove a logged-in, initialized client made, and its outcome. */
export interface RequestEvent {
  clientId: string;
  op: RouteOperation;
  /** Routes (or matches) in the request. */
  size: number;
  status: OperStatus;
  /** Routes applied (or removed) before the request stopped. */
  completed: number;
}

export type ClientEvent =
  | { type: 'connected'; peer: string }
  | { type: 'refused'; peer: string; reason: string }
  | { type: 'disconnected'; peer: string; clientId?: string }
  | { type: 'login'; peer: string; clientId: string; user: string; dialect: DialectName }
  | { type: 'login-failed'; peer: string; user: string; dialect: DialectName; reason: string }
  | { type: 'initialized'; clientId: string; rebound: boolean; routes: number }
  | { type: 'cleanup'; clientId: string; routes: number }
  | { type: 'purged'; clientId: string; routes: number };

export interface LoginRequest {
  user: string;
  password: string;
  clientId: string;
}

export interface LoginOutcome {
  ok: boolean;
  message: string;
}

export interface InitializeOutcome {
  status: InitializeStatus;
  /** Routes the client already owns (kept across a rebind). */
  routes: number;
}

export interface GetOutcome {
  status: GetStatus;
  message?: string;
  /** The matching routes, one array per reply. */
  replies: ProgrammedRoute[][];
}

export type SubscribeStatus = 'SUCCESS' | 'NOT_INITIALIZED' | 'ALREADY_REGISTERED' | 'ROUTE_COUNT_INVALID';
export type StreamControlStatus = 'SUCCESS' | 'NOT_INITIALIZED' | 'NOT_REGISTERED';

export interface JsdOptions {
  users: Readonly<Record<string, string>>;
  tables: KnownTables;
  purgeTimeoutMs: number;
  events: EventEmitter;
  log: Logger;
  /** The operational-command handler, looked up per call because the ops module installs it late. */
  opCommand: () => OpCommandHandler | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Batch size for a requested route count: 0 lets the server choose; above the maximum is refused. */
function batchSize(routeCount: number): number | undefined {
  if (routeCount > MAX_ROUTES_PER_REPLY) return undefined;
  return routeCount === 0 ? MAX_ROUTES_PER_REPLY : routeCount;
}

export class Jsd {
  readonly rib = new Rib();
  readonly peers = new PeerRouteFeed();
  readonly clients: ClientRegistry;
  readonly validator: RouteValidator;
  private readonly programmer: RouteProgrammer;
  private faults: Faults = {};

  constructor(private readonly opts: JsdOptions) {
    this.clients = new ClientRegistry({ purgeTimeoutMs: opts.purgeTimeoutMs, onPurge: (state) => this.purge(state) });
    this.validator = new RouteValidator(opts.tables);
    this.programmer = new RouteProgrammer(this.rib, this.validator, (op, path) => {
      const event: RouteEvent = { op, path };
      opts.events.emit('route', event);
    });
  }

  /** Replaces the faults; throws RejectFaultError (changing nothing) for an unusable `reject`. */
  setFaults(faults: Faults): void {
    const { dropConnections, ...lasting } = faults;
    const rule = lasting.reject && compileRejectFault(lasting.reject);
    this.faults = lasting;
    this.programmer.rejectRule = rule;
    if (dropConnections) this.dropConnections();
  }

  dropConnections(): void {
    for (const connection of this.clients.connections()) connection.destroy();
  }

  connect(peer: string, destroySocket: () => void): Connection {
    const connection = this.clients.connect(peer, destroySocket);
    this.emitClient({ type: 'connected', peer });
    return connection;
  }

  disconnect(connection: Connection): void {
    this.peers.dropConnection(connection);
    this.clients.disconnect(connection);
    const clientId = connection.login?.clientId;
    this.emitClient({ type: 'disconnected', peer: connection.peer, ...(clientId === undefined ? {} : { clientId }) });
  }

  /** Checks credentials and binds the connection to the client id. */
  login(peer: string, dialect: DialectName, request: LoginRequest): LoginOutcome {
    const connection = this.clients.connection(peer);
    const refusal = this.loginRefusal(request);
    if (!connection || refusal) {
      const reason = refusal ?? 'connection not known';
      this.opts.log.info({ peer, user: request.user, dialect, reason }, 'login refused');
      this.emitClient({ type: 'login-failed', peer, user: request.user, dialect, reason });
      return { ok: false, message: reason };
    }
    this.clients.login(connection, { user: request.user, clientId: request.clientId, dialect });
    this.emitClient({ type: 'login', peer, clientId: request.clientId, user: request.user, dialect });
    return { ok: true, message: `client ${request.clientId} logged in` };
  }

  private loginRefusal(request: LoginRequest): string | undefined {
    const expected = Object.hasOwn(this.opts.users, request.user) ? this.opts.users[request.user] : undefined;
    if (expected === undefined || expected !== request.password) {
      return `authentication failed for user "${request.user}": unknown user or wrong password`;
    }
    if (request.clientId === '') return 'client_id is required: it names the routing state of this client';
    return undefined;
  }

  async initialize(peer: string): Promise<InitializeOutcome> {
    const connection = await this.routeCall(peer);
    const status = this.clients.initialize(connection);
    const clientId = this.clientIdOf(connection);
    const routes = this.rib.countOwnedBy(clientId);
    if (status !== 'ALREADY_INITIALIZED') {
      this.emitClient({ type: 'initialized', clientId, rebound: status === 'SUCCESS_STATE_REBOUND', routes });
    }
    return { status, routes };
  }

  async cleanup(peer: string): Promise<'SUCCESS' | 'NOT_INITIALIZED'> {
    const connection = await this.routeCall(peer);
    const state = this.clients.cleanup(connection);
    if (!state) return 'NOT_INITIALIZED';
    this.peers.unsubscribe(state.clientId);
    const routes = this.programmer.withdrawAll(state.clientId);
    this.emitClient({ type: 'cleanup', clientId: state.clientId, routes });
    return 'SUCCESS';
  }

  async oper(peer: string, op: Exclude<RouteOperation, 'remove'>, paths: readonly WirePath[]): Promise<OperResult> {
    const gate = await this.operGate(peer);
    if ('refused' in gate) return gate.refused;
    return this.logged(gate.owner, op, paths.length, this.programmer.apply(gate.owner, op, paths));
  }

  async remove(peer: string, matches: readonly WireMatch[], orLonger: boolean): Promise<OperResult> {
    const gate = await this.operGate(peer);
    if ('refused' in gate) return gate.refused;
    return this.logged(gate.owner, 'remove', matches.length, this.programmer.remove(gate.owner, matches, orLonger));
  }

  /**
   * The caller's programmed routes matching `match`, split into replies. An
   * empty result is one reply with ROUTE_NOT_FOUND (the Get enum's "nothing
   * matched"), so a client can tell "no routes" from a stream cut short.
   */
  async get(peer: string, match: WireMatch, orLonger: boolean, routeCount: number): Promise<GetOutcome> {
    const connection = await this.routeCall(peer);
    if (!this.clients.isInitialized(connection)) return { status: 'NOT_INITIALIZED', replies: [] };
    if (this.faults.tryAgain)
      return { status: 'TRY_AGAIN', message: 'the router is busy (fault injected)', replies: [] };
    const size = batchSize(routeCount);
    if (size === undefined) {
      const message = `route_count ${routeCount} exceeds ${MAX_ROUTES_PER_REPLY}`;
      return { status: 'ROUTE_COUNT_INVALID', message, replies: [] };
    }
    const selector = this.validator.selector(match, orLonger);
    if (selector instanceof Rejection) return { status: selector.status, message: selector.message, replies: [] };
    const selection = PathSelection.of(match.matchCommunities);
    if (selection instanceof Rejection) return { status: selection.status, message: selection.message, replies: [] };
    const routes = this.programmer.select(this.clientIdOf(connection), selector, selection);
    if (routes.length === 0) return { status: 'ROUTE_NOT_FOUND', message: 'no programmed route matches', replies: [] };
    const replies: ProgrammedRoute[][] = [];
    for (let i = 0; i < routes.length; i += size) replies.push(routes.slice(i, i + size));
    return { status: 'SUCCESS', replies };
  }

  /** Opens the caller's Monitor/Subscribe stream of peer-learned routes. */
  async subscribe(peer: string, routeCount: number, sink: MonitorSink): Promise<SubscribeStatus> {
    const connection = await this.routeCall(peer);
    if (!this.clients.isInitialized(connection)) return 'NOT_INITIALIZED';
    const size = batchSize(routeCount);
    if (size === undefined) return 'ROUTE_COUNT_INVALID';
    return this.peers.subscribe(this.clientIdOf(connection), connection, size, sink);
  }

  async unsubscribe(peer: string): Promise<StreamControlStatus> {
    const clientId = await this.initializedClient(peer);
    if (clientId === undefined) return 'NOT_INITIALIZED';
    return this.peers.unsubscribe(clientId) ? 'SUCCESS' : 'NOT_REGISTERED';
  }

  async refresh(peer: string): Promise<StreamControlStatus> {
    const clientId = await this.initializedClient(peer);
    if (clientId === undefined) return 'NOT_INITIALIZED';
    return this.peers.refresh(clientId) ? 'SUCCESS' : 'NOT_REGISTERED';
  }

  /**
   * Runs an operational command through the installed handler. The output is
   * split into parts, as a router streams long output in several replies.
   */
  opCommand(peer: string, command: string | undefined, format: OpCommandFormat | undefined): OpCommandOutput {
    this.loggedIn(peer);
    const handler = this.opts.opCommand();
    if (!handler) return { ok: false, error: 'operational commands are not available on this emulator' };
    if (command === undefined || command.trim() === '') return { ok: false, error: 'no command given' };
    if (format === undefined) return { ok: false, error: 'unknown out_format' };
    let result: OpCommandResult;
    try {
      result = handler(command, format);
    } catch (error) {
      return { ok: false, error: `command failed: ${(error as Error).message}` };
    }
    if (!result.ok) return { ok: false, error: result.error ?? 'command failed' };
    const parts: string[] = [];
    for (let i = 0; i < result.data.length; i += OUTPUT_PART_CHARS)
      parts.push(result.data.slice(i, i + OUTPUT_PART_CHARS));
    return { ok: true, parts: parts.length > 0 ? parts : [''] };
  }

  /** Refuses configuration RPCs on behalf of the management services. */
  configRefusal(peer: string): string {
    this.loggedIn(peer);
    return 'configuration changes are not supported by the JET emulator';
  }

  /** Rejects a call from a connection that has not logged in (any service). */
  loggedIn(peer: string): Connection {
    const connection = this.clients.connection(peer);
    if (!connection?.login) {
      throw new RpcError(grpc.status.UNAUTHENTICATED, 'not logged in: call Login on this connection first');
    }
    return connection;
  }

  stop(): void {
    this.peers.closeAll();
    this.clients.stop();
  }

  /** Every BGP route-service call: login required, then the injected latency and outage. */
  private async routeCall(peer: string): Promise<Connection> {
    const connection = this.loggedIn(peer);
    if (this.faults.latencyMs) await sleep(this.faults.latencyMs);
    if (this.faults.unavailable)
      throw new RpcError(grpc.status.UNAVAILABLE, 'route service unavailable (fault injected)');
    return connection;
  }

  /** The client id a route operation acts for, or the status that refuses it. */
  private async operGate(peer: string): Promise<{ owner: string } | { refused: OperResult }> {
    const connection = await this.routeCall(peer);
    if (!this.clients.isInitialized(connection)) {
      return { refused: { status: 'NOT_INITIALIZED', completed: 0, message: 'call Initialize first' } };
    }
    if (this.faults.tryAgain) {
      return { refused: { status: 'TRY_AGAIN', completed: 0, message: 'the router is busy (fault injected)' } };
    }
    return { owner: this.clientIdOf(connection) };
  }

  private async initializedClient(peer: string): Promise<string | undefined> {
    const connection = await this.routeCall(peer);
    return this.clients.isInitialized(connection) ? this.clientIdOf(connection) : undefined;
  }

  private clientIdOf(connection: Connection): string {
    if (!connection.login) throw new Error('connection has no login');
    return connection.login.clientId;
  }

  private purge(state: ClientState): void {
    this.peers.unsubscribe(state.clientId);
    const routes = this.programmer.withdrawAll(state.clientId);
    this.opts.log.info({ clientId: state.clientId, routes }, 'purge timeout: withdrew routes of disconnected client');
    this.emitClient({ type: 'purged', clientId: state.clientId, routes });
  }

  private logged(clientId: string, op: RouteOperation, size: number, result: OperResult): OperResult {
    const { status, completed, message } = result;
    if (status !== 'SUCCESS')
      this.opts.log.debug({ op, status, completed, reason: message }, 'route operation refused');
    this.opts.events.emit('request', { clientId, op, size, status, completed } satisfies RequestEvent);
    return result;
  }

  private emitClient(event: ClientEvent): void {
    this.opts.log.debug(event, 'client event');
    this.opts.events.emit('client', event);
  }
}
