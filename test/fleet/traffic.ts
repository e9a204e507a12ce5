/**
 * The users' side of the fleet tests, in MQTT 3.1.1 so it runs on NATS's MQTT
 * listener as well as on Mosquitto: a publisher of numbered QoS 1 intents per
 * device, and a collector of results matched by intent id (3.1.1 has no response
 * topics). Both keep persistent sessions (fixed client id, clean: false), so a
 * broker node failing loses nothing on the users' side.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import type { ResultMessage } from '../../src/mqtt/results.js';
import type { Topics } from '../../src/mqtt/topics.js';

const RECONNECT_MS = 100;

/** Intent `n` for `device`: its own /24 (10.x.y.0/24) and a next hop that changes with `round`. */
export function fleetIntent(device: string, n: number, round = 0): { id: string; prefix: string; nextHops: string[] } {
  return {
    id: `${device}-${round}-${n}`,
    prefix: `10.${(n >> 8) & 255}.${n & 255}.0/24`,
    nextHops: [`192.0.2.${(round % 250) + 1}`],
  };
}

/** The RIB lines `fleetIntent(device, 0..count-1, round)` leave on the router, sorted. */
export function ribOf(count: number, round = 0): string[] {
  const lines: string[] = [];
  for (let n = 0; n < count; n++) {
    const { prefix, nextHops } = fleetIntent('', n, round);
    lines.push(`inet.0 ${prefix} via ${nextHops.join(',')}`);
  }
  return lines.sort();
}

function session(url: string | readonly string[], clientId: string): Promise<MqttClient> {
  const urls = typeof url === 'string' ? [url] : url;
  const servers = urls.map((u) => {
    const parsed = new URL(u);
    return { host: parsed.hostname, port: Number(parsed.port) };
  });
  return mqtt.connectAsync(urls[0] as string, {
    protocolVersion: 4,
    clientId,
    clean: false,
    reconnectPeriod: RECONNECT_MS,
    ...(servers.length > 1 && { servers }),
  });
}

/** Publishes intents with QoS 1; mqtt.js resends any the broker has not acknowledged. */
export class FleetPublisher {
  private published = 0;
  private acknowledged = 0;
  private readonly failures: Error[] = [];

  private constructor(
    private readonly client: MqttClient,
    private readonly topics: Topics,
  ) {}

  static async connect(url: string | readonly string[], topics: Topics): Promise<FleetPublisher> {
    return new FleetPublisher(await session(url, `publisher-${randomUUID().slice(0, 8)}`), topics);
  }

  get count(): number {
    return this.published;
  }

  publish(device: string, n: number, round = 0): void {
    const payload = JSON.stringify(fleetIntent(device, n, round));
    this.client.publish(this.topics.intent(device), payload, { qos: 1 }, (error) => {
      if (error) this.failures.push(error);
      else this.acknowledged += 1;
    });
    this.published += 1;
  }

  /**
   * Publishes intents 0..count-1 of `round` to every device, in chunks of `chunk`
   * per device with `intervalMs` between chunks; `onProgress(done)` runs after each
   * chunk, so a test can strike mid-burst.
   */
  async burst(
    devices: readonly string[],
    { count, chunk, intervalMs, round = 0 }: { count: number; chunk: number; intervalMs: number; round?: number },
    onProgress: (done: number) => Promise<void> = async () => {},
  ): Promise<void> {
    for (let n = 0; n < count; n += chunk) {
      for (let k = n; k < Math.min(count, n + chunk); k++) for (const device of devices) this.publish(device, k, round);
      await onProgress(Math.min(count, n + chunk));
      await sleep(intervalMs);
    }
  }

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
}

/** Collects result messages of every device by intent id. */
export class FleetResults {
  private readonly byId = new Map<string, string[]>();
  private total = 0;
  private lastArrival = Date.now();

  private constructor(private readonly client: MqttClient) {
    client.on('message', (_topic, payload) => this.record(payload));
  }

  static async subscribe(url: string | readonly string[], topics: Topics): Promise<FleetResults> {
    const client = await session(url, `results-${randomUUID().slice(0, 8)}`);
    const results = new FleetResults(client);
    await client.subscribeAsync(`${topics.prefix}/+/bgp/result`, { qos: 1 });
    return results;
  }

  /** The ids among `expected` without a result. */
  missing(expected: readonly string[]): string[] {
    return expected.filter((id) => !this.byId.has(id));
  }

  /** Ids whose every result is a failure, with the last status. */
  failed(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [id, statuses] of this.byId) if (!statuses.includes('SUCCESS')) out[id] = statuses.at(-1) ?? '';
    return out;
  }

  get duplicates(): number {
    return this.total - this.byId.size;
  }

  /** Waits until every id in `expected` has a result and none arrived for `quietMs`; returns at the deadline regardless. */
  async settle(expected: readonly string[], { timeoutMs = 30_000, quietMs = 500 } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.missing(expected).length === 0 && Date.now() - this.lastArrival >= quietMs) return;
      await sleep(25);
    }
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

/** The ids `fleetIntent` gives intents 0..count-1 of `round` for each device. */
export function idsOf(devices: readonly string[], count: number, round = 0): string[] {
  return devices.flatMap((device) => Array.from({ length: count }, (_, n) => fleetIntent(device, n, round).id));
}
