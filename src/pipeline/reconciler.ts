/**
 * The reconciler of one device: makes the router hold what the bridge's
 * durable record says, and says which destinations it could not.
 *
 * At every Initialize that lost the routes (and at the first one), it reads
 * the router (Get), plans against the programmed paths (a pure function,
 * src/state/reconcile.ts) and sends the plan the pipeline's way: requests of
 * at most 1000 paths through `sendInJetRequests`, so `operations_completed`
 * is honoured and every refused path is known, updates before removes (make
 * before break). A refused path is not counted as programmed: the programmed
 * paths keep the router's version, and the destination becomes unreconciled
 * (src/state/unreconciled.ts): logged with its JET status, counted on the
 * device's state topic and in a metric, and retried with capped backoff.
 *
 * A retry runs in the device's lane (device-lane.ts), like a batch of
 * intents, so no intent for the destination is between its diff and its
 * reply meanwhile; it reads the destination again (Get), so the programmed
 * paths follow the router's own view, and sends what still differs. An
 * intent for the destination changes the record the retry works towards,
 * so a retry never undoes it.
 *
 * Reconciling at Initialize runs inside the session's hook, before any
 * queued request reaches the new connection, and leaves destinations that
 * are already unreconciled to their retries: their record may be changing
 * under intents that wait in the lane, which the hook cannot wait for.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import { backoffDelay, type BackoffOptions } from '../jet/backoff.js';
import type { DeviceSession } from '../jet/device.js';
import { type BgpPath, type Destination, destinationKey, type OperOutcome, pathKeyString } from '../jet/model.js';
import type { ProgrammedPaths } from '../state/programmed.js';
import { planReconcile, type ReconcilePlan, samePath } from '../state/reconcile.js';
import type { UnreconciledDestination, UnreconciledPaths } from '../state/unreconciled.js';
import type { PipelineMetrics } from './context.js';
import type { DeviceLane } from './device-lane.js';
import { sendInJetRequests } from './jet-requests.js';

const ROUTE_NOT_FOUND = 'ROUTE_NOT_FOUND';
/** Destinations retried together: one lane slot and a few JET requests. */
const RETRY_GROUP = 100;
/** Refused paths logged one by one per pass; the rest are counted in the summary. */
const LOGGED_REFUSALS = 20;

export interface ReconcilerOptions {
  session: DeviceSession;
  programmed: ProgrammedPaths;
  unreconciled: UnreconciledPaths;
  /** Whether a path on the router is this bridge's (only those are ever removed). */
  owned(path: BgpPath): boolean;
  /** The device's lane, which retries share with the pipeline's batches. */
  lane(): DeviceLane;
  /** Delays between retries of one destination. */
  backoff: BackoffOptions;
  logger: Logger;
  metrics?: Pick<PipelineMetrics, 'jetRequest'>;
}

/** What one reconcile at Initialize did. */
export interface ReconcileSummary {
  added: number;
  updated: number;
  removed: number;
  /** Paths the router refused: their destinations are unreconciled now. */
  refused: number;
  /** Destinations left unreconciled after this pass (older ones included). */
  unreconciled: number;
}

/** One path operation of a plan. */
interface PlannedOp {
  readonly kind: 'update' | 'remove';
  readonly path: BgpPath;
}

/** The refusals of one pass, per destination. */
interface Refusal {
  readonly destination: Destination;
  status: string;
  code: number;
  paths: number;
}

export class Reconciler {
  private readonly device: string;
  private readonly log: Logger;
  /** Counts the reconciles at Initialize: a retry that spanned one proves nothing. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private retrying = false;
  private stopped = false;
  /**
   * Whether the router may lack routes the record holds: at the first
   * Initialize, after a fresh one, and until a reconcile has finished (a
   * reconcile that failed halfway is still owed at the next Initialize, even
   * a rebound one, which only says the router kept what it had since).
   */
  private owed = true;
  /**
   * Runs a function in the context the reconciler was made in: retries must
   * not inherit the Initialize hook's, whose requests bypass the session's queue.
   */
  private readonly outsideHook = AsyncLocalStorage.snapshot();

  constructor(private readonly options: ReconcilerOptions) {
    this.device = options.session.device;
    this.log = options.logger.child({ device: this.device });
    options.session.onInitialized((rebound) => this.onInitialized(rebound));
    options.unreconciled.count$.subscribe(() => this.schedule());
  }

  /** Stops retrying; a retry in flight finishes. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** A rebound session kept its routes: it reconciles only when a reconcile is owed. */
  private async onInitialized(rebound: boolean): Promise<void> {
    if (!rebound) this.owed = true;
    if (!this.owed) {
      this.retryAllSoon();
      return;
    }
    const summary = await this.reconcileAll();
    this.owed = false;
    this.log.info({ ...summary }, 'reconciled the router with the durable state');
  }

  /**
   * Reconciles every destination that is not unreconciled already, then has
   * those retried at once (the router may have lost them too).
   */
  async reconcileAll(): Promise<ReconcileSummary> {
    const { session, programmed, unreconciled, owned } = this.options;
    this.generation += 1;
    const pending = new Set(unreconciled.all().map((e) => destinationKey(e.destination)));
    const settled = (p: BgpPath) => !pending.has(destinationKey(p));
    const desired = [...programmed.allPaths()].filter(settled);
    const actual = (await session.get({})).filter(settled);
    const plan = planReconcile(desired, actual, owned);
    const onRouter = new Map(actual.map((p) => [pathKeyString(p), p]));
    // The record of a destination, taken before its first refusal changes the programmed paths.
    const records = new Map<string, BgpPath[]>();
    const refusals = await this.send(
      plan,
      onRouter,
      (op) => {
        const key = destinationKey(op.path);
        if (!records.has(key)) records.set(key, [...(programmed.get(op.path) ?? [])]);
        const there = onRouter.get(pathKeyString(op.path));
        if (there === undefined) programmed.remove(op.path);
        else programmed.apply(there);
      },
      'warn',
    );
    const now = Date.now();
    for (const [key, refusal] of refusals) {
      unreconciled.note({
        destination: refusal.destination,
        desired: records.get(key) ?? [],
        status: refusal.status,
        paths: refusal.paths,
        attempts: 0,
        dueAt: now + backoffDelay(0, this.options.backoff),
      });
    }
    this.logRefusals(refusals, 'the router refused a path while reconciling; will retry');
    this.retryAllSoon(pending);
    const refused = [...refusals.values()].reduce((n, r) => n + r.paths, 0);
    return {
      added: plan.add.length,
      updated: plan.update.length,
      removed: plan.remove.length,
      refused,
      unreconciled: unreconciled.size,
    };
  }

  /**
   * Sends a plan, updates before removes, keeping the programmed paths in
   * step with what JET confirms; `onRefused` sees each refused operation.
   * A remove of a path the router no longer has counts as done.
   */
  private async send(
    plan: ReconcilePlan,
    onRouter: ReadonlyMap<string, BgpPath>,
    onRefused: (op: PlannedOp) => void,
    level: 'warn' | 'debug',
  ): Promise<Map<string, Refusal>> {
    const { session, programmed, metrics } = this.options;
    const refusals = new Map<string, Refusal>();
    const confirm = (op: PlannedOp) => {
      if (op.kind === 'update') programmed.apply(op.path);
      else programmed.remove(op.path);
    };
    const handlers = (request: 'update' | 'remove') => ({
      pathOf: (op: PlannedOp) => op.path,
      confirmed: (ops: readonly PlannedOp[]) => ops.forEach(confirm),
      refused: (op: PlannedOp, outcome: OperOutcome) => {
        if (op.kind === 'remove' && outcome.status === ROUTE_NOT_FOUND) return confirm(op);
        onRefused(op);
        const key = destinationKey(op.path);
        const refusal = refusals.get(key) ?? { destination: destinationOf(op.path), status: '', code: 0, paths: 0 };
        refusal.status = outcome.status;
        refusal.code = outcome.code;
        refusal.paths += 1;
        refusals.set(key, refusal);
        this.refusalLogged(op, outcome, level);
      },
      requested: (size: number, ms: number) => metrics?.jetRequest(this.device, request, size, ms),
    });
    const updates = [...plan.add, ...plan.update].map((path): PlannedOp => ({ kind: 'update', path }));
    // A remove needs only the key; the router's own path is what a refusal leaves programmed.
    const removes = plan.remove.flatMap((key): PlannedOp[] => {
      const path = onRouter.get(pathKeyString(key));
      return path === undefined ? [] : [{ kind: 'remove', path }];
    });
    this.loggedThisPass = 0;
    await sendInJetRequests(updates, (paths: BgpPath[]) => session.oper('update', paths), handlers('update'));
    await sendInJetRequests(removes, (paths: BgpPath[]) => session.oper('remove', paths), handlers('remove'));
    return refusals;
  }

  private loggedThisPass = 0;

  private refusalLogged(op: PlannedOp, outcome: OperOutcome, level: 'warn' | 'debug'): void {
    if (this.loggedThisPass++ >= LOGGED_REFUSALS) return;
    const { table, prefix, length, cookie } = op.path;
    this.log[level](
      {
        table,
        prefix: `${prefix}/${length}`,
        cookie: cookie.toString(),
        op: op.kind,
        status: outcome.status,
        jetStatus: outcome.code,
      },
      `the router refused to ${op.kind} ${prefix}/${length}: ${outcome.status}`,
    );
  }

  private logRefusals(refusals: ReadonlyMap<string, Refusal>, message: string): void {
    if (refusals.size === 0) return;
    const paths = [...refusals.values()].reduce((n, r) => n + r.paths, 0);
    this.log.warn({ destinations: refusals.size, paths, unreconciled: this.options.unreconciled.count }, message);
  }

  /** Makes the entries due now (all, or those in `only`). */
  private retryAllSoon(only?: ReadonlySet<string>): void {
    const now = Date.now();
    for (const entry of this.options.unreconciled.all()) {
      if (only === undefined || only.has(destinationKey(entry.destination))) entry.dueAt = now;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.retrying) return;
    clearTimeout(this.timer);
    const next = this.options.unreconciled.nextDue();
    if (next === undefined) return;
    this.timer = setTimeout(() => this.outsideHook(() => void this.retryDue()), Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private async retryDue(): Promise<void> {
    this.retrying = true;
    try {
      for (;;) {
        if (this.stopped) return;
        const due = this.options.unreconciled.due(Date.now(), RETRY_GROUP);
        if (due.length === 0) return;
        await this.retry(due);
      }
    } finally {
      this.retrying = false;
      this.schedule();
    }
  }

  /** One retry of a group of destinations, in the lane. */
  private async retry(entries: UnreconciledDestination[]): Promise<void> {
    const generation = this.generation;
    const keys = entries.map((e) => destinationKey(e.destination));
    try {
      await this.options.lane().run(keys, () => this.retryInLane(entries, generation));
    } catch (error) {
      this.log.debug({ err: (error as Error).message }, 'retrying unreconciled destinations failed; backing off');
      for (const entry of entries) this.backOff(entry, entry.status, entry.paths);
    }
  }

  private async retryInLane(entries: readonly UnreconciledDestination[], generation: number): Promise<void> {
    const { session, unreconciled, owned } = this.options;
    const live = entries.filter((e) => unreconciled.get(e.destination) === e);
    const plan: ReconcilePlan = { add: [], update: [], remove: [] };
    const onRouter = new Map<string, BgpPath>();
    const planned = new Map<UnreconciledDestination, number>();
    for (const entry of live) {
      const actual = (await session.get(entry.destination)).filter(owned);
      this.followRouter(entry.destination, actual);
      for (const p of actual) onRouter.set(pathKeyString(p), p);
      const part = planReconcile(entry.desired, actual, owned);
      plan.add.push(...part.add);
      plan.update.push(...part.update);
      plan.remove.push(...part.remove);
      planned.set(entry, part.add.length + part.update.length + part.remove.length);
    }
    // The programmed paths already hold the router's view: a refusal changes nothing there.
    const refusals = await this.send(plan, onRouter, () => undefined, 'debug');
    for (const entry of live) {
      const refusal = refusals.get(destinationKey(entry.destination));
      if (refusal === undefined && generation === this.generation) {
        unreconciled.resolve(entry.destination);
        const { table, prefix, length } = entry.destination;
        this.log.info(
          { table, prefix: `${prefix}/${length}`, attempts: entry.attempts + 1 },
          'reconciled after a retry',
        );
      } else {
        this.backOff(entry, refusal?.status ?? entry.status, refusal?.paths ?? planned.get(entry) ?? entry.paths);
      }
    }
  }

  /** Makes the programmed paths of a destination what the router holds of ours. */
  private followRouter(destination: Destination, actual: readonly BgpPath[]): void {
    const { programmed } = this.options;
    for (const path of programmed.get(destination) ?? []) {
      if (!actual.some((p) => p.cookie === path.cookie)) programmed.remove(path);
    }
    for (const path of actual) {
      const known = programmed.get(destination)?.find((p) => p.cookie === path.cookie);
      if (known === undefined || !samePath(known, path)) programmed.apply(path);
    }
  }

  private backOff(entry: UnreconciledDestination, status: string, paths: number): void {
    if (this.options.unreconciled.get(entry.destination) !== entry) return;
    entry.attempts += 1;
    entry.status = status;
    entry.dueAt = Date.now() + backoffDelay(entry.attempts, this.options.backoff);
    this.options.unreconciled.setPaths(entry, Math.max(paths, 1));
  }
}

function destinationOf(path: BgpPath): Destination {
  const { table, prefix, length, flowspec } = path;
  return flowspec === undefined ? { table, prefix, length } : { table, prefix, length, flowspec };
}
