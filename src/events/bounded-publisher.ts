/**
 * The bounded queue between one device's monitor stream and the bridge's MQTT
 * client, with loss accounting.
 *
 * A router can send a whole RIB in one burst, far faster than a broker takes
 * QoS 1 publishes. The queue holds at most `limit` publications; what happens
 * at the limit is the overflow policy:
 *   - `block` (default) loses nothing: `paused$` turns true and the producer is
 *     expected to stop reading (the monitor relay hands it to the session, which
 *     can pause its gRPC call and leave the rest of the burst to HTTP/2 flow
 *     control); it turns false again once the queue has drained to half the
 *     limit. What a producer still delivers while paused is queued, not lost,
 *     so the bound holds only as well as the producer honours the pause (one
 *     that runs past twice the limit gets a warning in the log).
 *   - `drop-oldest` keeps the newest events: the head of the queue is dropped.
 * Every loss, an overflow drop or a publish the client refused, is counted,
 * reported through `dropped$` (for the device state message), handed to the
 * metrics hook and logged in one line per interval with the count, so a flood
 * of drops does not become a flood of log lines.
 */
import Denque from 'denque';
import type { Logger } from 'pino';
import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';
import { PublishPump, type MqttPublisher, type Publication } from './publish-pump.js';
import { ThrottledWarning } from './throttled-warning.js';

export type OverflowPolicy = 'block' | 'drop-oldest';

const DEFAULT_QUEUE_LIMIT = 10_000;

/** Callbacks a metrics registry can count with (e.g. prom-client counters' `inc`). */
export interface RelayMetricsHooks {
  relayed?(count: number): void;
  dropped?(count: number): void;
}

export interface BoundedPublisherStats {
  /** Publications the broker accepted. */
  relayed: number;
  /** Publications lost: dropped at the limit, refused by the client or abandoned at stop. */
  dropped: number;
  /** Waiting in the queue now. */
  queued: number;
  /** Handed to the client, not yet acknowledged. */
  inFlight: number;
  /** The longest the queue has been. */
  highWater: number;
}

export interface BoundedPublisherOptions {
  client: MqttPublisher;
  /** Should carry the device in its bindings: drop reports name it. */
  logger: Logger;
  limit?: number;
  overflow?: OverflowPolicy;
  /** Publishes in flight at most (see PublishPump). */
  window?: number;
  /** Interval of the drop report in the log (see ThrottledWarning). */
  dropLogIntervalMs?: number;
  /** What is being published, for the drop report: default "monitor events". */
  what?: string;
  metrics?: RelayMetricsHooks;
}

type DropCause = 'queueFull' | 'publishFailed' | 'abandonedAtStop';

export class BoundedPublisher {
  readonly limit: number;
  readonly overflow: OverflowPolicy;
  /** True while the producer should stop reading (policy `block` only). */
  readonly paused$: Observable<boolean>;
  /** The running total of drops, after each change. */
  readonly dropped$: Observable<number>;

  private readonly queue = new Denque<Publication>();
  private readonly pump: PublishPump;
  private readonly paused = new BehaviorSubject(false);
  private readonly droppedTotal = new BehaviorSubject(0);
  private readonly dropReport: ThrottledWarning<DropCause>;
  private relayed = 0;
  private highWater = 0;
  /** Whether this pause already logged that the producer does not honour it. */
  private overrunLogged = false;

  constructor(private readonly options: BoundedPublisherOptions) {
    this.limit = options.limit ?? DEFAULT_QUEUE_LIMIT;
    this.overflow = options.overflow ?? 'block';
    if (!Number.isInteger(this.limit) || this.limit < 1) {
      throw new RangeError(`queueLimit must be a positive integer, got ${this.limit}`);
    }
    this.paused$ = this.paused.pipe(distinctUntilChanged());
    this.dropped$ = this.droppedTotal.asObservable();
    this.pump = new PublishPump({
      client: options.client,
      window: options.window,
      take: () => this.take(),
      settled: (publication, error) => this.settled(publication, error),
    });
    this.dropReport = new ThrottledWarning<DropCause>({
      log: options.logger,
      message: `${options.what ?? 'monitor events'} dropped`,
      context: () => ({ droppedTotal: this.droppedTotal.value, queueLimit: this.limit, overflow: this.overflow }),
      intervalMs: options.dropLogIntervalMs,
    });
  }

  get stats(): BoundedPublisherStats {
    return {
      relayed: this.relayed,
      dropped: this.droppedTotal.value,
      queued: this.queue.length,
      inFlight: this.pump.pending,
      highWater: this.highWater,
    };
  }

  /** Queues a publication; under `drop-oldest` a full queue loses its head. */
  offer(publication: Publication): void {
    this.queue.push(publication);
    if (this.queue.length > this.limit && this.overflow === 'drop-oldest') {
      this.queue.shift();
      this.countDrops('queueFull', 1);
    }
    this.highWater = Math.max(this.highWater, this.queue.length);
    if (this.overflow === 'block' && this.queue.length >= this.limit) this.blockProducer();
    this.pump.kick();
  }

  /** Resolves once everything queued has been published or given up on; false after `timeoutMs`. */
  idle(timeoutMs?: number): Promise<boolean> {
    return this.pump.idle(timeoutMs);
  }

  /**
   * Waits up to `timeoutMs` for the queue to drain, then counts what is still
   * queued as dropped, logs the final drop report and stops reporting.
   */
  async stop(timeoutMs: number): Promise<void> {
    await this.pump.idle(timeoutMs);
    const abandoned = this.queue.length;
    if (abandoned > 0) {
      this.queue.clear();
      this.countDrops('abandonedAtStop', abandoned);
    }
    this.dropReport.stop();
  }

  private blockProducer(): void {
    this.paused.next(true);
    // Nothing is lost, but memory grows: say so once per pause.
    if (this.queue.length >= 2 * this.limit && !this.overrunLogged) {
      this.overrunLogged = true;
      this.options.logger.warn(
        { queued: this.queue.length, queueLimit: this.limit },
        'producer keeps sending while asked to pause: the publish queue is past twice its limit',
      );
    }
  }

  private take(): Publication | undefined {
    const publication = this.queue.shift();
    if (this.paused.value && this.queue.length <= Math.floor(this.limit / 2)) {
      this.paused.next(false);
      this.overrunLogged = false;
    }
    return publication;
  }

  private settled(_publication: Publication, error?: Error): void {
    if (!error) {
      this.relayed += 1;
      this.options.metrics?.relayed?.(1);
      return;
    }
    this.countDrops('publishFailed', 1, { lastError: error.message });
  }

  private countDrops(cause: DropCause, count: number, detail?: Record<string, unknown>): void {
    this.droppedTotal.next(this.droppedTotal.value + count);
    this.options.metrics?.dropped?.(count);
    this.dropReport.note(cause, count, detail);
  }
}
