/**
 * MQTT request/response for the command-line tools. With MQTT 5 a request names
 * a private response topic and correlation data, so the bridge answers there
 * only; with MQTT 3.1.1 the tool listens on the device's public result topic and
 * matches the reply by the request's id (see intent-request.ts).
 */
import { randomUUID } from 'node:crypto';
import mqtt, { ErrorWithReasonCode, type IClientOptions, type MqttClient } from 'mqtt';
import { replyIds } from './intent-request.js';

/** TLS for the client tools: file contents, as mqtt.js (Node's tls) takes them. */
export interface CliTlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
  /** false: trust the chain but not the host name (mosquitto_pub's --insecure). */
  checkHostname: boolean;
}

export interface CliBrokerOptions {
  url: string;
  protocolVersion: 4 | 5;
  /** With protocol 5: connect with MQTT 3.1.1 instead when the broker refuses MQTT 5. */
  fallbackToMqtt3?: boolean;
  username?: string;
  password?: string;
  tls?: CliTlsOptions;
}

/**
 * CONNACK codes of a broker that does not speak the protocol version asked for:
 * 1 in MQTT 3.1.1 (what aedes, the embedded broker, answers an MQTT 5 client), 0x84 in MQTT 5.
 */
const UNSUPPORTED_PROTOCOL_CODES: ReadonlySet<number> = new Set([1, 0x84]);

export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
}

function tlsClientOptions(tls: CliTlsOptions | undefined): Partial<IClientOptions> {
  if (tls === undefined) return {};
  const { checkHostname, ...rest } = tls;
  return { ...rest, ...(!checkHostname && { checkServerIdentity: () => undefined }) };
}

function connectWith(opts: CliBrokerOptions, protocolVersion: 4 | 5): Promise<MqttClient> {
  const options: IClientOptions = {
    ...tlsClientOptions(opts.tls),
    protocolVersion,
    clientId: `jetbridge-cli-${randomUUID().slice(0, 8)}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    username: opts.username,
    password: opts.password,
  };
  return mqtt.connectAsync(opts.url, options);
}

/**
 * Connects once, without reconnecting. With `fallbackToMqtt3`, a broker that
 * refuses MQTT 5 is asked again with MQTT 3.1.1; `onFallback` hears about it.
 */
export async function connectCli(opts: CliBrokerOptions, onFallback?: () => void): Promise<MqttClient> {
  try {
    return await connectWith(opts, opts.protocolVersion);
  } catch (err) {
    const refusedVersion = err instanceof ErrorWithReasonCode && UNSUPPORTED_PROTOCOL_CODES.has(err.code);
    if (opts.protocolVersion !== 5 || !opts.fallbackToMqtt3 || !refusedVersion) throw err;
    onFallback?.();
    return connectWith(opts, 4);
  }
}

/** A reply stream: every request made through it gets its own correlation data. */
export class Requester {
  private readonly replyTopic = `jetbridge-cli/${randomUUID()}/reply`;
  private readonly waiting = new Map<string, (payload: Buffer) => void>();
  private subscribed: Promise<unknown> | undefined;
  private readonly fallbackTopics = new Set<string>();

  constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const correlation = packet.properties?.correlationData?.toString();
      const keys = this.fallbackTopics.has(topic)
        ? replyIds(parseJson(payload))
        : correlation === undefined
          ? []
          : [correlation];
      const key = keys.find((k) => this.waiting.has(k));
      if (key === undefined) return;
      const resolve = this.waiting.get(key)!;
      this.waiting.delete(key);
      resolve(payload);
    });
  }

  private get v5(): boolean {
    return this.client.options.protocolVersion === 5;
  }

  /**
   * Publishes `payload` and resolves with the reply that carries `correlationId`
   * (as correlation data with MQTT 5, as its id with MQTT 3.1.1). `fallbackTopic`
   * is where the bridge answers clients without MQTT 5.
   */
  async request(
    topic: string,
    payload: object,
    correlationId: string,
    fallbackTopic: string,
    timeoutMs: number,
  ): Promise<Buffer> {
    if (this.v5) this.subscribed ??= this.client.subscribeAsync(this.replyTopic, { qos: 1 });
    else if (!this.fallbackTopics.has(fallbackTopic)) {
      this.fallbackTopics.add(fallbackTopic);
      await this.client.subscribeAsync(fallbackTopic, { qos: 1 });
    }
    await this.subscribed;
    const reply = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(correlationId);
        reject(
          new RequestTimeoutError(
            `no reply to ${correlationId} on ${this.v5 ? this.replyTopic : fallbackTopic} within ${timeoutMs} ms (is the bridge running and serving this device?)`,
          ),
        );
      }, timeoutMs);
      this.waiting.set(correlationId, (buf) => {
        clearTimeout(timer);
        resolve(buf);
      });
    });
    await this.client.publishAsync(topic, JSON.stringify(payload), {
      qos: 1,
      properties: this.v5 ? { responseTopic: this.replyTopic, correlationData: Buffer.from(correlationId) } : undefined,
    });
    return reply;
  }
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString()) as unknown;
  } catch {
    return undefined;
  }
}
