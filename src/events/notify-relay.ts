/**
 * Relays one router's JET notifications (interface, route, syslog events from
 * the router's own MQTT broker) to the bridge's broker, so users subscribe to
 * `<prefix>/+/notify/#` on one broker instead of connecting to every router.
 *
 * A message on router topic `/junos/events/<rest>` is republished on
 * `<prefix>/<device>/notify/<rest>`:
 *   - by default with the payload byte for byte as the router sent it;
 *   - with `normalize: true` as the flat JSON of notify-event.ts; a payload that
 *     is not a `jet-event` is still relayed, as a `{"malformed": true, ...}`
 *     object carrying the raw text, and counted and logged with the device.
 *
 * The router broker has its own URL, credentials and TLS. It may be down when
 * the bridge starts and may restart at any time: mqtt.js reconnects (also after
 * a refused CONNACK, as a restarting broker may send), and every new connection
 * subscribes to the configured patterns again, since a clean session keeps none.
 * Publishes to the bridge's broker go through a bounded queue that drops its
 * oldest message when full: a QoS 0 subscription cannot be slowed down, so the
 * alternative would be unbounded memory. Every drop is counted and logged.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type ISubscriptionGrant, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { BehaviorSubject, combineLatest, distinctUntilChanged, map, type Observable } from 'rxjs';
import type { MqttTlsOptions, QoS, SecretValue } from '../mqtt/client.js';
import type { Topics } from '../mqtt/topics.js';
import { BoundedPublisher, type RelayMetricsHooks } from './bounded-publisher.js';
import { malformedNotification, normalizeNotification } from './notify-event.js';
import type { MqttPublisher } from './publish-pump.js';
import { ThrottledWarning } from './throttled-warning.js';

const DEFAULT_NOTIFY_TOPICS: readonly string[] = ['/junos/events/#'];

/** The router broker and what to take from it: a device's `notify` config, TLS files already read. */
export interface NotifySettings {
  url: string;
  username?: string;
  password?: SecretValue;
  tls?: MqttTlsOptions;
  /** Topic filters on the router broker. Default `/junos/events/#`. */
  topics?: readonly string[];
  /** Publish the flat form instead of the router's payload. Default false. */
  normalize?: boolean;
}

export interface NotifyRelayOptions {
  device: string;
  notify: NotifySettings;
  /** The bridge's MQTT client. */
  client: MqttPublisher;
  topics: Pick<Topics, 'notify'>;
  logger: Logger;
  /** QoS of the relayed publishes. Default 1. */
  qos?: QoS;
  /** Relayed messages waiting for the bridge's broker at most; the oldest is dropped beyond. Default 10,000. */
  queueLimit?: number;
  /** Delay between reconnect attempts to the router broker. Default 1 s. */
  reconnectPeriodMs?: number;
  /** Interval of the drop and malformed-payload reports in the log. Default 10 s. */
  warningIntervalMs?: number;
  /** How long stop() waits for queued messages to go out. Default 2 s. */
  stopTimeoutMs?: number;
  metrics?: RelayMetricsHooks;
}

export interface NotifyRelayStats {
  /** Messages received from the router broker. */
  received: number;
  /** Messages the bridge's broker accepted. */
  relayed: number;
  /** Messages lost: queue overflow, refused publishes, or a router topic that cannot be mapped. */
  dropped: number;
  /** Payloads that were not a `jet-event` (normalize mode only); relayed wrapped. */
  malformed: number;
}

type Problem = 'malformedPayload' | 'unmappableTopic';

const DEFAULT_STOP_TIMEOUT_MS = 2_000;
/** Subscription grant code meaning the broker refused the filter. */
const SUBACK_FAILURE = 128;

export class NotifyRelay {
  /** Whether the router broker is connected; replays the current value. */
  readonly connected$: Observable<boolean>;
  /** Running total of lost messages; for the device state message. */
  readonly drops$: Observable<number>;

  private readonly log: Logger;
  private readonly patterns: readonly string[];
  private readonly qos: QoS;
  private readonly outbox: BoundedPublisher;
  private readonly problems: ThrottledWarning<Problem>;
  private readonly connection = new BehaviorSubject(false);
  private readonly unmappable = new BehaviorSubject(0);
  private client: MqttClient | undefined;
  private everConnected = false;
  private lastError: string | undefined;
  private received = 0;
  private malformed = 0;

  constructor(private readonly options: NotifyRelayOptions) {
    this.log = options.logger.child({ component: 'notify-relay', device: options.device });
    this.patterns = options.notify.topics ?? DEFAULT_NOTIFY_TOPICS;
    if (this.patterns.length === 0) throw new Error(`notify.topics of device ${options.device} must not be empty`);
    this.qos = options.qos ?? 1;
    this.outbox = new BoundedPublisher({
      client: options.client,
      logger: this.log,
      limit: options.queueLimit,
      overflow: 'drop-oldest',
      dropLogIntervalMs: options.warningIntervalMs,
      what: 'router notifications',
      metrics: options.metrics,
    });
    this.problems = new ThrottledWarning<Problem>({
      log: this.log,
      message: 'router notifications with problems',
      intervalMs: options.warningIntervalMs,
    });
    this.connected$ = this.connection.pipe(distinctUntilChanged());
    this.drops$ = combineLatest([this.outbox.dropped$, this.unmappable]).pipe(
      map(([dropped, unmappable]) => dropped + unmappable),
    );
  }

  get stats(): NotifyRelayStats {
    const { relayed, dropped } = this.outbox.stats;
    return { received: this.received, relayed, dropped: dropped + this.unmappable.value, malformed: this.malformed };
  }

  /** Starts connecting to the router broker; returns at once, as the broker may not be up yet. */
  start(): void {
    if (this.client) throw new Error(`notify relay for ${this.options.device} was already started`);
    const { url } = this.options.notify;
    this.log.info(
      { broker: new URL(url).host, topics: this.patterns, normalize: this.options.notify.normalize ?? false },
      'connecting to router notification broker',
    );
    const client = mqtt.connect(url, this.connectOptions());
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('close', () => this.onClose());
    client.on('error', (error) => this.onError(error));
    client.on('reconnect', () => this.log.debug('reconnecting to router notification broker'));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  /** Disconnects from the router broker, then waits (bounded) for queued messages to reach the bridge's broker. */
  async stop(): Promise<void> {
    const timeoutMs = this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    const client = this.client;
    if (client) {
      client.removeAllListeners('message');
      await client.endAsync(true);
    }
    this.connection.next(false);
    await this.outbox.stop(timeoutMs);
    this.problems.stop();
    this.connection.complete();
  }

  private connectOptions(): IClientOptions {
    const { username, password, tls } = this.options.notify;
    return {
      clientId: `jetbridge-notify-${this.options.device}-${randomBytes(4).toString('hex')}`,
      username,
      password: password?.value,
      clean: true,
      reconnectPeriod: this.options.reconnectPeriodMs ?? 1_000,
      // A broker that is restarting may refuse a connection or two; keep trying.
      reconnectOnConnackError: true,
      // onConnect subscribes on every connection; mqtt.js's own resubscribe would repeat it.
      resubscribe: false,
      ...tls,
    };
  }

  private onConnect(client: MqttClient): void {
    this.log.info(
      this.everConnected ? 'reconnected to router notification broker' : 'connected to router notification broker',
    );
    this.everConnected = true;
    this.lastError = undefined;
    this.connection.next(true);
    client.subscribe([...this.patterns], { qos: 1 }, (error, granted) =>
      this.onSubscribed(error ?? undefined, granted),
    );
  }

  private onSubscribed(error: Error | undefined, granted: ISubscriptionGrant[] | undefined): void {
    if (error) {
      this.log.error({ err: error, topics: this.patterns }, 'router notification broker refused the subscription');
      return;
    }
    const refused = (granted ?? []).filter((grant) => grant.qos === SUBACK_FAILURE).map((grant) => grant.topic);
    if (refused.length > 0)
      this.log.error({ topics: refused }, 'router notification broker refused these topic filters');
    else this.log.info({ topics: this.patterns }, 'subscribed to router notifications');
  }

  private onClose(): void {
    if (this.connection.value) this.log.warn('lost the connection to the router notification broker; reconnecting');
    this.connection.next(false);
  }

  /** Logs an error once while it repeats, as it does on every attempt during an outage. */
  private onError(error: Error): void {
    if (error.message === this.lastError) return;
    this.lastError = error.message;
    this.log.warn({ err: error }, 'router notification broker error');
  }

  private onMessage(routerTopic: string, payload: Buffer): void {
    this.received += 1;
    let topic: string;
    try {
      topic = this.options.topics.notify(this.options.device, routerTopic);
    } catch (error) {
      this.unmappable.next(this.unmappable.value + 1);
      this.problems.note('unmappableTopic', 1, { lastTopic: routerTopic, lastError: (error as Error).message });
      return;
    }
    const relayed = this.options.notify.normalize ? this.normalized(routerTopic, payload) : payload;
    this.outbox.offer({ topic, payload: relayed, qos: this.qos, retain: false });
  }

  private normalized(routerTopic: string, payload: Buffer): string {
    const result = normalizeNotification(routerTopic, payload);
    if (result.ok) return JSON.stringify(result.event);
    this.malformed += 1;
    this.problems.note('malformedPayload', 1, { lastTopic: routerTopic, lastError: result.error });
    return JSON.stringify(malformedNotification(routerTopic, payload, result.error));
  }
}
