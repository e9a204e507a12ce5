/**
 * The whole bridge under test: `startBridge` in-process on a real broker (a
 * Mosquitto of the test file's own, or the embedded one on a free port), the
 * built-in JET emulator as each router on a free port, state in a temporary
 * folder, and an mqtt.js client playing the publisher. The tests see only what
 * a user sees (MQTT topics, the emulator's RIB, the bridge's metrics).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { filter, firstValueFrom, Subject, timeout } from 'rxjs';
import { startBridge, type Bridge } from '../../src/bridge.js';
import { parseConfig } from '../../src/config/load.js';
import type { BridgeConfig } from '../../src/config/schema.js';
import type { JetEmulator, ProgrammedRoute, RequestEvent } from '../../src/emulator/emulator.js';
import type { JetRequestOp } from '../../src/http/metrics.js';
import type { DialectName } from '../../src/jet/model.js';
import type { DeviceStateMessage, ResultMessage } from '../../src/mqtt/results.js';
import { Topics } from '../../src/mqtt/topics.js';
import { freePort } from '../helpers/ports.js';
import { parseExposition, sampleValue } from '../http/prom-text.js';

/** Longest any single wait in these tests may take. */
export const WAIT_MS = 8000;

export const quietLogger = pino({ level: 'silent' });

/** Where the bridge finds its broker: a running one, or its own embedded one on a free port. */
export type BrokerChoice = { kind: 'mosquitto'; url: string } | { kind: 'embedded' };

export interface DeviceSpec {
  name: string;
  dialect?: DialectName;
  /** More keys of the device's config entry: policy, rateLimit, unavailableBudgetMs, ... */
  config?: Record<string, unknown>;
}

export interface TestConfigOptions {
  broker: BrokerChoice;
  /** Default: one device `r1`, legacy dialect. Every device is emulated. */
  devices?: DeviceSpec[];
  /** Default `jet`. */
  topicPrefix?: string;
  /** Keys merged into the `mqtt` section (the url, when given, replaces the broker's). */
  mqtt?: Record<string, unknown>;
  /** Keys merged into the `pipeline` section. */
  pipeline?: Record<string, unknown>;
}

/** A configuration with its own ports and state folder; start it, stop it, start it again. */
export interface TestConfig {
  /** As it would be written in bridge.config.json. */
  raw: Record<string, unknown>;
  /** The folder of the state database; removed by dispose(). */
  stateDir: string;
  /** The broker the test client should use (not a proxy the bridge may go through). */
  brokerUrl: string;
  protocolVersion: 4 | 5;
  topics: Topics;
  clientId: string;
  dispose(): Promise<void>;
}

export async function makeTestConfig(options: TestConfigOptions): Promise<TestConfig> {
  const stateDir = await mkdtemp(join(tmpdir(), 'jetbridge-bridge-test-'));
  const brokerUrl = options.broker.kind === 'mosquitto' ? options.broker.url : `mqtt://127.0.0.1:${await freePort()}`;
  const topicPrefix = options.topicPrefix ?? 'jet';
  const clientId = `bridge-${randomUUID().slice(0, 8)}`;
  const devices = await Promise.all(
    (options.devices ?? [{ name: 'r1' }]).map(async (device) => ({
      name: device.name,
      address: `127.0.0.1:${await freePort()}`,
      dialect: device.dialect ?? 'legacy',
      username: 'jet',
      password: 'jet',
      ...device.config,
    })),
  );
  const raw = {
    mqtt: {
      url: brokerUrl,
      embeddedBroker: options.broker.kind === 'embedded',
      clientId,
      topicPrefix,
      ...options.mqtt,
    },
    devices,
    // A short purge timeout: a session that reconnects within it keeps its routes (rebound).
    emulator: { enabled: true, users: { jet: 'jet' }, purgeTimeoutSec: 5 },
    // Fast reconnects, so that a device comes back within a test's budget.
    pipeline: { retry: { initialMs: 20, maxMs: 200, maxAttempts: 3 }, ...options.pipeline },
    state: { path: join(stateDir, 'state.db') },
    log: { level: 'silent' },
  };
  return {
    raw,
    stateDir,
    brokerUrl,
    // The bridge falls back to MQTT 3.1.1 on the embedded broker; the publisher does the same.
    protocolVersion: options.broker.kind === 'embedded' ? 4 : 5,
    topics: new Topics(topicPrefix),
    clientId,
    dispose: () => rm(stateDir, { recursive: true, force: true }),
  };
}

/** One message the test client received. */
export interface Received {
  topic: string;
  text: string;
  packet: IPublishPacket;
}

/**
 * A plain mqtt.js client with a clean session that keeps every message it
 * receives, so a test can wait for one that arrived before or after it asked.
 */
export class TestClient {
  readonly log: Received[] = [];
  private readonly arrivals = new Subject<Received>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const received = { topic, text: payload.toString(), packet };
      this.log.push(received);
      this.arrivals.next(received);
    });
  }

  static async connect(url: string, protocolVersion: 4 | 5, filters: string[]): Promise<TestClient> {
    const client = await mqtt.connectAsync(url, {
      protocolVersion,
      clean: true,
      reconnectPeriod: 100,
      connectTimeout: WAIT_MS,
    });
    const test = new TestClient(client);
    if (filters.length > 0) await client.subscribeAsync(filters, { qos: 1 });
    return test;
  }

  /** Where the log ends now: `next(..., mark)` then looks only at later messages. */
  mark(): number {
    return this.log.length;
  }

  /** The first message from `since` on that matches, waiting up to WAIT_MS for it. */
  next(match: (message: Received) => boolean, since = 0): Promise<Received> {
    const earlier = this.log.slice(since).find(match);
    if (earlier) return Promise.resolve(earlier);
    return firstValueFrom(this.arrivals.pipe(filter(match), timeout({ first: WAIT_MS })));
  }

  /** Publishes `payload` (JSON-encoded unless text or bytes) at QoS 1 unless told otherwise. */
  async publish(topic: string, payload: unknown, options: IClientPublishOptions = {}): Promise<void> {
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await this.client.publishAsync(topic, body, { qos: 1, ...options });
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

/** Parses a received message's payload as JSON of the expected shape. */
export function body<T>(message: Received): T {
  return JSON.parse(message.text) as T;
}

/**
 * JET route requests as the emulator experienced them: the number of paths
 * each one changed, from the emulator's 'request' events. Requests that
 * changed nothing leave no trace here.
 */
export class RequestTap {
  readonly sizes: number[] = [];
  private readonly onRequest = (event: RequestEvent): void => {
    if (event.completed > 0) this.sizes.push(event.completed);
  };

  constructor(private readonly emulator: JetEmulator) {
    emulator.events.on('request', this.onRequest);
  }

  /** Sizes recorded from `since` (an earlier `sizes.length`) on. */
  since(since: number): number[] {
    return this.sizes.slice(since);
  }

  close(): void {
    this.emulator.events.off('request', this.onRequest);
  }
}

/** JET requests the bridge reports in its metrics for one device and operation. */
export interface RequestCounts {
  /** Requests made. */
  count: number;
  /** Routes in them, summed. */
  routes: number;
  /** Requests per upper bound of the batch-size histogram, as in `le="500"`. */
  atMost(bound: number): number;
}

export interface TestBridge {
  bridge: Bridge;
  config: BridgeConfig;
  topics: Topics;
  /** Subscribed to everything under the topic prefix. */
  client: TestClient;
  emulator(device?: string): JetEmulator;
  /** The emulator's paths for `prefix` (as `10.1.0.0/24`), any client's. */
  routes(prefix: string, device?: string): ProgrammedRoute[];
  /** Publishes `payload` on the device's intent topic and waits for its result message. */
  request(payload: unknown, options?: RequestOptions): Promise<ResultMessage>;
  /** Waits until the device's retained state says it is serving. */
  ready(device?: string): Promise<DeviceStateMessage>;
  jetRequests(op: JetRequestOp, device?: string): Promise<RequestCounts>;
  /** Stops the bridge and the client; removes the state unless `keepState`. Later calls wait for the first. */
  stop(options?: { keepState?: boolean; drainTimeoutMs?: number }): Promise<void>;
}

export interface RequestOptions {
  device?: string;
  /**
   * Which result message answers this request. Default: the one whose `id` is the
   * payload's `id`, or, for a payload without one, the next on the result topic.
   */
  match?: (result: ResultMessage) => boolean;
}

function payloadId(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const id = (payload as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

/** Starts the bridge of `config` and a publisher subscribed to everything under its prefix. */
export async function startTestBridge(test: TestConfig): Promise<TestBridge> {
  const config = parseConfig(test.raw, {}, test.stateDir);
  const bridge = await startBridge(config, quietLogger);
  const { topics } = test;
  let client: TestClient;
  try {
    client = await TestClient.connect(test.brokerUrl, test.protocolVersion, [`${topics.prefix}/#`]);
  } catch (error) {
    await bridge.stop();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const emulator = (device = 'r1'): JetEmulator => {
    const stack = bridge.emulators.get(device);
    if (!stack) throw new Error(`device ${device} is not emulated`);
    return stack.emulator;
  };

  return {
    bridge,
    config,
    topics,
    client,
    emulator,
    routes: (prefix, device) =>
      emulator(device)
        .routes()
        .filter((route) => `${route.prefix}/${route.length}` === prefix),
    async request(payload, { device = 'r1', match } = {}) {
      const since = client.mark();
      const id = payloadId(payload);
      const answers = match ?? ((result: ResultMessage) => id === undefined || result.id === id);
      const resultTopic = topics.intentResult(device);
      await client.publish(topics.intent(device), payload);
      const answer = await client.next((m) => m.topic === resultTopic && answers(body<ResultMessage>(m)), since);
      return body<ResultMessage>(answer);
    },
    async ready(device = 'r1') {
      const stateTopic = topics.state(device);
      const serving = (state: DeviceStateMessage) => state.state === 'ready' || state.state === 'rebound';
      // Only the latest state counts. It is the one with the latest `since`, not the
      // last to arrive: aedes may deliver the retained copy of an older state to a new
      // subscriber after a live newer one.
      const states = client.log.filter((m) => m.topic === stateTopic).map((m) => body<DeviceStateMessage>(m));
      const latest = states.sort((a, b) => Date.parse(a.since) - Date.parse(b.since)).at(-1);
      if (latest && serving(latest)) return latest;
      return body<DeviceStateMessage>(
        await client.next((m) => m.topic === stateTopic && serving(body<DeviceStateMessage>(m)), client.mark()),
      );
    },
    async jetRequests(op, device = 'r1') {
      const exposition = parseExposition(await bridge.metrics.render());
      const value = (name: string) => sampleValue(exposition, name, { device, op }) ?? 0;
      const buckets = new Map(
        exposition.samples
          .filter(
            (s) => s.name === 'jetbridge_jet_request_routes_bucket' && s.labels.device === device && s.labels.op === op,
          )
          .map((s) => [s.labels.le, s.value]),
      );
      return {
        count: value('jetbridge_jet_request_routes_count'),
        routes: value('jetbridge_jet_request_routes_sum'),
        atMost: (bound) => buckets.get(String(bound)) ?? 0,
      };
    },
    stop({ keepState = false, drainTimeoutMs } = {}) {
      stopping ??= (async () => {
        await client.close();
        await bridge.stop(drainTimeoutMs === undefined ? {} : { drainTimeoutMs });
        if (!keepState) await test.dispose();
      })();
      return stopping;
    },
  };
}
