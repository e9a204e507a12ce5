/**
 * Executing one batch of intents for one device, the last stage before JET:
 * `diffAgainstProgrammed` turns the intents into path operations (nothing at
 * all for an intent the device already has), the operations go out in JET
 * requests of at most 1000 paths (Update for adds and modifies, then Remove,
 * so a next-hop change adds the new path before it drops the old one), the
 * programmed paths follow what JET confirmed, and each intent is settled once
 * with the worst outcome among its paths.
 *
 * The pipeline runs one batch per device at a time and a batch holds each
 * destination at most once, so the diff against the programmed paths is never
 * stale and an intent never overtakes an earlier one for the same prefix.
 */
import type { Logger } from 'pino';
import { DeviceUnavailableError } from '../jet/device.js';
import type { BgpPath, OperOutcome } from '../jet/model.js';
import { BridgeCode, type IntentResult } from '../mqtt/results.js';
import { desiredPaths, diffIntent, isEmptyDiff } from '../state/diff.js';
import type { DeviceContext, PipelineMetrics } from './context.js';
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
 */
export function diffAgainstProgrammed(batch: readonly IntentWork[], context: DeviceContext): BatchPlan {
  const { programmed, policy } = context;
  const plan: BatchPlan = { intents: [], updates: [], removes: [] };
  let newDestinations = 0;
  for (const work of batch) {
    const progress = new IntentProgress(work);
    plan.intents.push(progress);
    const current = programmed.get(work.intent);
    const diff = diffIntent(current, desiredPaths(work.device, work.intent, current));
    if (isEmptyDiff(diff)) {
      progress.result.unchanged = true;
      continue;
    }
    if (current === undefined && programmed.destinationCount + newDestinations >= policy.maxRoutes) {
      progress.fail(BridgeCode.LIMIT_EXCEEDED, `device ${work.device} already holds its limit of ${policy.maxRoutes} routes`);
      continue;
    }
    if (current === undefined) newDestinations += 1;
    for (const path of diff.add) plan.updates.push({ kind: 'add', path, progress });
    for (const path of diff.modify) plan.updates.push({ kind: 'modify', path, progress });
    for (const path of diff.remove) plan.removes.push({ kind: 'remove', path, progress });
    progress.unconfirmed = diff.add.length + diff.modify.length + diff.remove.length;
  }
  return plan;
}

/** Executes one batch of one device and settles every intent in it. Never rejects. */
export async function executeBatch(batch: readonly IntentWork[], logger: Logger, metrics?: PipelineMetrics): Promise<void> {
  const { device, context } = batch[0]!;
  let plan: BatchPlan;
  try {
    plan = diffAgainstProgrammed(batch, context);
  } catch (error) {
    const reason = failureReason(error, device, logger);
    for (const work of batch) work.job.settle(work.index, { ...pendingResult(work.intent), status: BridgeCode.DEVICE_UNAVAILABLE, error: reason });
    return;
  }
  try {
    const { session } = context;
    await sendInJetRequests(plan.updates, (paths: BgpPath[]) => session.oper('update', paths), requestHandlers('update', context, device, metrics));
    await sendInJetRequests(plan.removes, (paths: BgpPath[]) => session.oper('remove', paths), requestHandlers('remove', context, device, metrics));
  } catch (error) {
    // What JET confirmed before the failure stays confirmed; the rest was not done.
    const reason = failureReason(error, device, logger);
    for (const progress of plan.intents) {
      if (!progress.failed && progress.unconfirmed > 0) progress.fail(BridgeCode.DEVICE_UNAVAILABLE, reason);
    }
  }
  for (const { work, result } of plan.intents) work.job.settle(work.index, result);
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
  device: string,
  metrics: PipelineMetrics | undefined,
): JetRequestHandlers<PathOp, BgpPath> {
  const { programmed, store } = context;
  const confirm = ({ kind, path, progress }: PathOp): void => {
    if (kind === 'remove') {
      programmed.remove(path);
      progress.result.removed += 1;
    } else {
      programmed.apply(path);
      if (kind === 'add') progress.result.added += 1;
      else progress.result.modified += 1;
    }
    progress.unconfirmed -= 1;
  };
  return {
    pathOf: (op) => op.path,
    // The rest of a failed intent is not sent: half of a refused intent is not worth programming.
    skip: (op) => op.progress.failed,
    confirmed(ops) {
      for (const op of ops) confirm(op);
      if (store !== undefined) {
        const paths = ops.map((op) => op.path);
        store.apply(device, request === 'update' ? paths : [], request === 'remove' ? paths : []);
      }
    },
    refused(op, outcome: OperOutcome) {
      // A path the router no longer has (purged, removed by hand) is what a remove wants:
      // forgetting it keeps the programmed state true, and later withdraws from failing forever.
      if (op.kind === 'remove' && outcome.status === ROUTE_NOT_FOUND) {
        confirm(op);
        store?.apply(device, [], [op.path]);
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
