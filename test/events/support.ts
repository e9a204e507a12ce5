/**
 * Test fixtures for the event relays: a logger whose lines the test can read, a
 * hand-driven MQTT publisher, and subscribers on a real broker that record what
 * they receive. Every subscriber made here is closed by closeSubscribers().
 */
import mqtt, { type MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import type { MqttPublisher, Publication } from '../../src/events/publish-pump.js';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export const WARN = 40;

/** A pino logger that keeps its lines for the test to read. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

interface HeldPublish {
  publication: Publication;
  settle(error?: Error): void;
}

/** An MQTT publisher whose publishes stay in flight until the test settles them. */
export class HandDrivenPublisher implements MqttPublisher {
  readonly sent: Publication[] = [];
  private readonly held: HeldPublish[] = [];

  publish(topic: string, payload: string | Buffer, options: { qos?: 0 | 1 | 2; retain?: boolean }): Promise<void> {
    const publication: Publication = { topic, payload, qos: options.qos ?? 0, retain: options.retain ?? false };
    this.sent.push(publication);
    return new Promise((resolve, reject) => {
      this.held.push({ publication, settle: (error) => (error ? reject(error) : resolve()) });
    });
  }

  get inFlight(): number {
    return this.held.length;
  }

  /** Acknowledges the oldest `count` publishes in flight; the promise callbacks run before it resolves. */
  async ack(count = this.held.length): Promise<void> {
    for (const held of this.held.splice(0, count)) held.settle();
    await flushPromises();
  }

  async fail(error: Error, count = this.held.length): Promise<void> {
    for (const held of this.held.splice(0, count)) held.settle(error);
    await flushPromises();
  }

  payloads(): string[] {
    return this.sent.map((p) => p.payload.toString());
  }
}

/** Lets pending promise callbacks run. */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

/** An mqtt.js subscriber recording every message it gets, in order. */
export interface Recorder {
  client: MqttClient;
  messages: Received[];
  /** Payloads (UTF-8) of the messages on `topic`. */
  on(topic: string): string[];
}

const subscribers: MqttClient[] = [];

export async function subscribe(url: string, filters: string[], protocolVersion: 4 | 5 = 5): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, { protocolVersion, reconnectPeriod: 100, clean: true });
  subscribers.push(client);
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload, retain: packet.retain }));
  await client.subscribeAsync(filters, { qos: 1 });
  return {
    client,
    messages,
    on: (topic) => messages.filter((m) => m.topic === topic).map((m) => m.payload.toString()),
  };
}

export async function closeSubscribers(): Promise<void> {
  await Promise.all(subscribers.splice(0).map((client) => client.endAsync(true)));
}
