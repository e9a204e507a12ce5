/**
 * MQTT request/response for the command-line tools. With MQTT 5 a request names
 * a private response topic and correlation data, so the bridge answers there
 * only; with MQTT 3.1.1 the tool listens on the device's public result topic and
 * matches the reply by the request's `id`.
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface CliBrokerOptions {
  url: string;
  protocolVersion: 4 | 5;
  username?: string;
  password?: string;
}

export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
}

export async function connectCli(opts: CliBrokerOptions): Promise<MqttClient> {
  const options: IClientOptions = {
    protocolVersion: opts.protocolVersion,
    clientId: `jetbridge-cli-${randomUUID().slice(0, 8)}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    username: opts.username,
    password: opts.password,
  };
  return mqtt.connectAsync(opts.url, options);
}

/** A reply stream: every request made through it gets its own correlation data. */
export class Requester {
  private readonly replyTopic = `jetbridge-cli/${randomUUID()}/reply`;
  private readonly waiting = new Map<string, (payload: Buffer) => void>();
  private subscribed: Promise<unknown> | undefined;
  private readonly fallbackTopics = new Set<string>();

  constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const key = this.fallbackTopics.has(topic) ? idOf(payload) : packet.properties?.correlationData?.toString();
      const resolve = key === undefined ? undefined : this.waiting.get(key);
      if (resolve) {
        this.waiting.delete(key!);
        resolve(payload);
      }
    });
  }

  private get v5(): boolean {
    return this.client.options.protocolVersion === 5;
  }

  /**
   * Publishes `payload` (which must carry `id` for MQTT 3.1.1) and resolves with
   * the reply. `fallbackTopic` is where the bridge answers clients without MQTT 5.
   */
  async request(topic: string, payload: { id: string } & Record<string, unknown>, fallbackTopic: string, timeoutMs: number): Promise<Buffer> {
    if (this.v5) this.subscribed ??= this.client.subscribeAsync(this.replyTopic, { qos: 1 });
    else if (!this.fallbackTopics.has(fallbackTopic)) {
      this.fallbackTopics.add(fallbackTopic);
      await this.client.subscribeAsync(fallbackTopic, { qos: 1 });
    }
    await this.subscribed;
    const reply = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(payload.id);
        reject(new RequestTimeoutError(`no reply to ${payload.id} on ${this.v5 ? this.replyTopic : fallbackTopic} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(payload.id, (buf) => {
        clearTimeout(timer);
        resolve(buf);
      });
    });
    await this.client.publishAsync(topic, JSON.stringify(payload), {
      qos: 1,
      properties: this.v5 ? { responseTopic: this.replyTopic, correlationData: Buffer.from(payload.id) } : undefined,
    });
    return reply;
  }
}

function idOf(payload: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(payload.toString()) as { id?: unknown };
    return typeof parsed.id === 'string' ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}
