/**
 * An in-memory DeviceSession for pipeline tests: it records every request,
 * keeps the routes it accepted like a router would (so queries can be
 * checked), answers SUCCESS unless told otherwise for the next requests, and
 * can be told to be unavailable.
 */
import { BehaviorSubject, EMPTY, type Observable } from 'rxjs';
import { DeviceUnavailableError, type DeviceSession, type DeviceStatus } from '../../src/jet/device.js';
import {
  pathKeyString,
  type BgpPath,
  type MonitorEntry,
  type OperOutcome,
  type PathKey,
  type PathMatch,
  type RouteOperation,
} from '../../src/jet/model.js';

export interface RecordedRequest {
  op: RouteOperation;
  /** Update requests carry full paths; Remove requests carry what the bridge sent (paths used as keys). */
  paths: BgpPath[];
}

/** Decides the reply to one request; may wait or throw. */
export type Answer = (request: RecordedRequest) => OperOutcome | Promise<OperOutcome>;

/** Status numbers of the legacy dialect, enough for tests. */
export const JET_STATUS = { NEXTHOP_ADDRESS_INVALID: 12, ROUTE_NOT_FOUND: 18 } as const;

/** The reply of a request that stopped at path `completed` with `status`. */
export function stopAt(completed: number, status: keyof typeof JET_STATUS): Answer {
  return () => ({ status, code: JET_STATUS[status], completed });
}

/**
 * A reply the test releases by hand, to hold a request in flight; `then`
 * decides the reply (SUCCESS by default).
 */
export function gate(then?: Answer): { answer: Answer; release(): void; reached: Promise<void> } {
  let release!: () => void;
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    answer: async (request) => {
      reach();
      await released;
      return then ? then(request) : { status: 'SUCCESS', code: 0, completed: request.paths.length };
    },
    release,
    reached,
  };
}

export class FakeDevice implements DeviceSession {
  readonly dialect = 'legacy' as const;
  readonly requests: RecordedRequest[] = [];
  readonly queries: PathMatch[] = [];
  /** What the fake router holds, by `table|prefix/length|cookie`. */
  readonly routes = new Map<string, BgpPath>();
  readonly status$: Observable<DeviceStatus>;
  private readonly answers: Answer[] = [];
  private readonly hooks: Array<(rebound: boolean) => Promise<void>> = [];
  private available = true;

  constructor(readonly device: string) {
    this.status$ = new BehaviorSubject<DeviceStatus>({ state: 'ready', since: new Date() });
  }

  /** The next requests get these answers, in order; later ones get SUCCESS. */
  answerNext(...answers: Answer[]): void {
    this.answers.push(...answers);
  }

  /** Every request fails with DeviceUnavailableError until `available` is set again. */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  onInitialized(hook: (rebound: boolean) => Promise<void>): void {
    this.hooks.push(hook);
  }

  /** Runs the onInitialized hooks, as a session does after a successful Initialize. */
  async initialize(rebound = false): Promise<void> {
    for (const hook of this.hooks) await hook(rebound);
  }

  async oper(op: RouteOperation, items: readonly PathKey[] | readonly BgpPath[]): Promise<OperOutcome> {
    const request: RecordedRequest = { op, paths: [...items] as BgpPath[] };
    this.requests.push(request);
    if (!this.available) throw new DeviceUnavailableError(this.device, 'connection refused');
    const answer = this.answers.shift();
    const outcome = answer ? await answer(request) : { status: 'SUCCESS', code: 0, completed: request.paths.length };
    const applied = outcome.status === 'SUCCESS' ? request.paths.length : outcome.completed;
    for (const path of request.paths.slice(0, applied)) {
      if (op === 'remove') this.routes.delete(pathKeyString(path));
      else this.routes.set(pathKeyString(path), path);
    }
    return outcome;
  }

  async get(match: PathMatch): Promise<BgpPath[]> {
    this.queries.push(match);
    if (!this.available) throw new DeviceUnavailableError(this.device, 'connection refused');
    return [...this.routes.values()].filter(
      (p) =>
        (match.table === undefined || p.table === match.table) &&
        (match.prefix === undefined || p.prefix === match.prefix) &&
        (match.length === undefined || p.length === match.length),
    );
  }

  monitor(): Observable<MonitorEntry> {
    return EMPTY;
  }

  async opCommand(): Promise<string> {
    return '';
  }

  start(): void {}

  async stop(): Promise<void> {}
}
