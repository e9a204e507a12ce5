/**
 * Relays one device's BGP monitor stream (routes the router learned from its
 * peers) to MQTT:
 *   - every entry, in order, as a JSON event on `<prefix>/<device>/bgp/events`
 *     (see monitor-event.ts for the shape), through a bounded queue with an
 *     overflow policy and loss accounting (bounded-publisher.ts);
 *   - optionally (`rib: true`) a retained message per destination on
 *     `<prefix>/<device>/bgp/rib/<table>/<prefix>_<length>` holding its current
 *     paths, cleared when the last path goes, so a late subscriber reads the
 *     peer-learned RIB without replaying events.
 *
 * The session reopens the monitor stream after every reconnect, and the router
 * then sends its full set again followed by `end-of-rib`; those are relayed
 * like any other entries so that consumers can rebuild their view. For the
 * retained view, the session leaving `ready` or the relay subscribing again
 * after a stream error starts a resync: destinations the new full set does not
 * repeat are cleared at its `end-of-rib` (rib-view.ts also covers a stream the
 * session reopened without a status change). Retained topics an earlier bridge
 * process left behind are checked once, after the first full set: with a
 * `retainedCensus`, those of destinations the router no longer has are cleared.
 */
import type { Logger } from 'pino';
import { defer, retry, timer, type Observable, type Subscription } from 'rxjs';
import { backoffDelay, type BackoffOptions } from '../jet/backoff.js';
import type { DeviceSession, DeviceStatus } from '../jet/device.js';
import type { Destination, MonitorEntry } from '../jet/model.js';
import type { QoS } from '../mqtt/client.js';
import type { Topics } from '../mqtt/topics.js';
import {
  BoundedPublisher,
  type BoundedPublisherStats,
  type OverflowPolicy,
  type RelayMetricsHooks,
} from './bounded-publisher.js';
import { prefixText, toMonitorEvent, toRibSnapshot } from './monitor-event.js';
import type { MqttPublisher } from './publish-pump.js';
import { RetainedTopicWriter } from './retained-writer.js';
import { PeerRibView } from './rib-view.js';

/**
 * Lets the relay ask the session to stop reading the monitor stream while its
 * publish queue is full (policy `block`): a session that pauses its gRPC call
 * while `paused$` is true leaves the rest of a burst to HTTP/2 flow control.
 */
export interface MonitorFlowControl {
  readonly paused$: Observable<boolean>;
}

/** What the relay needs of a device session; a DeviceSession is one. */
export type MonitorSource = Pick<DeviceSession, 'device' | 'status$'> & {
  monitor(flow?: MonitorFlowControl): Observable<MonitorEntry>;
};

/** Lists the topics that hold a retained message under a filter (BridgeMqttClient does). */
export interface RetainedCensus {
  retainedTopics(filter: string): Promise<string[]>;
}

export interface MonitorRelayOptions {
  session: MonitorSource;
  client: MqttPublisher;
  topics: Pick<Topics, 'bgpEvents' | 'rib' | 'ribFilter'>;
  /** With `rib`: finds the retained RIB topics left from before this relay started, to clear the stale ones. */
  retainedCensus?: RetainedCensus;
  logger: Logger;
  /** Keep the retained per-destination RIB topics. Default false. */
  rib?: boolean;
  /** Events waiting to be published at most. Default 10,000. */
  queueLimit?: number;
  /** What a full queue does. Default `block`. */
  overflow?: OverflowPolicy;
  /** QoS of event and RIB publishes. Default 1. */
  qos?: QoS;
  /** Backoff between re-subscriptions after a monitor stream error. Default 1 s doubling to 30 s. */
  retry?: BackoffOptions;
  /** How long stop() waits for queued events to go out. Default 2 s. */
  stopTimeoutMs?: number;
  /** Interval of the drop report in the log. Default 10 s. */
  dropLogIntervalMs?: number;
  metrics?: RelayMetricsHooks;
  /** The clock stamping events; for tests. */
  now?: () => Date;
}

export interface MonitorRelayStats extends BoundedPublisherStats {
  /** Destinations in the retained RIB view (0 without `rib`). */
  ribDestinations: number;
}

const DEFAULT_RETRY: BackoffOptions = { initialMs: 1_000, maxMs: 30_000 };
const DEFAULT_STOP_TIMEOUT_MS = 2_000;
const UP_STATES: ReadonlySet<DeviceStatus['state']> = new Set(['ready', 'rebound']);

export class MonitorRelay {
  /**
   * Running total of events lost (see BoundedPublisher), after every drop: a
   * flood of drops emits as often, so audit it (e.g. `auditTime(1000)`) before
   * republishing the device state message.
   */
  readonly drops$: Observable<number>;

  private readonly device: string;
  private readonly eventsTopic: string;
  private readonly log: Logger;
  private readonly qos: QoS;
  private readonly now: () => Date;
  private readonly events: BoundedPublisher;
  private readonly view: PeerRibView | undefined;
  private readonly retained: RetainedTopicWriter | undefined;
  private subscriptions: Subscription[] = [];
  private started = false;
  private leftoversChecked = false;

  constructor(private readonly options: MonitorRelayOptions) {
    this.device = options.session.device;
    this.eventsTopic = options.topics.bgpEvents(this.device);
    this.log = options.logger.child({ component: 'monitor-relay', device: this.device });
    this.qos = options.qos ?? 1;
    this.now = options.now ?? (() => new Date());
    this.events = new BoundedPublisher({
      client: options.client,
      logger: this.log,
      limit: options.queueLimit,
      overflow: options.overflow,
      dropLogIntervalMs: options.dropLogIntervalMs,
      metrics: options.metrics,
    });
    this.drops$ = this.events.dropped$;
    if (options.rib) {
      this.view = new PeerRibView();
      this.retained = new RetainedTopicWriter({ client: options.client, logger: this.log, qos: this.qos });
    }
  }

  /** Events lost so far; for the device state message. */
  get drops(): number {
    return this.events.stats.dropped;
  }

  get stats(): MonitorRelayStats {
    return { ...this.events.stats, ribDestinations: this.view?.size ?? 0 };
  }

  /** Subscribes to the session's monitor stream. */
  start(): void {
    if (this.started) throw new Error(`monitor relay for ${this.device} was already started`);
    this.started = true;
    this.subscriptions = [
      this.options.session.status$.subscribe((status) => this.onStatus(status)),
      this.monitorWithRetry().subscribe({
        next: (entry) => this.relay(entry),
        complete: () => this.log.info('monitor stream ended'),
      }),
    ];
    this.log.info(
      { rib: this.view !== undefined, queueLimit: this.events.limit, overflow: this.events.overflow },
      'relaying BGP monitor events',
    );
  }

  /** Unsubscribes, then waits (bounded) for queued events and RIB updates to go out. */
  async stop(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
    const timeoutMs = this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    await Promise.all([this.events.stop(timeoutMs), this.retained?.idle(timeoutMs)]);
  }

  /** Resolves once every relayed entry has been published (or counted as dropped). */
  async idle(): Promise<void> {
    await Promise.all([this.events.idle(), this.retained?.idle()]);
  }

  /** The monitor stream, re-subscribed with backoff after errors; each re-subscription resyncs the view. */
  private monitorWithRetry(): Observable<MonitorEntry> {
    let subscribedBefore = false;
    const retryBackoff = this.options.retry ?? DEFAULT_RETRY;
    return defer(() => {
      if (subscribedBefore) this.view?.beginResync();
      subscribedBefore = true;
      return this.options.session.monitor({ paused$: this.events.paused$ });
    }).pipe(
      retry({
        resetOnSuccess: true,
        delay: (error: unknown, attempt: number) => {
          const delayMs = backoffDelay(attempt - 1, retryBackoff);
          this.log.warn({ err: error, attempt, delayMs }, 'monitor stream failed; subscribing again');
          return timer(delayMs);
        },
      }),
    );
  }

  private onStatus(status: DeviceStatus): void {
    // Not up means the stream is gone: the next one starts with a full set.
    if (!UP_STATES.has(status.state)) this.view?.beginResync();
  }

  private relay(entry: MonitorEntry): void {
    const ts = this.now();
    // An exception here would reach RxJS's unhandled-error hook and kill the process.
    try {
      const event = toMonitorEvent(entry, ts);
      this.events.offer({ topic: this.eventsTopic, payload: JSON.stringify(event), qos: this.qos, retain: false });
      if (this.view) {
        for (const destination of this.view.apply(entry)) this.updateRetained(destination, ts);
        if (entry.op === 'end-of-rib' && !this.leftoversChecked) {
          this.leftoversChecked = true;
          void this.clearLeftovers();
        }
      }
    } catch (error) {
      this.log.warn({ err: error, op: entry.op }, 'monitor entry not relayed');
    }
  }

  /**
   * Clears the retained RIB topics the broker holds for destinations the view
   * does not have: what an earlier process left for routes the router lost
   * while no bridge watched. A destination that comes back meanwhile writes
   * its own topic again, after (or instead of) the clearing write.
   */
  private async clearLeftovers(): Promise<void> {
    const census = this.options.retainedCensus;
    if (census === undefined || this.view === undefined || this.retained === undefined) return;
    try {
      const held = await census.retainedTopics(this.options.topics.ribFilter(this.device));
      const current = new Set<string>();
      for (const destination of this.view.allDestinations()) current.add(this.ribTopic(destination));
      const stale = held.filter((topic) => !current.has(topic));
      for (const topic of stale) this.retained.write(topic, () => '');
      if (stale.length > 0)
        this.log.info({ cleared: stale.length }, 'cleared retained RIB topics of routes the router no longer has');
    } catch (error) {
      this.log.warn(
        { err: error },
        'could not list the retained RIB topics; those of routes gone while the bridge was away stay',
      );
    }
  }

  private ribTopic(destination: Destination): string {
    return this.options.topics.rib(this.device, destination.table, prefixText(destination));
  }

  private updateRetained(destination: Destination, changedAt: Date): void {
    const topic = this.ribTopic(destination);
    this.retained?.write(topic, () => {
      const paths = this.view?.pathsTo(destination) ?? [];
      // An empty retained payload deletes the retained message.
      return paths.length === 0 ? '' : JSON.stringify(toRibSnapshot(destination, paths, changedAt));
    });
  }
}
