/**
 * The contract between the bridge and one router: what the pipeline, the event
 * relay and the reconciler may ask of a device session. The session behind it
 * (src/jet/session.ts) hides the dialect, the channel, login, Initialize,
 * reconnects and retries.
 */
import type { Observable } from 'rxjs';
import type {
  BgpPath,
  DialectName,
  MonitorEntry,
  OpCommandFormat,
  OperOutcome,
  PathKey,
  PathMatch,
  RouteOperation,
} from './model.js';

export type DeviceState = 'connecting' | 'ready' | 'rebound' | 'down';

export interface DeviceStatus {
  state: DeviceState;
  since: Date;
  error?: string;
}

/** Thrown when a device stays unreachable past its retry budget. */
export class DeviceUnavailableError extends Error {
  override readonly name = 'DeviceUnavailableError';
  constructor(
    readonly device: string,
    reason: string,
  ) {
    super(`device ${device} unavailable: ${reason}`);
  }
}

export interface DeviceSession {
  readonly device: string;
  readonly dialect: DialectName;
  /** Current status first, then every change. */
  readonly status$: Observable<DeviceStatus>;
  /**
   * Runs after every successful Initialize and before queued work resumes.
   * `rebound` is true when the router kept this client's routes
   * (SUCCESS_STATE_REBOUND); false means they are gone and must be restored.
   * Requests the hook makes on this session go straight to the new connection
   * instead of queueing behind the "ready" the hook is holding back. A hook that
   * throws fails the attempt: the session reconnects and runs it again.
   */
  onInitialized(hook: (rebound: boolean) => Promise<void>): void;
  /**
   * One Add/Modify/Update/Remove request of 1..1000 items. Transport failures and
   * retryable statuses are retried with backoff; DeviceUnavailableError after the
   * budget. Any other JET status is returned, not thrown.
   */
  oper(op: 'remove', keys: PathKey[]): Promise<OperOutcome>;
  oper(op: Exclude<RouteOperation, 'remove'>, paths: BgpPath[]): Promise<OperOutcome>;
  /** Programmed routes matching `match`, gathered from the Get stream. */
  get(match: PathMatch): Promise<BgpPath[]>;
  /**
   * Peer-learned routes: the full set, end-of-rib, then changes; again after every
   * reconnect. While `flow.paused$` is true the stream stops reading from the
   * router, so a consumer that cannot keep up bounds what it holds.
   */
  monitor(flow?: { readonly paused$: Observable<boolean> }): Observable<MonitorEntry>;
  opCommand(command: string, format: OpCommandFormat): Promise<string>;
  start(): void;
  /** Closes the channel; with `cleanup` the router withdraws this client's routes first. */
  stop(opts?: { cleanup?: boolean }): Promise<void>;
}
