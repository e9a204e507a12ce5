/**
 * The intent pipeline: MQTT requests in, JET requests out, one result message
 * back per request. Read `run` top to bottom to follow an intent:
 *
 *   messages → route by topic (intent / get / op)
 *     intent: parseIntent      payload → its intents; UNKNOWN_DEVICE, INVALID_PAYLOAD
 *             applyPolicy      POLICY_DENIED, RATE_LIMITED
 *             groupBy device
 *               coalesce       latest intent per destination within debounceMs; SUPERSEDED
 *               batchIntents   up to maxBatch intents or maxBatchDelayMs
 *               executeBatch   diff against programmed → ≤1000-path JET requests;
 *                              up to maxInFlightPerDevice batches with no route in
 *                              common side by side per device, maxInFlight overall
 *     get:    answerRouteQuery
 *     op:     deps.opHandler
 *   finished message jobs → result message → reply
 *
 * Every per-message failure becomes a result; nothing a publisher sends ends
 * the stream. Messages are acknowledged to the broker as soon as the pipeline
 * holds them, not after their result (see parse-stage.ts), and held back while
 * more than maxQueuedIntents wait (see OpenJobs in message-job.ts).
 */
import type { Logger } from 'pino';
import {
  filter,
  groupBy,
  map,
  merge,
  mergeMap,
  Subject,
  takeUntil,
  tap,
  type Observable,
  type Subscription,
} from 'rxjs';
import type { IntentLimits } from '../intent/intent.js';
import type { InboundMessage } from '../mqtt/client.js';
import { BridgeCode } from '../mqtt/results.js';
import type { InboundKind, Topics } from '../mqtt/topics.js';
import { awaitEach } from './await-each.js';
import { batchIntents } from './batch.js';
import { coalesce } from './coalesce.js';
import { ConcurrencyLimit } from './concurrency.js';
import type { DeviceContext, PipelineMetrics, ReplyFn, StageContext } from './context.js';
import { DeviceLane } from './device-lane.js';
import { executeBatch } from './execute-batch.js';
import { OpenJobs, pendingResult, type IntentWork, type MessageJob } from './message-job.js';
import { parseIntent, type DeviceRequest } from './parse-stage.js';
import { applyPolicy } from './policy-stage.js';
import { answerRouteQuery } from './query.js';

export interface PipelineConfig {
  /** How long an intent waits for a later one for the same route to replace it. */
  debounceMs: number;
  /** Most intents per batch (a batch may still span several JET requests). */
  maxBatch: number;
  /** Longest a batch waits to fill up. */
  maxBatchDelayMs: number;
  /** Most batches in flight over all devices. */
  maxInFlight: number;
  /**
   * Most batches in flight for one device; they never share a route (see
   * device-lane.ts). Default DEFAULT_MAX_IN_FLIGHT_PER_DEVICE: the next
   * requests are ready while the router answers the previous one.
   */
  maxInFlightPerDevice?: number;
  /**
   * Unresolved intents past which the bridge stops acknowledging (and so
   * reading) new messages until the backlog shrinks. Default 100,000.
   */
  maxQueuedIntents?: number;
}

export const DEFAULT_MAX_QUEUED_INTENTS = 100_000;
export const DEFAULT_MAX_IN_FLIGHT_PER_DEVICE = 4;

/**
 * Serves one message on `<prefix>/<device>/op` and publishes its answer. The
 * pipeline has acknowledged the message already; a rejection is logged.
 */
export type OpHandler = (msg: InboundMessage, device: string) => Promise<void>;

export interface IntentPipelineDeps {
  devices: ReadonlyMap<string, DeviceContext>;
  topics: Topics;
  reply: ReplyFn;
  limits: IntentLimits;
  config: PipelineConfig;
  logger: Logger;
  metrics?: PipelineMetrics;
  /** Operational commands; without it such messages are answered "not served". */
  opHandler?: OpHandler;
}

export interface IntentPipeline {
  /** Starts serving `messages$`; call once. */
  run(messages$: Observable<InboundMessage>): Subscription;
  /**
   * Stops taking messages and finishes what was taken: waiting intents go on
   * at once, batches complete, results are published. Rejects when that takes
   * longer than `timeoutMs` (the rest is abandoned; unacknowledged messages
   * come again from the broker).
   */
  drain(timeoutMs: number): Promise<void>;
  /**
   * The lane of a device (device-lane.ts), for work that must not overlap its
   * batches for the same destinations: the reconciler's retries.
   */
  lane(device: string): DeviceLane;
}

interface RoutedRequest extends DeviceRequest {
  readonly kind: InboundKind | undefined;
}

export function createIntentPipeline(deps: IntentPipelineDeps): IntentPipeline {
  const { devices, topics, config, logger, metrics } = deps;
  const ctx: StageContext = { devices, topics, limits: deps.limits, logger, metrics, reply: deps.reply };
  // Built here, not on the first message, so a bad setting fails now (each checks its own).
  const coalescePerDestination = coalesce({
    windowMs: config.debounceMs,
    keyOf: destinationOf,
    onSuperseded: supersede,
  });
  const batchPerDevice = batchIntents({
    maxSize: config.maxBatch,
    maxDelayMs: config.maxBatchDelayMs,
    keyOf: destinationOf,
  });
  const inFlight = new ConcurrencyLimit(config.maxInFlight);
  const perDevice = config.maxInFlightPerDevice ?? DEFAULT_MAX_IN_FLIGHT_PER_DEVICE;
  if (!(Number.isInteger(perDevice) && perDevice >= 1)) {
    throw new RangeError(`maxInFlightPerDevice must be a positive integer, got ${perDevice}`);
  }
  const maxQueuedIntents = config.maxQueuedIntents ?? DEFAULT_MAX_QUEUED_INTENTS;
  if (!(Number.isInteger(maxQueuedIntents) && maxQueuedIntents >= 0)) {
    throw new RangeError(`maxQueuedIntents must be an integer >= 0, got ${maxQueuedIntents}`);
  }

  const lanes = new Map<string, DeviceLane>();
  const lane = (device: string): DeviceLane => {
    let found = lanes.get(device);
    if (found === undefined) {
      found = new DeviceLane(perDevice);
      lanes.set(device, found);
    }
    return found;
  };

  const stop$ = new Subject<void>();
  let subscription: Subscription | undefined;
  let finished: Promise<void> | undefined;
  let jobs: OpenJobs | undefined;
  let draining = false;

  function run(messages$: Observable<InboundMessage>): Subscription {
    if (subscription !== undefined) throw new Error('the intent pipeline is already running');
    if (draining) throw new Error('the intent pipeline was drained; create a new one');
    const finishedJobs$ = new Subject<MessageJob>();
    const openJobs = new OpenJobs((job) => finishedJobs$.next(job), metrics, maxQueuedIntents);
    jobs = openJobs;

    const programIntents = (requests$: Observable<DeviceRequest>): Observable<unknown> =>
      requests$.pipe(
        parseIntent(ctx, openJobs),
        applyPolicy(ctx),
        filter((works) => works.length > 0),
        groupBy((works) => works[0]!.device),
        mergeMap((device$) => {
          const deviceLane = lane(device$.key);
          return device$.pipe(
            coalescePerDestination,
            batchPerDevice,
            mergeMap((batch) =>
              deviceLane.run(batch.map(destinationOf), () =>
                inFlight.run(() => executeBatch(batch, deviceLane, logger, metrics)),
              ),
            ),
            tap(() => metrics?.queueDepth(device$.key, openJobs.depth(device$.key))),
          );
        }),
      );

    // Intent messages are acknowledged once their job is open (parseIntent); the rest on arrival.
    const acknowledge = tap(({ msg }: RoutedRequest) => openJobs.acknowledge(msg));
    const work$ = messages$.pipe(
      takeUntil(stop$),
      map((msg) => routeByTopic(msg, topics)),
      groupBy((request) => request.kind),
      mergeMap((requests$) => {
        switch (requests$.key) {
          case 'intent':
            return programIntents(requests$);
          case 'get':
            return requests$.pipe(
              acknowledge,
              mergeMap(({ msg, device }) => answerRouteQuery(msg, device, ctx), config.maxInFlight),
            );
          case 'op':
            return requests$.pipe(
              acknowledge,
              mergeMap(({ msg, device }) => runOp(msg, device), config.maxInFlight),
            );
          default:
            return requests$.pipe(
              acknowledge,
              tap(({ msg }) =>
                logger.debug({ topic: msg.topic }, 'ignored a message on a topic the bridge does not serve'),
              ),
            );
        }
      }),
      tap({ complete: () => finishedJobs$.complete() }),
    );

    const results$ = finishedJobs$.pipe(awaitEach((job) => publishResult(job, ctx)));

    let settle: { resolve(): void; reject(error: unknown): void } | undefined;
    finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // The error is logged below and drain() reports it; nobody else need wait for it.
    finished.catch(() => undefined);
    // Results subscribe first: a synchronous source finishes jobs while work$ is being subscribed.
    subscription = merge(results$, work$).subscribe({
      complete: () => settle!.resolve(),
      error: (error: unknown) => {
        logger.fatal({ err: error }, 'the intent pipeline stopped');
        settle!.reject(error);
      },
    });
    return subscription;
  }

  async function drain(timeoutMs: number): Promise<void> {
    draining = true;
    stop$.next();
    if (finished === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const open = jobs?.size ?? 0;
        subscription?.unsubscribe();
        reject(
          new Error(`intent pipeline did not drain within ${timeoutMs} ms: ${open} messages left without a result`),
        );
      }, timeoutMs);
    });
    try {
      await Promise.race([finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function runOp(msg: InboundMessage, device: string): Promise<void> {
    try {
      if (deps.opHandler !== undefined) {
        await deps.opHandler(msg, device);
        return;
      }
      const answer = { ok: false, device, error: 'operational commands are not served by this bridge' };
      await deps.reply(msg, topics.opResult(device), JSON.stringify(answer));
    } catch (error) {
      logger.error({ device, err: error }, 'operational command failed');
    }
  }

  return { run, drain, lane };
}

function destinationOf(work: IntentWork): string {
  return work.destination;
}

/** Settles the intents the window's last one for the same route replaced; they name it. */
function supersede(replaced: readonly IntentWork[], winner: IntentWork): void {
  for (const older of replaced) {
    const result = { ...pendingResult(older.intent), status: BridgeCode.SUPERSEDED };
    if (winner.intent.id !== undefined) result.supersededBy = winner.intent.id;
    older.job.settle(older.index, result);
  }
}

function routeByTopic(msg: InboundMessage, topics: Topics): RoutedRequest {
  const inbound = topics.parseInbound(msg.topic);
  return { msg, device: inbound?.device ?? '', kind: inbound?.kind };
}

async function publishResult(job: MessageJob, ctx: StageContext): Promise<void> {
  try {
    await ctx.reply(job.msg, ctx.topics.intentResult(job.device), JSON.stringify(job.toResultMessage()));
  } catch (error) {
    ctx.logger.warn({ device: job.device, err: error }, 'could not publish an intent result');
  }
}
