/**
 * Test fixtures for the MQTT client tests: bridges under test, plain mqtt.js clients
 * playing the users, and bounded waits for what either side receives. Every client
 * made through a Fixtures instance is closed by close().
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { type Observable, ReplaySubject, filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { BridgeMqttClient, type BridgeMqttClientOptions, type InboundMessage } from '../../src/mqtt/client.js';
import { Topics } from '../../src/mqtt/topics.js';

export const WAIT_MS = 5000;

export const quietLogger = pino({ level: 'silent' });

/** Topics under a prefix of their own, so that tests sharing a broker do not meet. */
export function uniqueTopics(): Topics {
  return new Topics(`t-${randomUUID().slice(0, 8)}/jet`);
}

/** The first value of `source` that matches, or an error after WAIT_MS. */
export function first<T>(source: Observable<T>, predicate: (value: T) => boolean = () => true): Promise<T> {
  return firstValueFrom(source.pipe(filter(predicate), timeout({ first: WAIT_MS })));
}

/** The first `count` values of `source`, or an error after WAIT_MS. */
export function firstN<T>(source: Observable<T>, count: number): Promise<T[]> {
  return firstValueFrom(source.pipe(take(count), toArray(), timeout({ first: WAIT_MS })));
}

export interface BridgeUnderTest {
  client: BridgeMqttClient;
  clientId: string;
  /** Every message the bridge received, replayed to late subscribers. */
  received: ReplaySubject<InboundMessage>;
}

export interface UserMessage {
  topic: string;
  text: string;
  packet: IPublishPacket;
}

export interface UserClient {
  client: MqttClient;
  received: ReplaySubject<UserMessage>;
}

export class Fixtures {
  private readonly bridges: BridgeMqttClient[] = [];
  private readonly users: MqttClient[] = [];

  constructor(
    private readonly url: () => string,
    private readonly protocolVersion: 4 | 5,
  ) {}

  /**
   * A bridge client, not started. Its messages are recorded in `received` and, with
   * `autoAck`, acknowledged as they arrive.
   */
  bridge(
    topics: Topics,
    { autoAck = true, ...overrides }: Partial<BridgeMqttClientOptions> & { autoAck?: boolean } = {},
  ): BridgeUnderTest {
    const clientId = overrides.clientId ?? `bridge-${randomUUID().slice(0, 8)}`;
    const client = new BridgeMqttClient({
      url: this.url(),
      protocolVersion: this.protocolVersion,
      clientId,
      statusTopic: topics.bridgeStatus(clientId),
      reconnectPeriodMs: 100,
      stopTimeoutMs: 1000,
      logger: quietLogger,
      ...overrides,
    });
    const received = new ReplaySubject<InboundMessage>();
    client.messages$.subscribe((message) => {
      received.next(message);
      if (autoAck) message.ack();
    });
    this.bridges.push(client);
    return { client, clientId, received };
  }

  /** A connected plain mqtt.js client with a clean session, subscribed to `filters`. */
  async user(filters: string[] = [], protocolVersion = this.protocolVersion): Promise<UserClient> {
    const client = await mqtt.connectAsync(this.url(), { protocolVersion, reconnectPeriod: 100, clean: true });
    this.users.push(client);
    const received = new ReplaySubject<UserMessage>();
    client.on('message', (topic, payload, packet) => received.next({ topic, text: payload.toString(), packet }));
    if (filters.length > 0) await client.subscribeAsync(filters, { qos: 1 });
    return { client, received };
  }

  async close(): Promise<void> {
    await Promise.all([
      ...this.bridges.splice(0).map((bridge) => bridge.stop({ graceful: false })),
      ...this.users.splice(0).map((user) => user.endAsync(true)),
    ]);
  }
}
