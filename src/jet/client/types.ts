/**
 * The dialect-neutral face of one JET connection: the calls a device session
 * makes, in the neutral route model. One implementation per dialect
 * (legacy.ts, jnx.ts); nothing above this folder knows which one it holds.
 */
import type { Observable } from 'rxjs';
import type {
  BgpPath,
  DialectName,
  InitializeOutcome,
  MonitorEntry,
  OpCommandFormat,
  OperOutcome,
  PathKey,
  PathMatch,
  RouteOperation,
} from '../model.js';
import type { WirePath } from '../codec/index.js';

export interface LoginOutcome {
  ok: boolean;
  /** The router's reason when the login was refused. */
  message?: string;
}

/** One Add/Modify/Update request carries paths; a Remove carries only their keys. */
export type OperRequest =
  | { op: Exclude<RouteOperation, 'remove'>; paths: readonly BgpPath[] }
  | { op: 'remove'; keys: readonly PathKey[] };

/**
 * A JET reply whose status says the call failed (other than route operations,
 * whose status is returned as an OperOutcome). `status` is the dialect's enum name.
 */
export class JetStatusError extends Error {
  override readonly name = 'JetStatusError';
  constructor(
    readonly rpc: string,
    readonly status: string,
    readonly code: number,
    detail?: string,
  ) {
    super(`${rpc} answered ${status}${detail ? `: ${detail}` : ''}`);
  }
}

export interface JetRpc {
  readonly dialect: DialectName;
  /** Authenticates the connection and names the routing state it owns (`clientId`). */
  login(user: string, password: string, clientId: string, deadline: Date): Promise<LoginOutcome>;
  initialize(deadline: Date): Promise<InitializeOutcome>;
  /** Withdraws every route this client id programmed; JetStatusError when refused. */
  cleanup(deadline: Date): Promise<void>;
  oper(request: OperRequest, deadline: Date): Promise<OperOutcome>;
  /**
   * Programmed routes matching `match`, one array per streamed reply. `routeCount`
   * 0 lets the router pick the batch size. JetStatusError on a failure status.
   */
  get(match: PathMatch, routeCount: number, deadline: Date): AsyncIterable<BgpPath[]>;
  /**
   * Opens the Monitor/Subscribe stream on subscribe; unsubscribing cancels it.
   * While `paused$` is true the call stops reading replies (HTTP/2 flow control
   * then holds the router back).
   */
  monitor(paused$?: Observable<boolean>): Observable<MonitorEntry>;
  /** Output of an operational command, its streamed parts concatenated. */
  opCommand(command: string, format: OpCommandFormat, deadline: Date): Promise<string>;
  /** Resolves with the connectivity state's name once the channel leaves READY. */
  disconnected(): Promise<string>;
  close(): void;
}

/** The neutral path of a decoded wire path (drops the codec's address-family tag). */
export function bgpPathOf(wire: WirePath): BgpPath {
  const { family: _family, ...path } = wire;
  return path;
}
