/**
 * Connections and client routing state, as `jsd` keeps them. A connection is one
 * TCP connection; Login binds it to a client id. The client id names routing
 * state that outlives the connection: when the connection drops without
 * Cleanup, the state (and the client's routes) waits for the purge timeout, and
 * an Initialize from the same client id in that window rebinds it.
 */
import type { DialectName } from '../jet/model.js';

export interface LoginBinding {
  user: string;
  clientId: string;
  dialect: DialectName;
}

/** One client TCP connection. `peer` is `address:port` as grpc-js reports it in `call.getPeer()`. */
export class Connection {
  login: LoginBinding | undefined;
  initialized = false;

  constructor(
    readonly id: number,
    readonly peer: string,
    private readonly destroySocket: () => void,
  ) {}

  /** Drops the connection at once, as a network failure would. */
  destroy(): void {
    this.destroySocket();
  }
}

/** The routing state of one client id. */
export interface ClientState {
  readonly clientId: string;
  user: string;
  dialect: DialectName;
  /** The connection last bound to this client id, while it is open. */
  connection: Connection | undefined;
  /** True from Initialize until Cleanup or purge: there is state to rebind. */
  active: boolean;
  purgeTimer: NodeJS.Timeout | undefined;
  purgeAt: Date | undefined;
}

export type InitializeStatus = 'SUCCESS' | 'SUCCESS_STATE_REBOUND' | 'ALREADY_INITIALIZED';

export interface ClientRegistryOptions {
  purgeTimeoutMs: number;
  /** Called when a client's purge timer fires: withdraw its routes. */
  onPurge: (state: ClientState) => void;
}

export class ClientRegistry {
  private readonly byPeer = new Map<string, Connection>();
  private readonly states = new Map<string, ClientState>();
  private nextId = 1;

  constructor(private readonly opts: ClientRegistryOptions) {}

  get connectionCount(): number {
    return this.byPeer.size;
  }

  connect(peer: string, destroySocket: () => void): Connection {
    const connection = new Connection(this.nextId++, peer, destroySocket);
    this.byPeer.set(peer, connection);
    return connection;
  }

  connection(peer: string): Connection | undefined {
    return this.byPeer.get(peer);
  }

  connections(): Connection[] {
    return [...this.byPeer.values()];
  }

  /** The connection closed: its client's state waits for the purge timeout (or goes, if it has none). */
  disconnect(connection: Connection): void {
    if (this.byPeer.get(connection.peer) === connection) this.byPeer.delete(connection.peer);
    this.release(connection);
  }

  /**
   * Binds a connection to a client id after its credentials were checked. A
   * newer connection for the same client id takes the state over; the older one
   * stays logged in but must Initialize again to use it.
   */
  login(connection: Connection, binding: LoginBinding): ClientState {
    if (connection.login && connection.login.clientId !== binding.clientId) this.release(connection);
    let state = this.states.get(binding.clientId);
    if (!state) {
      state = { ...binding, connection: undefined, active: false, purgeTimer: undefined, purgeAt: undefined };
      this.states.set(binding.clientId, state);
    }
    if (state.connection && state.connection !== connection) state.connection.initialized = false;
    state.user = binding.user;
    state.dialect = binding.dialect;
    state.connection = connection;
    connection.login = binding;
    connection.initialized = false;
    return state;
  }

  /** The state a logged-in connection is bound to. */
  stateOf(connection: Connection): ClientState | undefined {
    return connection.login ? this.states.get(connection.login.clientId) : undefined;
  }

  /** Whether route calls on this connection may proceed. */
  isInitialized(connection: Connection): boolean {
    return connection.initialized && this.stateOf(connection)?.connection === connection;
  }

  /** Initialize: a new state answers SUCCESS, one left behind by a dropped connection SUCCESS_STATE_REBOUND. */
  initialize(connection: Connection): InitializeStatus {
    const state = this.stateOf(connection);
    if (!state) throw new Error('initialize on a connection that has not logged in');
    if (this.isInitialized(connection)) return 'ALREADY_INITIALIZED';
    if (state.connection && state.connection !== connection) state.connection.initialized = false;
    this.cancelPurge(state);
    const rebound = state.active;
    state.active = true;
    state.connection = connection;
    connection.initialized = true;
    return rebound ? 'SUCCESS_STATE_REBOUND' : 'SUCCESS';
  }

  /** Cleanup: the client gives up its state; the caller withdraws its routes. */
  cleanup(connection: Connection): ClientState | undefined {
    if (!this.isInitialized(connection)) return undefined;
    const state = this.stateOf(connection);
    if (!state) return undefined;
    state.active = false;
    connection.initialized = false;
    return state;
  }

  clients(): ClientState[] {
    return [...this.states.values()];
  }

  /** Stops every purge timer (the emulator is shutting down). */
  stop(): void {
    for (const state of this.states.values()) this.cancelPurge(state);
  }

  private release(connection: Connection): void {
    const state = this.stateOf(connection);
    connection.initialized = false;
    if (!state || state.connection !== connection) return;
    state.connection = undefined;
    if (state.active) this.schedulePurge(state);
    else this.states.delete(state.clientId);
  }

  private schedulePurge(state: ClientState): void {
    this.cancelPurge(state);
    state.purgeAt = new Date(Date.now() + this.opts.purgeTimeoutMs);
    state.purgeTimer = setTimeout(() => this.purge(state), this.opts.purgeTimeoutMs);
    // A pending purge must not keep a process (or a test run) alive on its own.
    state.purgeTimer.unref();
  }

  private cancelPurge(state: ClientState): void {
    if (state.purgeTimer) clearTimeout(state.purgeTimer);
    state.purgeTimer = undefined;
    state.purgeAt = undefined;
  }

  private purge(state: ClientState): void {
    state.purgeTimer = undefined;
    state.purgeAt = undefined;
    state.active = false;
    if (!state.connection) this.states.delete(state.clientId);
    this.opts.onPurge(state);
  }
}
