/**
 * A device session: one router kept connected. It logs in, initializes,
 * runs the onInitialized hooks, serves route requests, and when the
 * connection is lost it reconnects with backoff and replays what failed.
 * The dialect stays behind JetRpc (src/jet/client).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { BehaviorSubject, concat, EMPTY, type Observable, retry, switchMap, throwError, timer } from 'rxjs';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import {
  channelCredentials,
  createJetRpc,
  JetStatusError,
  type JetChannelOptions,
  type JetRpc,
  type JetTlsOptions,
  type KeepaliveOptions,
  type OperRequest,
} from './client/index.js';
import { DeviceUnavailableError, type DeviceSession, type DeviceState, type DeviceStatus } from './device.js';
import {
  RETRYABLE_STATUSES,
  type BgpPath,
  type DialectName,
  type MonitorEntry,
  type OpCommandFormat,
  type OperOutcome,
  type PathKey,
  type PathMatch,
  type RouteOperation,
} from './model.js';

/** A password that only yields its text on purpose (`.value`). */
export interface SecretValue {
  readonly value: string;
}

export interface RetryOptions extends BackoffOptions {
  /** Attempts at a request the router answers with a retryable status, the first included. */
  maxAttempts: number;
}

export interface JetDeviceSessionOptions {
  device: string;
  /** `host:port` of the router's JET server. */
  address: string;
  dialect: DialectName;
  username: string;
  password: SecretValue;
  clientId: string;
  tls?: JetTlsOptions;
  keepalive?: KeepaliveOptions;
  /** Deadline of each call. */
  rpcTimeoutMs: number;
  retry: RetryOptions;
  /** How long a request may wait for an unreachable device before DeviceUnavailableError. */
  unavailableBudgetMs: number;
  /** Requests allowed to wait while the device is down; more fail at once. */
  maxQueued?: number;
  /**
   * Asked before every request to the router (login and Initialize included): a
   * reason means this process must not talk to the device now (in a fleet, it does
   * not hold the device's lease), and the request fails with FencedError unsent.
   */
  fence?: () => string | undefined;
  logger: Logger;
}

/** A request not sent because this process may not talk to the device (see `fence`). */
export class FencedError extends DeviceUnavailableError {
  constructor(device: string, reason: string) {
    super(device, `fenced: ${reason}`);
  }
}

const DEFAULT_MAX_QUEUED = 1000;

/** gRPC codes after which the connection (and its login) cannot be trusted. */
const CONNECTION_LOST_CODES: ReadonlySet<number> = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.UNAUTHENTICATED,
]);

/**
 * The connection an onInitialized hook runs against. Calls a hook makes go
 * straight to it: they must not queue behind the "ready" they are preparing.
 */
const hookConnection = new AsyncLocalStorage<JetRpc>();

class LoginRejectedError extends Error {
  constructor(user: string, reason: string | undefined) {
    super(`login rejected for user ${user}${reason ? ` (${reason})` : ''}`);
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** What to do after one attempt at a request. */
type Verdict = 'done' | 'retry-later' | 'reconnect';

interface Waiter {
  resolve(rpc: JetRpc): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && 'code' in err && 'details' in err && 'metadata' in err;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

function assertPositive(field: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`JetDeviceSession: ${field} must be a positive number, got ${value}`);
}

export class JetDeviceSession implements DeviceSession {
  readonly device: string;
  readonly dialect: DialectName;
  readonly status$: Observable<DeviceStatus>;

  private readonly statusSubject = new BehaviorSubject<DeviceStatus>({
    state: 'down',
    since: new Date(),
    error: 'not started',
  });
  /** The serving connection, or undefined while (re)connecting: monitor streams follow it. */
  private readonly connection$ = new BehaviorSubject<JetRpc | undefined>(undefined);
  private readonly channel: JetChannelOptions;
  private readonly log: Logger;
  private readonly hooks: Array<(rebound: boolean) => Promise<void>> = [];
  private readonly waiting: Waiter[] = [];
  private readonly stopping = new AbortController();
  private current: JetRpc | undefined;
  private establishing: JetRpc | undefined;
  private lastError: string | undefined;
  private started = false;

  constructor(private readonly options: JetDeviceSessionOptions) {
    assertPositive('rpcTimeoutMs', options.rpcTimeoutMs);
    assertPositive('unavailableBudgetMs', options.unavailableBudgetMs);
    assertPositive('retry.initialMs', options.retry.initialMs);
    assertPositive('retry.maxMs', options.retry.maxMs);
    assertPositive('retry.maxAttempts', options.retry.maxAttempts);
    this.device = options.device;
    this.dialect = options.dialect;
    this.status$ = this.statusSubject.asObservable();
    this.log = options.logger.child({ device: options.device, dialect: options.dialect });
    this.channel = { address: options.address, credentials: channelCredentials(options.tls) };
    if (options.tls?.serverName !== undefined) this.channel.serverName = options.tls.serverName;
    if (options.keepalive) this.channel.keepalive = options.keepalive;
  }

  onInitialized(hook: (rebound: boolean) => Promise<void>): void {
    this.hooks.push(hook);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.setStatus('connecting');
    void this.keepConnecting();
  }

  async stop(opts: { cleanup?: boolean } = {}): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    const rpc = this.current;
    this.current = undefined;
    this.establishing?.close();
    for (const waiter of this.waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(this.unavailable('session stopped'));
    }
    this.connection$.next(undefined);
    this.connection$.complete();
    if (opts.cleanup) await this.cleanup(rpc);
    rpc?.close();
    this.setStatus('down', 'stopped');
    this.statusSubject.complete();
  }

  oper(op: 'remove', keys: PathKey[]): Promise<OperOutcome>;
  oper(op: Exclude<RouteOperation, 'remove'>, paths: BgpPath[]): Promise<OperOutcome>;
  oper(op: RouteOperation, items: PathKey[] | BgpPath[]): Promise<OperOutcome> {
    // The overloads pair 'remove' with keys and the other operations with paths.
    const request = (op === 'remove' ? { op, keys: items } : { op, paths: items }) as OperRequest;
    return this.execute(
      (rpc, deadline) => rpc.oper(request, deadline),
      (outcome) => outcome.status,
    );
  }

  get(match: PathMatch): Promise<BgpPath[]> {
    return this.execute(async (rpc, deadline) => {
      const paths: BgpPath[] = [];
      for await (const batch of rpc.get(match, 0, deadline)) paths.push(...batch);
      return paths;
    });
  }

  opCommand(command: string, format: OpCommandFormat): Promise<string> {
    return this.execute((rpc, deadline) => rpc.opCommand(command, format, deadline));
  }

  monitor(flow?: { readonly paused$: Observable<boolean> }): Observable<MonitorEntry> {
    return this.connection$.pipe(switchMap((rpc) => (rpc ? this.monitorOn(rpc, flow?.paused$) : EMPTY)));
  }

  /** The monitor stream of one connection, reopened with backoff when it fails or ends. */
  private monitorOn(rpc: JetRpc, paused$: Observable<boolean> | undefined): Observable<MonitorEntry> {
    const ended = throwError(() => new Error('monitor stream ended'));
    return concat(rpc.monitor(paused$), ended).pipe(
      retry({
        resetOnSuccess: true,
        delay: (err: unknown, count: number) => {
          const reason = errorText(err);
          this.log.warn({ err: reason }, 'JET monitor stream failed; reopening');
          if (isServiceError(err) && CONNECTION_LOST_CODES.has(err.code)) this.connectionLost(rpc, reason);
          return timer(backoffDelay(count - 1, this.options.retry));
        },
      }),
    );
  }

  /**
   * Runs one request: waits for the device (within the budget), retries after a
   * reconnect when the connection failed under it, and retries retryable JET
   * statuses with backoff up to retry.maxAttempts before returning them as-is.
   */
  private async execute<T>(
    call: (rpc: JetRpc, deadline: Date) => Promise<T>,
    statusOf: (value: T) => string | undefined = () => undefined,
  ): Promise<T> {
    const giveUpAt = Date.now() + this.options.unavailableBudgetMs;
    const hookRpc = hookConnection.getStore();
    const viaHook = hookRpc !== undefined && hookRpc === this.establishing ? hookRpc : undefined;
    for (let attempts = 1; ; ) {
      const rpc = viaHook ?? (await this.connected(giveUpAt));
      this.checkFence();
      const outcome = await settle(call(rpc, this.deadline()));
      const verdict = this.judge(rpc, outcome, statusOf);
      if (verdict === 'reconnect' && !viaHook) {
        this.connectionLost(rpc, outcome.ok ? `answered ${statusOf(outcome.value)}` : errorText(outcome.error));
        if (Date.now() >= giveUpAt) throw this.unavailable();
        continue;
      }
      if (verdict === 'retry-later' && attempts < this.options.retry.maxAttempts) {
        await this.pause(backoffDelay(attempts - 1, this.options.retry));
        attempts += 1;
        continue;
      }
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    }
  }

  private judge<T>(rpc: JetRpc, outcome: Settled<T>, statusOf: (value: T) => string | undefined): Verdict {
    if (!outcome.ok && isServiceError(outcome.error)) {
      const code = outcome.error.code;
      // CANCELLED on a connection we already closed: the request never got its answer.
      const closedUnder = code === GrpcStatus.CANCELLED && rpc !== this.current;
      return CONNECTION_LOST_CODES.has(code) || closedUnder ? 'reconnect' : 'done';
    }
    // grpc-js refuses a call on a channel already shut down (a plain Error): it never
    // left, so it is a lost connection, not an answer.
    if (!outcome.ok && !(outcome.error instanceof JetStatusError) && rpc !== this.current && rpc !== this.establishing)
      return 'reconnect';
    const status = outcome.ok
      ? statusOf(outcome.value)
      : outcome.error instanceof JetStatusError
        ? outcome.error.status
        : undefined;
    // The router forgot this connection's Initialize: set the session up again.
    if (status === 'NOT_INITIALIZED') return 'reconnect';
    return status !== undefined && RETRYABLE_STATUSES.has(status) ? 'retry-later' : 'done';
  }

  /** The serving connection, waiting in line (FIFO) while the device is down. */
  private connected(giveUpAt: number): Promise<JetRpc> {
    if (this.current) return Promise.resolve(this.current);
    if (this.stopping.signal.aborted) return Promise.reject(this.unavailable('session stopped'));
    if (this.waiting.length >= (this.options.maxQueued ?? DEFAULT_MAX_QUEUED)) {
      return Promise.reject(this.unavailable(`${this.waiting.length} requests already waiting`));
    }
    const waitMs = giveUpAt - Date.now();
    if (waitMs <= 0) return Promise.reject(this.unavailable());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          reject(this.unavailable());
        }, waitMs),
      };
      this.waiting.push(waiter);
    });
  }

  /** Connects until it succeeds or the session stops; login rejections retry at the slowest pace. */
  private async keepConnecting(): Promise<void> {
    for (let attempt = 0; !this.stopping.signal.aborted; attempt++) {
      try {
        await this.establish();
        return;
      } catch (err) {
        if (this.stopping.signal.aborted) return;
        const reason = this.redact(errorText(err));
        this.lastError = reason;
        this.setStatus('down', reason);
        const delay =
          err instanceof LoginRejectedError ? this.options.retry.maxMs : backoffDelay(attempt, this.options.retry);
        this.log.warn({ err: reason, retryInMs: delay }, 'JET session setup failed');
        try {
          await sleep(delay, undefined, { signal: this.stopping.signal });
        } catch {
          return;
        }
      }
    }
  }

  /** One connection attempt: login, Initialize, hooks, then serve. */
  private async establish(): Promise<void> {
    const rpc = createJetRpc(this.dialect, this.channel);
    this.establishing = rpc;
    try {
      const { username, password, clientId } = this.options;
      this.checkFence();
      const login = await rpc.login(username, password.value, clientId, this.deadline());
      if (!login.ok) throw new LoginRejectedError(username, login.message);
      this.checkFence();
      const init = await rpc.initialize(this.deadline());
      if (!init.ok) throw new Error(`Initialize answered ${init.status}`);
      await this.runHooks(rpc, init.rebound);
      if (this.stopping.signal.aborted) throw new Error('session stopped');
      this.serve(rpc, init.rebound);
    } catch (err) {
      rpc.close();
      throw err;
    } finally {
      this.establishing = undefined;
    }
  }

  private async runHooks(rpc: JetRpc, rebound: boolean): Promise<void> {
    for (const hook of this.hooks) {
      try {
        await hookConnection.run(rpc, () => hook(rebound));
      } catch (err) {
        throw new Error(`onInitialized hook failed: ${errorText(err)}`, { cause: err });
      }
    }
  }

  private serve(rpc: JetRpc, rebound: boolean): void {
    this.current = rpc;
    this.lastError = undefined;
    this.setStatus(rebound ? 'rebound' : 'ready');
    void rpc.disconnected().then((state) => this.connectionLost(rpc, `channel ${state}`));
    this.connection$.next(rpc);
    for (const waiter of this.waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(rpc);
    }
  }

  /** Drops a failed serving connection and starts reconnecting; later reports of the same loss are ignored. */
  private connectionLost(rpc: JetRpc, reason: string): void {
    if (rpc !== this.current || this.stopping.signal.aborted) return;
    this.current = undefined;
    this.lastError = this.redact(reason);
    this.connection$.next(undefined);
    rpc.close();
    this.log.warn({ err: this.lastError }, 'JET connection lost; reconnecting');
    this.setStatus('connecting', this.lastError);
    void this.keepConnecting();
  }

  private async cleanup(rpc: JetRpc | undefined): Promise<void> {
    if (!rpc) {
      this.log.warn('not connected: routes left to the router purge timer instead of Cleanup');
      return;
    }
    try {
      await rpc.cleanup(this.deadline());
    } catch (err) {
      this.log.warn({ err: errorText(err) }, 'JET Cleanup failed');
    }
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.stopping.signal });
    } catch {
      throw this.unavailable('session stopped');
    }
  }

  private checkFence(): void {
    const reason = this.options.fence?.();
    if (reason !== undefined) throw new FencedError(this.options.device, reason);
  }

  private deadline(): Date {
    return new Date(Date.now() + this.options.rpcTimeoutMs);
  }

  private unavailable(reason = this.lastError ?? 'not connected'): DeviceUnavailableError {
    return new DeviceUnavailableError(this.device, reason);
  }

  /** Keeps the password out of status text and errors, whatever the router echoed. */
  private redact(text: string): string {
    const secret = this.options.password.value;
    return secret ? text.split(secret).join('***') : text;
  }

  private setStatus(state: DeviceState, error?: string): void {
    const now = this.statusSubject.value;
    if (now.state === state && now.error === error) return;
    const status: DeviceStatus = { state, since: new Date() };
    if (error !== undefined) status.error = error;
    this.log.info({ state, err: error }, 'JET device status');
    this.statusSubject.next(status);
  }
}
