/**
 * Message jobs: the bookkeeping that turns N intents of one MQTT message back
 * into ONE result message. Each intent travels the pipeline on its own (as an
 * IntentWork); whichever stage decides its fate settles it on its job, and the
 * job is finished when the last of its intents is settled.
 */
import { performance } from 'node:perf_hooks';
import type { Intent } from '../intent/intent.js';
import type { InboundMessage } from '../mqtt/client.js';
import { SUCCESS, type IntentResult, type ResultMessage } from '../mqtt/results.js';
import type { DeviceContext, PipelineMetrics } from './context.js';

/** One valid intent on its way through the pipeline. */
export interface IntentWork {
  readonly job: MessageJob;
  /** Position of the intent in its message, which is its position in the results. */
  readonly index: number;
  readonly intent: Intent;
  readonly device: string;
  readonly context: DeviceContext;
  /**
   * `table|prefix/length`. With the device it makes the route key, by which
   * intents coalesce and keep their order.
   */
  readonly destination: string;
}

/** A result with nothing done yet; the stage that resolves the intent fills it in. */
export function pendingResult(intent: Intent): IntentResult {
  const result: IntentResult = {
    prefix: intent.flowspec === undefined ? `${intent.prefix}/${intent.length}` : intent.prefix,
    action: intent.action,
    status: SUCCESS,
    added: 0,
    modified: 0,
    removed: 0,
    unchanged: false,
    table: intent.table,
  };
  if (intent.id !== undefined) result.id = intent.id;
  return result;
}

/** A result for an intent that never reached JET. */
export function refusedResult(intent: Intent, status: string, error: string): IntentResult {
  return { ...pendingResult(intent), status, error };
}

/**
 * The open jobs of a pipeline: creates them, counts unresolved intents per
 * device (the queue depth), hands every finished job to `finished`, and
 * acknowledges messages to the broker.
 *
 * Acknowledging is the bridge's flow control. The MQTT client reads nothing
 * more from the broker until the current message is acknowledged (see
 * src/mqtt/client.ts), so a message is acknowledged as soon as its job is
 * open, unless more than `maxUnresolved` intents are waiting; then its
 * acknowledgement, and with it the next message, waits until the backlog is
 * back under the mark. That bounds memory when publishers outrun the router.
 */
export class OpenJobs {
  private readonly depthByDevice = new Map<string, number>();
  private openCount = 0;
  private unresolved = 0;
  private readonly heldAcks: InboundMessage[] = [];

  constructor(
    private readonly finished: (job: MessageJob) => void,
    private readonly metrics: PipelineMetrics | undefined,
    private readonly maxUnresolved: number,
  ) {}

  /** Acknowledges `msg` now, or once the backlog allows (acknowledgements keep their order). */
  acknowledge(msg: InboundMessage): void {
    if (this.heldAcks.length === 0 && this.unresolved <= this.maxUnresolved) msg.ack();
    else this.heldAcks.push(msg);
  }

  /** Starts the job of `msg`, which will carry `intentCount` results. */
  open(msg: InboundMessage, device: string, id: string | undefined, intentCount: number): MessageJob {
    this.openCount += 1;
    this.changeDepth(device, intentCount);
    return new MessageJob(this, msg, device, id, intentCount);
  }

  /** Finishes at once the job of a message refused as a whole: no intent could be read from it. */
  refuse(msg: InboundMessage, device: string, error: string): void {
    const job = this.open(msg, device, undefined, 0);
    job.setError(error);
    this.closed(job);
  }

  /** Jobs whose result message is not built yet. */
  get size(): number {
    return this.openCount;
  }

  /** Intents of `device` received and not resolved yet. */
  depth(device: string): number {
    return this.depthByDevice.get(device) ?? 0;
  }

  /** @internal Called by MessageJob. */
  settled(job: MessageJob, status: string): void {
    this.changeDepth(job.device, -1);
    this.metrics?.result(job.device, status);
    while (this.heldAcks.length > 0 && this.unresolved <= this.maxUnresolved) this.heldAcks.shift()!.ack();
  }

  /** @internal Called by MessageJob. */
  closed(job: MessageJob): void {
    this.openCount -= 1;
    this.finished(job);
  }

  private changeDepth(device: string, delta: number): void {
    this.unresolved += delta;
    const depth = (this.depthByDevice.get(device) ?? 0) + delta;
    // Topics may name any device; forgetting idle ones keeps this map bounded.
    if (depth === 0) this.depthByDevice.delete(device);
    else this.depthByDevice.set(device, depth);
    if (delta > 0) this.metrics?.queueDepth(device, depth);
  }
}

/** The N intents of one MQTT message and, once all are settled, its result message. */
export class MessageJob {
  private readonly results: (IntentResult | undefined)[];
  private pending: number;
  private error: string | undefined;

  constructor(
    private readonly book: OpenJobs,
    readonly msg: InboundMessage,
    readonly device: string,
    readonly id: string | undefined,
    intentCount: number,
  ) {
    this.results = new Array<IntentResult | undefined>(intentCount);
    this.pending = intentCount;
  }

  /** Records the outcome of the intent at `index` (the first one stands); the last one finishes the job. */
  settle(index: number, result: IntentResult): void {
    if (this.results[index] !== undefined) return;
    this.results[index] = result;
    this.pending -= 1;
    this.book.settled(this, result.status);
    if (this.pending === 0) this.book.closed(this);
  }

  /** A message-level error, shown in `error` next to the per-intent results. */
  setError(error: string): void {
    this.error = error;
  }

  /** The result message; `ok` only when every intent succeeded. */
  toResultMessage(): ResultMessage {
    const results = this.results as IntentResult[];
    // Keys in the documented order, which is what users see in their MQTT client;
    // JSON leaves out the undefined ones.
    return {
      id: this.id,
      ok: this.error === undefined && results.every((r) => r.status === SUCCESS),
      device: this.device,
      results,
      error: this.error,
      latencyMs: Math.round((performance.now() - this.msg.receivedAt) * 1000) / 1000,
    };
  }
}
