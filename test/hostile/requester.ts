/**
 * An MQTT 5 requester for the hostile suite: publishes payloads with QoS 1, each
 * with a response topic and correlation data of its own, and counts the replies
 * per correlation. Garbage has no intent id, so correlation data is the only way
 * to tell which message a reply answers, and to see a message answered twice.
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Reply {
  text: string;
}

export class Requester {
  private next = 0;
  /** Correlation (hex) → every reply received for it. */
  private readonly replies = new Map<string, Reply[]>();
  private readonly sent = new Set<string>();
  private readonly strays: string[] = [];

  private constructor(
    private readonly client: MqttClient,
    private readonly replyTopic: string,
  ) {
    client.on('message', (_topic, payload, packet) => this.record(payload, packet.properties?.correlationData));
  }

  static async connect(url: string): Promise<Requester> {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      clean: true,
      clientId: `hostile-${randomUUID().slice(0, 8)}`,
    });
    const replyTopic = `hostile-replies/${randomUUID().slice(0, 8)}`;
    await client.subscribeAsync(replyTopic, { qos: 1 });
    return new Requester(client, replyTopic);
  }

  /** Messages published so far. */
  get published(): number {
    return this.sent.size;
  }

  /** Replies that carried no correlation data, or one this requester never sent. */
  get strayReplies(): readonly string[] {
    return this.strays;
  }

  /**
   * Publishes `payload` to `topic`, naming the requester's reply topic as the response
   * topic unless told another; resolves with its correlation once the broker has it.
   */
  async request(topic: string, payload: Buffer, responseTopic = this.replyTopic): Promise<string> {
    const correlation = Buffer.alloc(8);
    correlation.writeBigUInt64BE(BigInt(this.next++));
    const key = correlation.toString('hex');
    this.sent.add(key);
    await this.client.publishAsync(topic, payload, {
      qos: 1,
      properties: { responseTopic, correlationData: correlation },
    });
    return key;
  }

  /** Also takes replies published on `topic` (where a bridge answers without a usable response topic). */
  async listen(topic: string): Promise<void> {
    await this.client.subscribeAsync(topic, { qos: 1 });
  }

  /** Waits until each correlation has a reply; throws naming the unanswered ones after `timeoutMs`. */
  async replyTo(correlations: readonly string[], timeoutMs: number): Promise<Reply[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = correlations.filter((c) => !this.replies.has(c));
      if (missing.length === 0) return correlations.map((c) => this.replies.get(c)![0]!);
      if (Date.now() > deadline)
        throw new Error(`no reply within ${timeoutMs} ms to ${missing.length} of ${correlations.length} messages`);
      await sleep(20);
    }
  }

  /** Correlation → reply count, for every message sent. */
  replyCounts(): Map<string, number> {
    return new Map([...this.sent].map((c) => [c, this.replies.get(c)?.length ?? 0]));
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }

  private record(payload: Buffer, correlationData: Buffer | undefined): void {
    const key = correlationData?.toString('hex');
    const text = payload.toString();
    if (key === undefined || !this.sent.has(key)) {
      this.strays.push(text);
      return;
    }
    this.replies.set(key, [...(this.replies.get(key) ?? []), { text }]);
  }
}
