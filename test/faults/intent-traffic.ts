/**
 * The users' side of a fault scenario: a publisher that sends numbered route
 * intents with QoS 1 at a steady pace, and a subscriber that collects the result
 * messages by intent id. Both keep persistent MQTT 5 sessions, as a careful user
 * would, so that a broker restart loses nothing on their side of the bridge.
 *
 * Each intent names its own MQTT 5 response topic and has a payload length of
 * its own, so a broker's log tells which intent every PUBLISH it handled
 * carried (see broker-log.ts).
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResultMessage } from '../../src/mqtt/results.js';

/** How long a user's session outlives its connection at the broker. */
const SESSION_EXPIRY_SEC = 600;
const RECONNECT_MS = 100;

/** Intent `n` of a scenario: its own /24 in 10/8 and its own next hop. */
export function intentFor(n: number): { id: string; prefix: string; nextHops: string[] } {
  return {
    id: `intent-${n}`,
    prefix: `10.${(n >> 8) & 255}.${n & 255}.0/24`,
    nextHops: [`192.0.2.${(n % 250) + 1}`],
  };
}

/** Payload length of intent 0; intent n is n bytes longer. Above the longest unpadded intent. */
const PAYLOAD_BASE_BYTES = 128;

export function payloadLength(n: number): number {
  return PAYLOAD_BASE_BYTES + n;
}

/** Intent `n` as JSON, padded with trailing spaces (which JSON allows) to payloadLength(n). */
function intentPayload(n: number): string {
  const json = JSON.stringify(intentFor(n));
  if (json.length > payloadLength(n))
    throw new Error(`intent ${n} is longer than its payload length ${payloadLength(n)}`);
  return json.padEnd(payloadLength(n), ' ');
}

/** Where the result of intent `n` goes: its own level under `root`. */
export function resultTopic(root: string, n: number): string {
  return `${root}/${intentFor(n).id}`;
}

function sessionOptions(clientId: string): mqtt.IClientOptions {
  return {
    protocolVersion: 5,
    clientId,
    clean: false,
    reconnectPeriod: RECONNECT_MS,
    properties: { sessionExpiryInterval: SESSION_EXPIRY_SEC },
  };
}

export interface BurstOptions {
  count: number;
  /** Intents published together, then a pause of `intervalMs`. */
  chunk: number;
  intervalMs: number;
}

/** Publishes intents with QoS 1; mqtt.js resends any not acknowledged by the broker. */
export class IntentPublisher {
  private published = 0;
  private acknowledged = 0;
  private readonly failures: Error[] = [];
  private readonly waiting: Array<{ count: number; resolve(): void }> = [];

  private constructor(
    private readonly client: MqttClient,
    private readonly topic: string,
    private readonly resultRoot: string,
  ) {}

  /** Publishes to `topic`; intent n asks for its result on resultTopic(resultRoot, n). */
  static async connect(url: string, topic: string, resultRoot: string): Promise<IntentPublisher> {
    const client = await mqtt.connectAsync(url, sessionOptions(`publisher-${randomUUID().slice(0, 8)}`));
    return new IntentPublisher(client, topic, resultRoot);
  }

  /** Resolves once at least `count` intents have been handed to the MQTT client. */
  reached(count: number): Promise<void> {
    if (this.published >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ count, resolve }));
  }

  /** Publishes intents 0..count-1 in paced chunks; resolves when the last is handed over. */
  async burst({ count, chunk, intervalMs }: BurstOptions): Promise<void> {
    for (let n = 0; n < count; n++) {
      this.publish(n);
      if ((n + 1) % chunk === 0) await sleep(intervalMs);
    }
  }

  /** Waits until the broker has acknowledged every intent; throws on a refused publish. */
  async allAcknowledged(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledged < this.published) {
      if (this.failures.length > 0) throw this.failures[0];
      if (Date.now() > deadline)
        throw new Error(`the broker acknowledged ${this.acknowledged} of ${this.published} intents in ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }

  private publish(n: number): void {
    const properties = { responseTopic: resultTopic(this.resultRoot, n) };
    this.client.publish(this.topic, intentPayload(n), { qos: 1, properties }, (error) => {
      if (error) this.failures.push(error);
      else this.acknowledged += 1;
    });
    this.published += 1;
    for (const waiter of this.waiting.filter((w) => this.published >= w.count)) {
      this.waiting.splice(this.waiting.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

/** What one scenario measured. */
export interface Tally {
  published: number;
  /** Result messages received, duplicates included. */
  results: number;
  /** Published intents without any result. */
  lost: number;
  /** Result messages beyond the first for an intent. */
  duplicates: number;
  /** Intents whose every result is a failure (the route was not programmed). */
  failed: number;
  /** Status → intents, for intents that failed. */
  failures: Record<string, number>;
}

/** Collects intent results by intent id. */
export class ResultCollector {
  /** Intent id → the statuses of every result message received for it. */
  private readonly byId = new Map<string, string[]>();
  private total = 0;
  private lastArrival = Date.now();

  private constructor(private readonly client: MqttClient) {
    client.on('message', (_topic, payload) => this.record(payload));
  }

  /** Subscribes to the result topics under `resultRoot`. */
  static async subscribe(url: string, resultRoot: string): Promise<ResultCollector> {
    const client = await mqtt.connectAsync(url, sessionOptions(`results-${randomUUID().slice(0, 8)}`));
    const collector = new ResultCollector(client);
    await client.subscribeAsync(`${resultRoot}/+`, { qos: 1 });
    return collector;
  }

  /**
   * Waits until every one of `published` intents has a result, then until no
   * result has arrived for `quietMs`, so late duplicates are counted too. Returns
   * at the deadline whatever arrived; the tally tells what is missing.
   */
  async settle(published: number, { timeoutMs, quietMs }: { timeoutMs: number; quietMs: number }): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.byId.size >= published && Date.now() - this.lastArrival >= quietMs) return;
      await sleep(25);
    }
  }

  /** The numbers of the intents among 0..published-1 without any result. */
  unanswered(published: number): number[] {
    return Array.from({ length: published }, (_, n) => n).filter((n) => !this.byId.has(intentFor(n).id));
  }

  tally(published: number): Tally {
    const failures: Record<string, number> = {};
    let answered = 0;
    for (let n = 0; n < published; n++) {
      const statuses = this.byId.get(intentFor(n).id);
      if (statuses === undefined) continue;
      answered += 1;
      if (statuses.includes('SUCCESS')) continue;
      const status = statuses[statuses.length - 1]!;
      failures[status] = (failures[status] ?? 0) + 1;
    }
    return {
      published,
      results: this.total,
      lost: published - answered,
      duplicates: this.total - this.byId.size,
      failed: Object.values(failures).reduce((a, b) => a + b, 0),
      failures,
    };
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }

  private record(payload: Buffer): void {
    const message = JSON.parse(payload.toString()) as ResultMessage;
    const id = message.id ?? '(no id)';
    const status = message.results[0]?.status ?? message.error ?? 'NO_RESULT';
    this.byId.set(id, [...(this.byId.get(id) ?? []), status]);
    this.total += 1;
    this.lastArrival = Date.now();
  }
}
