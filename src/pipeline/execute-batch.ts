/**
 * Executing one batch of intents for one device, the last stage before JET:
 * `diffAgainstProgrammed` turns the intents into path operations (nothing at
 * all for an intent the device already has), the operations go out in JET
 * requests of at most 1000 paths (Update for adds and modifies, then Remove,
 * so a next-hop change adds the new path before it drops the old one), the
 * programmed paths follow what JET confirmed, and each intent is settled once
 * with the worst outcome among its paths.
 *
 * A batch holds each destination at most once, and the device's lane never
 * runs two batches with a destination in common (device-lane.ts), so the diff
 * against the programmed paths is never stale and an intent never overtakes
 * an earlier one for the same prefix.
 */
import type { Logger } from 'pino';
import { DeviceUnavailableError } from '../jet/device.js';
import type { BgpPath, Destination, OperOutcome } from '../jet/model.js';
import { BridgeCode, type IntentResult } from '../mqtt/results.js';
import { desiredPaths, diffIntent, isEmptyDiff } from '../state/diff.js';
import { samePath } from '../state/reconcile.js';
import type { DeviceContext, PipelineMetrics } from './context.js';
import type { DeviceLane } from './device-lane.js';
import { sendInJetRequests, type JetRequestHandlers } from './jet-requests.js';
import { pendingResult, type IntentWork } from './message-job.js';

type OpKind = 'add' | 'modify' | 'remove';

const ROUTE_NOT_FOUND = 'ROUTE_NOT_FOUND';

/** How one intent of the batch is doing; settled once, at the end of the batch. */
class IntentProgress {
  readonly result: IntentResult;
  /** Operations of this intent JET has not confirmed yet. */
  unconfirmed = 0;
  failed = false;
  /** Adds a destination the lane holds a reservation for, until its first path is confirmed. */
  reservesDestination = false;
  /** What the intent wants its destination to hold (null: nothing). */
  target: readonly BgpPath[] | null = null;
  /** A request with some of its paths went out, so the router may have done more than it confirmed. */
  sent = false;

  constructor(readonly work: IntentWork) {
    this.result = pendingResult(work.intent);
  }

  fail(status: string, error: string, jetStatus?: number): void {
    this.failed = true;
    this.result.status = status;
    this.result.error = error;
    if (jetStatus !== undefined) this.result.jetStatus = jetStatus;
  }
}

/** One path operation and the intent it serves. */
interface PathOp {
  readonly kind: OpKind;
  readonly path: BgpPath;
  readonly progress: IntentProgress;
}

export interface BatchPlan {
  readonly intents: IntentProgress[];
  /** Adds and modifies: both go out as Update, which creates or replaces. */
  readonly updates: PathOp[];
  readonly removes: PathOp[];
}

/**
 * The operations a batch needs against what is programmed now. Unchanged
 * intents are marked so and need none; an announce of a new destination past
 * the policy's route limit is refused (LIMIT_EXCEEDED) without reaching JET.
 * `reserved` counts the new destinations of batches still waiting for JET.
 */
export function diffAgainstProgrammed(batch: readonly IntentWork[], context: DeviceContext, reserved = 0): BatchPlan {
  const { programmed, policy } = context;
  const plan: BatchPlan = { intents: [], updates: [], removes: [] };
  let newDestinations = reserved;
  for (const work of batch) {
    const progress = new IntentProgress(work);
    plan.intents.push(progress);
    // The router's paths decide what to send; the record (which differs where the
    // destination is unreconciled) decides what a partial withdraw leaves.
    const current = programmed.get(work.intent);
    const record = context.unreconciled?.get(work.intent)?.desired ?? current;
    progress.target = desiredPaths(work.device, work.intent, record);
    const diff = diffIntent(current, progress.target);
    if (isEmptyDiff(diff)) {
      progress.result.unchanged = true;
      continue;
    }
    if (current === undefined && programmed.destinationCount + newDestinations >= policy.maxRoutes) {
      progress.fail(
        BridgeCode.LIMIT_EXCEEDED,
        `device ${work.device} already holds its limit of ${policy.maxRoutes} routes`,
      );
      continue;
    }
    if (current === undefined) {
      newDestinations += 1;
      progress.reservesDestination = true;
    }
    for (const path of diff.add) plan.updates.push({ kind: 'add', path, progress });
    for (const path of diff.modify) plan.updates.push({ kind: 'modify', path, progress });
    for (const path of diff.remove) plan.removes.push({ kind: 'remove', path, progress });
    progress.unconfirmed = diff.add.length + diff.modify.length + diff.remove.length;
  }
  return plan;
}

/**
 * Executes one batch of one device and settles every intent in it. Never
 * rejects. Run it through the device's lane, which it tells about the new
 * destinations it adds.
 */
export async function executeBatch(
  batch: readonly IntentWork[],
  lane: DeviceLane,
  logger: Logger,
  metrics?: PipelineMetrics,
): Promise<void> {
  const { device, context } = batch[0]!;
  let plan: BatchPlan;
  try {
    plan = diffAgainstProgrammed(batch, context, lane.reserved);
  } catch (error) {
    const reason = failureReason(error, device, logger);
    for (const work of batch)
      work.job.settle(work.index, {
        ...pendingResult(work.intent),
        status: BridgeCode.DEVICE_UNAVAILABLE,
        error: reason,
      });
    return;
  }
  lane.reserve(plan.intents.filter((p) => p.reservesDestination).length);
  // The durable store's commits of what JET confirmed; results wait for them.
  const recorded: Array<Promise<void>> = [];
  try {
    const { session } = context;
    await sendInJetRequests(
      plan.updates,
      (paths: BgpPath[]) => session.oper('update', paths),
      requestHandlers('update', context, lane, recorded, device, metrics),
    );
    await sendInJetRequests(
      plan.removes,
      (paths: BgpPath[]) => session.oper('remove', paths),
      requestHandlers('remove', context, lane, recorded, device, metrics),
    );
  } catch (error) {
    // What JET confirmed before the failure stays confirmed; the rest was not done.
    const reason = failureReason(error, device, logger);
    for (const progress of plan.intents) {
      if (!progress.failed && progress.unconfirmed > 0) progress.fail(BridgeCode.DEVICE_UNAVAILABLE, reason);
    }
  }
  // Destinations refused or left undone were never added.
  lane.release(plan.intents.filter((p) => p.reservesDestination).length);
  followRecords(plan, context, recorded, device);
  await awaitRecorded(recorded, device, logger);
  for (const { work, result } of plan.intents) work.job.settle(work.index, result);
}

/**
 * Keeps the unreconciled destinations true to the batch's answers. A
 * successful intent's target becomes its destination's record (what a
 * pending retry works towards, and the durable record), and the destination
 * is reconciled when the router holds it. A failed one leaves the record
 * with the changes it confirmed; when its request went unanswered (the
 * device became unavailable), the router may hold more than was confirmed,
 * so the destination is verified and put back to the record.
 */
function followRecords(plan: BatchPlan, context: DeviceContext, recorded: Array<Promise<void>>, device: string): void {
  const { unreconciled, programmed, store } = context;
  if (unreconciled === undefined) return;
  for (const progress of plan.intents) {
    const destination = destinationOf(progress);
    const entry = unreconciled.get(destination);
    if (progress.failed) {
      if (progress.sent && progress.unconfirmed > 0 && progress.result.status === BridgeCode.DEVICE_UNAVAILABLE) {
        unreconciled.note({
          destination,
          desired: entry?.desired ?? [...(programmed.get(destination) ?? [])],
          status: BridgeCode.DEVICE_UNAVAILABLE,
          paths: progress.unconfirmed,
          attempts: 0,
          dueAt: Date.now(),
        });
      }
      continue;
    }
    if (entry === undefined) continue;
    const target = progress.target ?? [];
    const dropped = entry.desired.filter((p) => !target.some((t) => t.cookie === p.cookie));
    if (store !== undefined) recorded.push(store.apply(device, target, dropped));
    entry.desired = target;
    if (samePaths(programmed.get(destination) ?? [], target)) unreconciled.resolve(destination);
  }
}

function destinationOf(progress: IntentProgress): Destination {
  const { table, prefix, length, flowspec } = progress.work.intent;
  return flowspec === undefined ? { table, prefix, length } : { table, prefix, length, flowspec };
}

/** The same paths, in any order. */
function samePaths(a: readonly BgpPath[], b: readonly BgpPath[]): boolean {
  return a.length === b.length && a.every((p) => b.some((q) => q.cookie === p.cookie && samePath(p, q)));
}

/**
 * Waits until the store has committed the batch's changes. A failed commit
 * changes no result: the router holds the routes, and the next start
 * reconciles with its view; it is logged, as the state file needs attention.
 */
async function awaitRecorded(recorded: Array<Promise<void>>, device: string, logger: Logger): Promise<void> {
  if (recorded.length === 0) return;
  for (const outcome of await Promise.allSettled(recorded)) {
    if (outcome.status === 'rejected') {
      logger.error({ device, err: outcome.reason as Error }, 'could not record programmed paths in the state file');
      return;
    }
  }
}

/** The error text for intents a failed request leaves undone; anything but an unavailable device is a bug worth a log line. */
function failureReason(error: unknown, device: string, logger: Logger): string {
  if (error instanceof DeviceUnavailableError) return error.message;
  logger.error({ device, err: error }, 'unexpected error while programming a batch');
  return `unexpected error: ${String(error)}`;
}

function requestHandlers(
  request: 'update' | 'remove',
  context: DeviceContext,
  lane: DeviceLane,
  recorded: Array<Promise<void>>,
  device: string,
  metrics: PipelineMetrics | undefined,
): JetRequestHandlers<PathOp, BgpPath> {
  const { programmed, store, unreconciled } = context;
  const confirm = ({ kind, path, progress }: PathOp): void => {
    unreconciled?.confirmed(kind === 'remove' ? 'remove' : 'update', path);
    if (kind === 'remove') {
      programmed.remove(path);
      progress.result.removed += 1;
    } else {
      programmed.apply(path);
      if (progress.reservesDestination) {
        progress.reservesDestination = false;
        lane.release(1);
      }
      if (kind === 'add') progress.result.added += 1;
      else progress.result.modified += 1;
    }
    progress.unconfirmed -= 1;
  };
  return {
    pathOf: (op) => {
      // Called as the op joins a request: from here on the router may have done it.
      op.progress.sent = true;
      return op.path;
    },
    // The rest of a failed intent is not sent: half of a refused intent is not worth programming.
    skip: (op) => op.progress.failed,
    confirmed(ops) {
      for (const op of ops) confirm(op);
      if (store !== undefined) {
        const paths = ops.map((op) => op.path);
        recorded.push(store.apply(device, request === 'update' ? paths : [], request === 'remove' ? paths : []));
      }
    },
    refused(op, outcome: OperOutcome) {
      // A path the router no longer has (purged, removed by hand) is what a remove wants:
      // forgetting it keeps the programmed state true, and later withdraws from failing forever.
      if (op.kind === 'remove' && outcome.status === ROUTE_NOT_FOUND) {
        confirm(op);
        if (store !== undefined) recorded.push(store.apply(device, [], [op.path]));
        return;
      }
      const via = op.path.nextHops.length > 0 ? ` via ${op.path.nextHops.join(', ')}` : '';
      op.progress.fail(outcome.status, `the router refused to ${op.kind} the path${via}`, outcome.code);
    },
    requested(size, ms) {
      metrics?.jetRequest(device, request, size, ms);
    },
  };
}
