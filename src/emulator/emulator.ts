/**
 * The JET emulator: a gRPC server on a TCP port that behaves like a Junos
 * router's JET server (`jsd`) for the classic and the current API at once, so a
 * client tested against it works against a router. It owns the TCP sockets and
 * hands them to grpc-js through a connection injector: that is how it knows when
 * a client's connection closes (the purge timer starts) and can refuse
 * connections above the router's limit. Tests and the admin API drive it through
 * the control methods here (peer routes, faults, inspection).
 */
import { EventEmitter } from 'node:events';
import type http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { pino, type Logger } from 'pino';
import { defaultTable, parsePrefix, type Family } from '../intent/syntax.js';
import type { BgpPath, DialectName } from '../jet/model.js';
import { Jsd, type ClientEvent, type Faults, type OpCommandHandler } from './jsd.js';
import { addJnxServices } from './jnx-service.js';
import { addLegacyServices } from './legacy-service.js';
import type { ProgrammedRoute } from './rib.js';
import { KnownTables, Rejection, type ValidationStatus } from './validation.js';

export { RejectFaultError, type RejectFault } from './route-faults.js';
export type { ClientEvent, Faults, OpCommandHandler, OpCommandResult, RequestEvent, RouteEvent } from './jsd.js';
export type { ProgrammedRoute } from './rib.js';

export interface EmulatorTlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** CA that signs client certificates; needed for `requireClientCert`. */
  ca?: string | Buffer;
  /** Mutual TLS: refuse clients without a certificate signed by `ca`. */
  requireClientCert?: boolean;
}

export interface EmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Which APIs to serve; default both. */
  dialects?: 'both' | 'legacy' | 'jnx';
  /** user → password. */
  users: Record<string, string>;
  /** How long a disconnected client's routes stay; default 120 000 ms. */
  purgeTimeoutMs?: number;
  /** Extra routing tables besides inet.0 and inet6.0. */
  tables?: string[];
  /** Concurrent client connections; default 5 (the router's default), at most 30. */
  maxConnections?: number;
  tls?: EmulatorTlsOptions;
  /** For `show version` and notifications; default "jet-emulator". */
  hostname?: string;
  logger?: Logger;
}

export interface ClientInfo {
  clientId: string;
  user: string;
  dialect: DialectName;
  connected: boolean;
  initialized: boolean;
  routes: number;
  /** ISO time the disconnected client's routes will be purged. */
  purgeAt?: string;
}

export type PeerRouteInput = Omit<BgpPath, 'cookie'> & { cookie?: bigint };

/** A peer route given to `injectPeerRoutes` / `withdrawPeerRoutes` that the router would refuse. */
export class PeerRouteError extends Error {
  override readonly name = 'PeerRouteError';
  constructor(
    readonly status: ValidationStatus,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_PURGE_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_CONNECTIONS = 5;
export const MAX_CONNECTIONS_LIMIT = 30;

function checkOptions(opts: EmulatorOptions): void {
  if (opts.users === null || typeof opts.users !== 'object')
    throw new TypeError('users must map user names to passwords');
  for (const [user, password] of Object.entries(opts.users)) {
    if (typeof password !== 'string') throw new TypeError(`users["${user}"] must be a password string`);
  }
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port ${port} is not 0..65535`);
  const purge = opts.purgeTimeoutMs ?? DEFAULT_PURGE_TIMEOUT_MS;
  if (!Number.isFinite(purge) || purge < 0)
    throw new RangeError(`purgeTimeoutMs ${purge} must be a non-negative number`);
  const max = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(max) || max < 1 || max > MAX_CONNECTIONS_LIMIT) {
    throw new RangeError(`maxConnections ${max} is not 1..${MAX_CONNECTIONS_LIMIT}`);
  }
  for (const table of opts.tables ?? []) {
    if (typeof table !== 'string' || table === '') throw new TypeError('tables must be non-empty table names');
  }
  if (opts.dialects !== undefined && !['both', 'legacy', 'jnx'].includes(opts.dialects)) {
    throw new TypeError(`dialects must be "both", "legacy" or "jnx", not ${JSON.stringify(opts.dialects)}`);
  }
  if (opts.tls) checkTls(opts.tls);
}

function checkTls(options: EmulatorTlsOptions): void {
  if (options.requireClientCert && options.ca === undefined) {
    throw new TypeError('tls.requireClientCert needs tls.ca, the CA that signs client certificates');
  }
  try {
    tls.createSecureContext({
      cert: options.cert,
      key: options.key,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
  } catch (error) {
    throw new TypeError(`tls: the certificate, key or CA cannot be used: ${(error as Error).message}`);
  }
}

function serverCredentials(tls: EmulatorTlsOptions | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const ca = tls.ca === undefined ? null : Buffer.from(tls.ca);
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
    tls.requireClientCert ?? false,
  );
}

function familyOf(prefix: string): Family {
  return prefix.includes(':') ? 'inet6' : 'inet';
}

/**
 * HTTP/2 receive windows the emulator grants each connection and stream.
 * Node's default is 64 KiB for both, so a client's 1000-route request (about
 * 100 KB) stalls until the emulator, busy with the previous request, reads
 * and acknowledges the first part. A router's gRPC stack grows its windows to
 * several megabytes (BDP probing); without this the emulator, not the bridge,
 * would set the pace of bulk programming.
 */
export const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
export const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;

/**
 * Sets the windows on every connection of `server`. grpc-js has no server
 * option for them, so this reaches for its HTTP/2 servers; should a grpc-js
 * release move them, the emulator keeps Node's defaults and says so.
 */
function widenFlowControlWindows(server: grpc.Server, log: Logger): void {
  const http2Servers = (server as unknown as { http2Servers?: Map<http2.Http2Server, unknown> }).http2Servers;
  if (!(http2Servers instanceof Map)) {
    log.warn('grpc-js hides its HTTP/2 servers; flow-control windows stay at 64 KiB, which slows bulk requests');
    return;
  }
  for (const http2Server of http2Servers.keys()) {
    http2Server.on('session', (session: http2.ServerHttp2Session) => {
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
      session.settings({ initialWindowSize: STREAM_WINDOW_BYTES });
    });
  }
}

export class JetEmulator {
  /** 'route' {@link RouteEvent} for every programmed-path change, 'request' {@link RequestEvent} for every route request, 'client' {@link ClientEvent}. */
  readonly events = new EventEmitter();
  readonly hostname: string;
  /** Answers ExecuteOpCommand / OpCommandGet; installed by the ops module. */
  opCommand?: OpCommandHandler;

  private readonly log: Logger;
  private readonly jsd: Jsd;
  private readonly grpcServer = new grpc.Server();
  private readonly injector: grpc.ConnectionInjector;
  private readonly netServer: net.Server;
  private readonly maxConnections: number;
  private boundPort = 0;
  private stopping: Promise<void> | undefined;

  private constructor(private readonly opts: EmulatorOptions) {
    this.hostname = opts.hostname ?? 'jet-emulator';
    this.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.log = (opts.logger ?? pino()).child({ component: 'emulator' });
    this.jsd = new Jsd({
      users: { ...opts.users },
      tables: new KnownTables(opts.tables),
      purgeTimeoutMs: opts.purgeTimeoutMs ?? DEFAULT_PURGE_TIMEOUT_MS,
      events: this.events,
      log: this.log,
      opCommand: () => this.opCommand,
    });
    const dialects = opts.dialects ?? 'both';
    if (dialects !== 'jnx') addLegacyServices(this.grpcServer, this.jsd, this.log);
    if (dialects !== 'legacy') addJnxServices(this.grpcServer, this.jsd, this.log);
    this.injector = this.grpcServer.createConnectionInjector(serverCredentials(opts.tls));
    widenFlowControlWindows(this.grpcServer, this.log);
    this.netServer = net.createServer((socket) => this.accept(socket));
  }

  /** Starts an emulator listening on `host:port`; rejects on bad options or when the port is taken. */
  static async start(opts: EmulatorOptions): Promise<JetEmulator> {
    checkOptions(opts);
    const emulator = new JetEmulator(opts);
    await emulator.listen(opts.host ?? '127.0.0.1', opts.port ?? 0);
    return emulator;
  }

  get port(): number {
    return this.boundPort;
  }

  /** `host:port` for a gRPC client. */
  get address(): string {
    const host = this.opts.host ?? '127.0.0.1';
    return host.includes(':') ? `[${host}]:${this.port}` : `${host}:${this.port}`;
  }

  /** The RIB: one entry per programmed path, every client's. The objects are the RIB's own; do not change them. */
  routes(): ProgrammedRoute[] {
    return [...this.jsd.rib.values()];
  }

  clients(): ClientInfo[] {
    return this.jsd.clients.clients().map((state) => {
      const info: ClientInfo = {
        clientId: state.clientId,
        user: state.user,
        dialect: state.dialect,
        connected: state.connection !== undefined,
        initialized: state.connection !== undefined && this.jsd.clients.isInitialized(state.connection),
        routes: this.jsd.rib.countOwnedBy(state.clientId),
      };
      if (state.purgeAt) info.purgeAt = state.purgeAt.toISOString();
      return info;
    });
  }

  /**
   * Makes the router learn paths from a BGP peer: Monitor/Subscribe streams
   * report them. A path with the same key replaces the earlier one. Throws
   * PeerRouteError for a path the router would refuse, before learning any.
   */
  injectPeerRoutes(paths: PeerRouteInput[]): void {
    const checked = paths.map((input, i) => {
      const path = this.jsd.validator.path({ ...input, cookie: input.cookie ?? 0n, family: familyOf(input.prefix) });
      if (path instanceof Rejection) {
        throw new PeerRouteError(path.status, `peer route ${i} (${input.prefix}/${input.length}): ${path.message}`);
      }
      return path;
    });
    this.jsd.peers.inject(checked);
  }

  /** Forgets every peer path of these destinations (all cookies); the table defaults to the family's. */
  withdrawPeerRoutes(keys: Array<{ prefix: string; length: number; table?: string }>): void {
    const destinations = keys.map((key, i) => {
      try {
        const parsed = parsePrefix(`${key.prefix}/${key.length}`);
        return { table: key.table ?? defaultTable(parsed.family), prefix: parsed.prefix, length: parsed.length };
      } catch (error) {
        throw new PeerRouteError('PREFIX_INVALID', `peer route key ${i}: ${(error as Error).message}`);
      }
    });
    this.jsd.peers.withdraw(destinations);
  }

  peerRoutes(): BgpPath[] {
    return this.jsd.peers.routes();
  }

  /**
   * Replaces the active faults; `{}` clears them. `dropConnections` acts once,
   * now. An unusable `reject` throws RejectFaultError and changes nothing.
   */
  setFaults(faults: Faults): void {
    this.jsd.setFaults(faults);
    this.log.info({ faults }, 'faults set');
  }

  /** Destroys every client connection, as a network failure would; clients' purge timers start. */
  dropConnections(): void {
    this.jsd.dropConnections();
  }

  /** Closes every connection and the listening socket. Pending purges are dropped with the emulator. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.netServer.close(() => resolve()));
    this.jsd.dropConnections();
    this.injector.destroy();
    this.grpcServer.forceShutdown();
    await closed;
    this.jsd.stop();
    this.log.info({ address: this.address }, 'JET emulator stopped');
  }

  private listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.netServer.once('error', onError);
      this.netServer.listen(port, host, () => {
        this.netServer.off('error', onError);
        this.netServer.on('error', (error) => this.log.error({ err: error }, 'listening socket failed'));
        this.boundPort = (this.netServer.address() as net.AddressInfo).port;
        const tlsMode = !this.opts.tls ? 'off' : this.opts.tls.requireClientCert ? 'mutual' : 'server';
        this.log.info(
          { address: this.address, dialects: this.opts.dialects ?? 'both', tls: tlsMode },
          'JET emulator listening',
        );
        resolve();
      });
    });
  }

  private accept(socket: net.Socket): void {
    // A reset from the client is an ordinary end of a connection, not an emulator failure.
    socket.on('error', (error) => this.log.debug({ err: error }, 'client socket error'));
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.stopping || socket.remoteAddress === undefined) {
      socket.destroy();
      return;
    }
    if (this.jsd.clients.connectionCount >= this.maxConnections) {
      const reason = `connection limit of ${this.maxConnections} reached`;
      this.log.warn({ peer }, `connection refused: ${reason}`);
      const event: ClientEvent = { type: 'refused', peer, reason };
      this.events.emit('client', event);
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const connection = this.jsd.connect(peer, () => socket.destroy());
    socket.once('close', () => this.jsd.disconnect(connection));
    this.injector.injectConnection(socket);
  }
}
