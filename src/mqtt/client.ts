/**
 * The bridge's MQTT session. mqtt.js speaks the protocol (reconnects, keepalive, QoS
 * handshakes, resubscribing when the broker lost the session); this module adds the
 * bridge's lifecycle on top of it:
 * - a persistent session, so that intents sent while the bridge is down wait at the
 *   broker and arrive when it returns;
 * - manual acknowledgement of inbound QoS 1/2 messages (see {@link InboundMessage.ack});
 * - retained `online` on every connect, `offline` as last will and on a graceful stop;
 * - a bounded outbox for what is published while the broker is unreachable;
 * - replies to an MQTT 5 response topic with the request's correlation data.
 *
 * Manual acknowledgement and ordering. MQTT wants PUBACKs in the order of the
 * PUBLISHes, and mqtt.js keeps that order by handling one inbound packet at a time: it
 * takes the next packet from the socket only when the `customHandleAcks` callback of
 * the current one has run. While one message waits for ack(), mqtt.js therefore reads
 * nothing else from the broker: no further message, no PUBACK for this client's own
 * QoS 1 publishes, no PINGRESP (a wait longer than about 1.5 x keepalive ends the
 * connection). So:
 * - call ack() as soon as the message is handed off (parsed and queued), not after the
 *   work it asks for, or the bridge processes one message at a time;
 * - never wait for a QoS 1/2 publish() before acking: its PUBACK is queued behind the
 *   ack, and the two wait for each other until the keepalive timeout;
 * - ack() of a message whose connection has closed does nothing: the broker
 *   redelivers the message on the next connection.
 * mqtt.js honours customHandleAcks with MQTT 5 only; with MQTT 3.1.1 it acknowledges
 * each message on receipt and ack() does nothing.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import mqtt, {
  ErrorWithReasonCode,
  type IClientOptions,
  type IClientPublishOptions,
  type IPublishPacket,
  type MqttClient,
} from 'mqtt';
import type { Logger } from 'pino';
import { BehaviorSubject, type Observable, Subject, distinctUntilChanged, filter, firstValueFrom } from 'rxjs';
import { z } from 'zod';

export type QoS = 0 | 1 | 2;

/** A secret whose text is read only where it is used, so it never lands in a log. */
export interface SecretValue {
  readonly value: string;
}

/** TLS material as file contents (the configuration loader reads the files). */
export interface MqttTlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface BridgeMqttClientOptions {
  /**
   * `mqtt://`, `mqtts://`, `ws://` or `wss://`; several URLs are nodes of one cluster,
   * tried in turn (mqtt.js `servers`): the client connects to the first and moves to
   * the next one whenever a connection fails, keeping its persistent session, which
   * lives in the cluster. A WebSocket path is taken from the first URL.
   */
  url: string | readonly string[];
  protocolVersion: 4 | 5;
  clientId: string;
  username?: string;
  password?: SecretValue;
  tls?: MqttTlsOptions;
  /** How long the broker keeps the session after a disconnect (MQTT 5). Default 3600. */
  sessionExpirySec?: number;
  /** How many unacknowledged QoS 1/2 messages the broker may send at once (MQTT 5). Default 65535. */
  receiveMaximum?: number;
  /** QoS of the subscriptions and the default for publish(). Default 1. */
  qos?: QoS;
  /** Retained `online` / `offline` go here; `offline` is also the last will. */
  statusTopic: string;
  /** Messages kept while the broker is unreachable; beyond it the oldest is dropped. Default 10000. */
  outboxLimit?: number;
  /** Default 30. */
  keepaliveSec?: number;
  /** Delay between reconnect attempts. Default 1000. */
  reconnectPeriodMs?: number;
  /** Bound on each step of a graceful stop. Default 2000. */
  stopTimeoutMs?: number;
  logger: Logger;
}

/** One message from the broker. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  /** `performance.now()` when the message reached the bridge. */
  receivedAt: number;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Record<string, string | string[]>;
  /**
   * Acknowledges the message to the broker (MQTT 5, QoS 1/2). Until it is called the
   * client handles no further packet from the broker: see the module comment.
   * Idempotent; does nothing for QoS 0 or under MQTT 3.1.1.
   */
  ack(): void;
}

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  /** MQTT 5 only; left out under MQTT 3.1.1. */
  correlationData?: Buffer;
  /** MQTT 5 only; left out under MQTT 3.1.1. */
  properties?: IClientPublishOptions['properties'];
}

/** A publish() whose message left the outbox unsent because the outbox was full. */
export class OutboxOverflowError extends Error {
  constructor(
    readonly topic: string,
    readonly outboxLimit: number,
  ) {
    super(`MQTT outbox is full (${outboxLimit} messages): dropped the oldest, to ${topic}`);
    this.name = 'OutboxOverflowError';
  }
}

const STATUS_ONLINE = 'online';
const STATUS_OFFLINE = 'offline';

const brokerUrl = z.url({ protocol: /^(mqtts?|wss?)$/, error: 'must be an mqtt://, mqtts://, ws:// or wss:// URL' });

const optionsSchema = z.object({
  url: z
    .union([brokerUrl, z.array(brokerUrl).min(1)])
    .transform((url): string[] => (typeof url === 'string' ? [url] : url)),
  clientId: z.string().min(1),
  statusTopic: z.string().min(1),
  sessionExpirySec: z.int().min(0).max(0xffff_ffff).default(3600),
  receiveMaximum: z.int().min(1).max(65_535).default(65_535),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  outboxLimit: z.int().min(0).default(10_000),
  keepaliveSec: z.int().min(0).max(65_535).default(30),
  reconnectPeriodMs: z.int().min(1).default(1000),
  stopTimeoutMs: z.int().min(1).default(2000),
});

type Settings = Omit<BridgeMqttClientOptions, 'url'> & z.output<typeof optionsSchema>;

/** Options with defaults filled in; throws an error naming each bad field. */
function settingsFrom(options: BridgeMqttClientOptions): Settings {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid MQTT client options: ${problems.join('; ')}`);
  }
  const plain = parsed.data.url.find((url) => !/^(mqtts|wss):/.test(url));
  if (options.tls && plain !== undefined) {
    throw new Error(
      `invalid MQTT client options: tls is set but url "${new URL(plain).protocol}//" is not mqtts:// or wss://`,
    );
  }
  return { ...options, ...parsed.data };
}

/** A publish() waiting to be sent or acknowledged. */
interface PendingPublish {
  topic: string;
  payload: string | Buffer;
  options: IClientPublishOptions;
  resolve(): void;
  reject(error: Error): void;
}

export class BridgeMqttClient {
  /** Messages from the broker. Subscribe before start(): see start(). */
  readonly messages$: Observable<InboundMessage>;
  /** Whether a connection to the broker is up; replays the current value. */
  readonly connected$: Observable<boolean>;

  private readonly settings: Settings;
  private readonly log: Logger;
  private readonly inbound = new Subject<InboundMessage>();
  private readonly connection = new BehaviorSubject<boolean>(false);
  /**
   * Publishes made while no connection was up, oldest first. mqtt.js has an offline
   * queue of its own, but it has no bound and does not count what it loses, so the
   * bridge keeps these here (bounded, drops counted and logged) and hands mqtt.js a
   * message only while connected (`queueQoSZero` is off). A QoS 1/2 message already
   * handed over when the connection breaks stays in mqtt.js's in-flight store, which
   * resends it after the reconnect.
   */
  private readonly outbox: PendingPublish[] = [];
  /** Every publish() not settled yet, so that stop() can settle them. */
  private readonly unsettled = new Set<PendingPublish>();
  private client: MqttClient | undefined;
  /** Counts closed connections; an ack belongs to the connection that delivered it. */
  private connectionNumber = 0;
  /** Set by the first stop(); later calls share it. */
  private stopping: Promise<void> | undefined;
  /** Aborted when stop() begins, so that a pending start() gives up. */
  private readonly stopRequest = new AbortController();
  private drops = 0;
  private lastError: string | undefined;
  /** retainedTopics() calls in progress. */
  private censuses: Census[] = [];

  constructor(options: BridgeMqttClientOptions) {
    this.settings = settingsFrom(options);
    this.log = options.logger.child({ component: 'mqtt', clientId: options.clientId });
    this.messages$ = this.inbound.asObservable();
    this.connected$ = this.connection.pipe(distinctUntilChanged());
  }

  /** How many messages the outbox dropped because it was full. */
  get outboxDrops(): number {
    return this.drops;
  }

  /** How many messages wait in the outbox for a connection. */
  get outboxSize(): number {
    return this.outbox.length;
  }

  /**
   * Connects, then subscribes to `topics`. Resolves once both are done; keeps retrying
   * while the broker is unreachable, and rejects if the broker refuses the connection
   * (for example bad credentials) or a subscription. A resumed session delivers queued
   * messages right after connecting, so messages$ must have a subscriber by then.
   * `retire` names filters an earlier configuration may have left in the persistent
   * session; they are unsubscribed first (a filter the session does not hold is
   * harmless to unsubscribe).
   */
  async start(topics: readonly string[] = [], { retire = [] }: { retire?: readonly string[] } = {}): Promise<void> {
    if (this.client || this.stopping) {
      throw new Error('BridgeMqttClient.start() was already called, or stop() was');
    }
    if (topics.length > 0 && !this.inbound.observed) {
      throw new Error('subscribe to messages$ before start(): queued messages arrive as soon as the session resumes');
    }
    const [first] = this.settings.url as [string, ...string[]];
    this.log.info(
      { brokers: this.settings.url.map((url) => new URL(url).host), protocolVersion: this.settings.protocolVersion },
      'connecting to MQTT broker',
    );
    const client = mqtt.connect(first, this.connectOptions());
    this.client = client;
    client.on('connect', (connack) => this.onConnect(connack.sessionPresent));
    client.on('close', () => this.onClose());
    client.on('message', (topic, _payload, packet) => this.onMessage(topic, packet));
    client.on('error', (error) => this.onError(error));
    client.on('reconnect', () => this.log.debug('reconnecting to MQTT broker'));
    try {
      await Promise.race([
        connectAndSubscribe(client, topics, retire, this.settings.qos),
        rejectOnAbort(this.stopRequest.signal),
      ]);
    } catch (error) {
      await this.stop({ graceful: false });
      throw error;
    }
  }

  /**
   * Publishes now if connected, otherwise after the next connect (see the outbox).
   * Resolves once the message is sent (QoS 0) or acknowledged by the broker (QoS 1/2);
   * rejects with OutboxOverflowError if the full outbox dropped it, or if stop() came
   * first, or if the broker refused it.
   */
  publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    if (this.stopping) {
      return Promise.reject(new Error(`MQTT client is stopped: not publishing to ${topic}`));
    }
    return new Promise<void>((resolve, reject) => {
      const pending: PendingPublish = {
        topic,
        payload,
        options: this.publishOptions(options),
        resolve: () => {
          this.unsettled.delete(pending);
          resolve();
        },
        reject: (error) => {
          this.unsettled.delete(pending);
          reject(error);
        },
      };
      this.unsettled.add(pending);
      this.send(pending);
    });
  }

  /**
   * Answers `request`: to its MQTT 5 response topic when it named one that can be
   * published to, otherwise to `defaultTopic`; with the request's correlation data
   * either way.
   */
  reply(request: InboundMessage, defaultTopic: string, payload: string): Promise<void> {
    const { responseTopic } = request;
    let topic = defaultTopic;
    if (responseTopic !== undefined) {
      const problem = topicNameProblem(responseTopic);
      if (problem === undefined) topic = responseTopic;
      else
        this.log.debug(
          { problem, defaultTopic },
          'the request named a response topic that cannot be published to; answering on the default topic',
        );
    }
    return this.publish(topic, payload, { correlationData: request.correlationData });
  }

  /**
   * Ends the session. Graceful: publishes retained `offline`, then disconnects. Not
   * graceful: drops the connection without DISCONNECT, so the broker publishes the last
   * will. Unsent publishes are rejected; un-acked messages are redelivered next time.
   */
  stop({ graceful = true }: { graceful?: boolean } = {}): Promise<void> {
    this.stopping ??= this.shutdown(graceful);
    return this.stopping;
  }

  private async shutdown(graceful: boolean): Promise<void> {
    this.stopRequest.abort();
    const client = this.client;
    if (client && graceful && client.connected) {
      const offline = client.publishAsync(this.settings.statusTopic, STATUS_OFFLINE, { qos: 1, retain: true });
      if (!(await settlesWithin(offline, this.settings.stopTimeoutMs))) {
        this.log.warn('broker did not acknowledge the offline status in time; the last will stands in for it');
      }
    }
    if (client && !(await settlesWithin(client.endAsync(!graceful), this.settings.stopTimeoutMs))) {
      this.log.warn('MQTT client did not close in time; closing its socket');
      client.stream.destroy();
    }
    for (const pending of [...this.unsettled]) {
      pending.reject(new Error(`MQTT client stopped before the message to ${pending.topic} was delivered`));
    }
    this.outbox.length = 0;
    this.connection.next(false);
    this.connection.complete();
    this.inbound.complete();
    this.log.info('MQTT client stopped');
  }

  private connectOptions(): IClientOptions {
    const s = this.settings;
    const options: IClientOptions = {
      protocolVersion: s.protocolVersion,
      clientId: s.clientId,
      username: s.username,
      password: s.password?.value,
      // A persistent session: the broker keeps subscriptions and queues QoS 1/2
      // messages for the bridge while it is away.
      clean: false,
      keepalive: s.keepaliveSec,
      reconnectPeriod: s.reconnectPeriodMs,
      // A refused reconnect (say, a broker restarting) is retried like a network error;
      // start() still fails on the first refusal.
      reconnectOnConnackError: true,
      resubscribe: true,
      queueQoSZero: false,
      // A keepalive PINGREQ every keepalive period, not a timer reset for every packet
      // sent: that reset cost more than a percent of the bridge's time under load.
      reschedulePings: false,
      // mqtt.js traces every packet through `debug`; its own formatting costs even
      // when the trace is off, so it is wired in only when DEBUG asks for it.
      ...(!/mqttjs/.test(process.env.DEBUG ?? '') && { log: noop }),
      will: { topic: s.statusTopic, payload: Buffer.from(STATUS_OFFLINE), qos: 1, retain: true },
      ...s.tls,
      // mqtt.js moves to the next node for each new connection attempt.
      ...(s.url.length > 1 && { servers: s.url.map(serverOf) }),
    };
    if (s.protocolVersion === 5) {
      // Without a session expiry an MQTT 5 session ends with the connection.
      options.properties = { sessionExpiryInterval: s.sessionExpirySec, receiveMaximum: s.receiveMaximum };
      options.customHandleAcks = (topic, _payload, packet: IPublishPacket, done) => {
        // Reason code 0 is success: mqtt.js then sends the PUBACK / PUBREC.
        this.deliver(topic, packet, () => done(0));
      };
    }
    return options;
  }

  /** The node of the current connection, `host:port`. */
  get broker(): string | undefined {
    const options = this.client?.options;
    return options?.hostname === undefined ? undefined : `${options.hostname}:${options.port}`;
  }

  private onConnect(sessionPresent: boolean): void {
    this.log.info({ broker: this.broker, sessionPresent }, 'connected to MQTT broker');
    this.lastError = undefined;
    this.connection.next(true);
    this.client?.publish(this.settings.statusTopic, STATUS_ONLINE, { qos: 1, retain: true }, (error) => {
      if (error) this.log.warn({ error: error.message }, 'could not publish the online status');
    });
    this.flushOutbox();
  }

  /** Logs an error once while it repeats, as it does on every reconnect attempt during an outage. */
  private onError(error: Error): void {
    if (error.message === this.lastError) return;
    this.lastError = error.message;
    this.log.warn({ error: error.message }, 'MQTT client error');
  }

  private onClose(): void {
    this.connectionNumber += 1;
    if (this.connection.value && !this.stopping) {
      this.log.warn('lost the connection to the MQTT broker');
    }
    this.connection.next(false);
  }

  /**
   * The topics under `topicFilter` (ending in `/#`) that hold a retained
   * message now, as a new subscriber would be sent them. It subscribes to the
   * filter and to a marker topic of its own, then publishes to the marker.
   * Mosquitto sends a subscription's retained messages before anything
   * published after it, so the marker's arrival says they are all in; a broker
   * that streams them lazily (aedes) may let the marker overtake some, so the
   * census ends only once no retained message has come for `quietMs` after it.
   * Messages under the filter meanwhile are not passed on to messages$. Waits
   * for a connection; rejects after `timeoutMs`.
   */
  async retainedTopics(topicFilter: string, { quietMs = 250, timeoutMs = 30_000 } = {}): Promise<string[]> {
    if (!topicFilter.endsWith('/#')) throw new Error(`retainedTopics takes a filter ending in /#, got ${topicFilter}`);
    const client = this.client;
    if (client === undefined) throw new Error('BridgeMqttClient.retainedTopics() before start()');
    const census = new Census(topicFilter.slice(0, -1), `${topicFilter.slice(0, -2)}-census/${randomUUID()}`, quietMs);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`retained messages under ${topicFilter} did not all arrive within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    this.censuses.push(census);
    try {
      await Promise.race([firstValueFrom(this.connected$.pipe(filter((up) => up))), timedOut]);
      await Promise.race([client.subscribeAsync([topicFilter, census.marker], { qos: 0 }), timedOut]);
      await Promise.race([client.publishAsync(census.marker, '', { qos: 0 }), timedOut]);
      await Promise.race([census.complete, timedOut]);
      return census.found;
    } finally {
      clearTimeout(timer);
      census.end();
      this.censuses = this.censuses.filter((c) => c !== census);
      await client.unsubscribeAsync([topicFilter, census.marker]).catch(() => undefined);
    }
  }

  /** Takes a message a retainedTopics() census is waiting for; true when it was one. */
  private counted(topic: string, packet: IPublishPacket): boolean {
    for (const census of this.censuses) {
      if (topic === census.marker) {
        census.markerArrived();
        return true;
      }
      if (topic.startsWith(census.under)) {
        // Only what the broker holds (retain set on delivery), not a live publish, and
        // not an empty payload, which is how a retained message is deleted.
        if (packet.retain && packet.payload.length > 0) census.retained(topic);
        return true;
      }
    }
    return false;
  }

  /**
   * mqtt.js emits every message here; under MQTT 5 the QoS 1/2 ones were already
   * delivered from customHandleAcks, before their acknowledgement.
   */
  private onMessage(topic: string, packet: IPublishPacket): void {
    if (this.censuses.length > 0 && this.counted(topic, packet)) return;
    if (packet.qos === 0 || this.settings.protocolVersion !== 5) {
      this.deliver(topic, packet, noop);
    }
  }

  private deliver(topic: string, packet: IPublishPacket, acknowledge: () => void): void {
    const connection = this.connectionNumber;
    let acked = false;
    const properties = packet.properties;
    this.inbound.next({
      topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      qos: packet.qos,
      receivedAt: performance.now(),
      responseTopic: properties?.responseTopic,
      correlationData: properties?.correlationData,
      userProperties: properties?.userProperties,
      ack: () => {
        if (acked) return;
        acked = true;
        // On a newer connection the packet id names nothing, or another message.
        if (connection === this.connectionNumber) acknowledge();
      },
    });
  }

  private publishOptions({ qos, retain, correlationData, properties }: PublishOptions): IClientPublishOptions {
    const options: IClientPublishOptions = { qos: qos ?? this.settings.qos, retain: retain ?? false };
    if (this.settings.protocolVersion === 5 && (properties || correlationData)) {
      options.properties = { ...properties, ...(correlationData && { correlationData }) };
    }
    return options;
  }

  private send(pending: PendingPublish): void {
    const client = this.client;
    // While older messages wait in the outbox, newer ones queue behind them.
    if (!client?.connected || this.outbox.length > 0) {
      this.keep(pending);
      return;
    }
    client.publish(pending.topic, pending.payload, pending.options, (error) => {
      if (!error) {
        pending.resolve();
      } else if (!client.connected && !this.stopping) {
        // Lost with the connection (a QoS 0 message in flight): send it again later.
        this.keep(pending);
      } else {
        pending.reject(error);
      }
    });
  }

  private keep(pending: PendingPublish): void {
    this.outbox.push(pending);
    if (this.outbox.length <= this.settings.outboxLimit) return;
    const dropped = this.outbox.shift() as PendingPublish;
    this.drops += 1;
    this.log.warn(
      { topic: dropped.topic, drops: this.drops, outboxLimit: this.settings.outboxLimit },
      'MQTT outbox full: dropped its oldest message',
    );
    dropped.reject(new OutboxOverflowError(dropped.topic, this.settings.outboxLimit));
  }

  /** Sends what waited in the outbox, oldest first; runs right after each connect. */
  private flushOutbox(): void {
    const waiting = this.outbox.splice(0);
    if (waiting.length > 0) {
      this.log.info({ count: waiting.length }, 'sending messages kept while disconnected');
    }
    for (const pending of waiting) this.send(pending);
  }
}

/** One retainedTopics() call: the topics found, and when it may end. */
class Census {
  readonly found: string[] = [];
  /** Resolves once the marker came and then no retained message for `quietMs`. */
  readonly complete: Promise<void>;
  private finish!: () => void;
  private markerSeen = false;
  private quiet: NodeJS.Timeout | undefined;

  constructor(
    /** Topics under the filter start with this. */
    readonly under: string,
    readonly marker: string,
    private readonly quietMs: number,
  ) {
    this.complete = new Promise((resolve) => (this.finish = resolve));
  }

  retained(topic: string): void {
    this.found.push(topic);
    if (this.markerSeen) this.restartQuiet();
  }

  markerArrived(): void {
    this.markerSeen = true;
    this.restartQuiet();
  }

  end(): void {
    clearTimeout(this.quiet);
  }

  private restartQuiet(): void {
    clearTimeout(this.quiet);
    this.quiet = setTimeout(this.finish, this.quietMs);
  }
}

function noop(): void {}

type BrokerProtocol = 'mqtt' | 'mqtts' | 'ws' | 'wss';

/** One node of a cluster as mqtt.js's `servers` option wants it. */
function serverOf(url: string): { host: string; port: number; protocol: BrokerProtocol } {
  const parsed = new URL(url);
  const protocol = parsed.protocol.slice(0, -1) as BrokerProtocol;
  const defaultPort = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 }[protocol];
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || defaultPort), protocol };
}

/** Longest topic name MQTT can carry: a two-byte length prefix. */
const MAX_TOPIC_BYTES = 65_535;

/**
 * Why `topic` cannot be a PUBLISH topic name, or undefined when it can. A response
 * topic comes from whoever sent the request, and Mosquitto passes one with
 * wildcards on. Publishing to it is a protocol error for which the broker drops
 * the connection, and mqtt.js resends the message after every reconnect, so one
 * such request would keep the bridge off the broker for good. `$` topics belong
 * to the broker, which drops what clients publish there: the answer would be lost.
 */
function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'empty topic';
  if (/[+#\0]/.test(topic)) return 'topic contains a wildcard (+, #) or NUL';
  if (topic.startsWith('$')) return 'topics starting with $ are reserved for the broker';
  if (Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES) return `topic is longer than ${MAX_TOPIC_BYTES} bytes`;
  return undefined;
}

/**
 * Resolves on the first connect. Rejects when the broker refuses the connection: a
 * CONNACK refusal carries a reason code, and retrying the same credentials cannot
 * help. Network errors are left to mqtt.js's reconnects.
 */
function firstConnection(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const onConnect = (): void => {
      client.off('error', onError);
      resolve();
    };
    const onError = (error: Error): void => {
      if (!(error instanceof ErrorWithReasonCode)) return;
      client.off('connect', onConnect);
      client.off('error', onError);
      reject(new Error(`MQTT broker refused the connection: ${error.message}`));
    };
    client.once('connect', onConnect);
    client.on('error', onError);
  });
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(new Error('MQTT client was stopped before it had started')), {
      once: true,
    });
  });
}

async function connectAndSubscribe(
  client: MqttClient,
  topics: readonly string[],
  retire: readonly string[],
  qos: QoS,
): Promise<void> {
  await firstConnection(client);
  const stale = retire.filter((filter) => !topics.includes(filter));
  if (stale.length > 0) await client.unsubscribeAsync([...stale]);
  if (topics.length === 0) return;
  try {
    await client.subscribeAsync([...topics], { qos });
  } catch (error) {
    throw new Error(`MQTT broker refused the subscription to ${topics.join(', ')}: ${(error as Error).message}`);
  }
}

/** Waits for `promise` to settle, at most `ms`; tells whether it settled. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
