/**
 * The composition root: starts every long-lived part from the config, in the
 * order they depend on each other, each leaving a closer on a stack; stopping
 * (or a part that fails to start) runs the closers in reverse.
 *
 *   embedded broker? → emulators? → state (SQLite or PostgreSQL) → MQTT client
 *   (not yet connected) → device states → devices (session, programmed paths,
 *   device state, reconciler, relays) → inbox journal → intent pipeline → MQTT
 *   connect and subscribe
 *   → HTTP metrics/health?
 */
import type { Logger } from 'pino';
import { from, map, merge } from 'rxjs';
import { DeviceStatePublisher } from './bridge/device-state.js';
import { DeviceRuntime } from './bridge/device-runtime.js';
import { InboxJournal } from './bridge/inbox-journal.js';
import { openStateBackend } from './bridge/state-backend.js';
import { CloserStack, errorText, StartFailure, systemError } from './bridge/lifecycle.js';
import { readMqttTls } from './bridge/tls-files.js';
import type { BridgeConfig } from './config/schema.js';
import { startEmulatorStack, type EmulatorStack } from './emulator/main.js';
import { BridgeMetrics } from './http/metrics.js';
import { assessReadiness } from './http/readiness.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { DEFAULT_INTENT_LIMITS } from './intent/intent.js';
import { BridgeMqttClient } from './mqtt/client.js';
import {
  EMBEDDED_BROKER_PROTOCOL_VERSION,
  isListening,
  startEmbeddedBroker,
  type EmbeddedBroker,
} from './mqtt/embedded-broker.js';
import { Topics } from './mqtt/topics.js';
import { createOpHandler } from './pipeline/op-command.js';
import { createIntentPipeline } from './pipeline/pipeline.js';
import { packageVersion } from './version.js';

export { StartFailure, type StartFailureKind } from './bridge/lifecycle.js';

export interface Bridge {
  readonly topics: Topics;
  readonly metrics: BridgeMetrics;
  /** The HTTP port actually bound, when enabled. */
  readonly httpPort?: number;
  readonly emulators: ReadonlyMap<string, EmulatorStack>;
  /** The devices served; each can be started and stopped while the bridge runs. */
  readonly devices: DeviceRuntime;
  /** Stops taking intents, drains in-flight batches, publishes `offline`, then closes everything. */
  stop(opts?: { drainTimeoutMs?: number }): Promise<void>;
  /** Resolves (with the reason) if the bridge can no longer work: its PostgreSQL state connection ended. */
  readonly failed: Promise<Error>;
}

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

/** A listening socket that could not bind, as a start failure naming the setting. */
function listenFailure(error: unknown, what: string, host: string, port: number): StartFailure {
  const { code } = systemError(error);
  const reason =
    code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use`
      : code === 'EACCES'
        ? `no permission to listen on port ${port} on ${host}`
        : `cannot listen on ${host}:${port}: ${errorText(error)}`;
  return new StartFailure(code === 'EADDRINUSE' ? 'in-use' : 'config', `${what}: ${reason}`, { cause: error });
}

/** Starts the embedded broker when asked and nothing listens on the URL's port yet. */
async function maybeStartBroker(config: BridgeConfig, logger: Logger): Promise<EmbeddedBroker | undefined> {
  if (!config.mqtt.embeddedBroker) return undefined;
  const url = new URL(config.mqtt.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 1883);
  if (await isListening(host, port)) {
    logger.info({ url: config.mqtt.url }, 'an MQTT broker already listens there; using it instead of the embedded one');
    return undefined;
  }
  const broker = await startEmbeddedBroker({ host, port, logger }).catch((error: unknown) => {
    throw listenFailure(error, 'mqtt.embeddedBroker', host, port);
  });
  logger.info(
    { url: config.mqtt.url },
    'embedded MQTT broker started (MQTT 3.1.1 only; use Mosquitto or another broker for MQTT 5)',
  );
  return broker;
}

/** Starts the emulator impersonating the configured device `name`, the `i`-th emulated one. */
async function startEmulator(config: BridgeConfig, name: string, i: number, logger: Logger): Promise<EmulatorStack> {
  const device = config.devices.find((d) => d.name === name);
  if (device === undefined) throw new StartFailure('config', `emulator.devices[${i}]: no device named ${name}`);
  const { host, port } = hostPort(device.address);
  const users = Object.fromEntries([
    ...Object.entries(config.emulator.users).map(([u, s]) => [u, s.value]),
    [device.username, device.password.value],
  ]);
  const admin =
    config.emulator.adminPort === undefined
      ? undefined
      : { host: '127.0.0.1', port: config.emulator.adminPort === 0 ? 0 : config.emulator.adminPort + i };
  const stack = await startEmulatorStack({
    emulator: { host, port, dialects: 'both', users, purgeTimeoutMs: config.emulator.purgeTimeoutSec * 1000 },
    ...(admin && { admin }),
    ...(config.emulator.notifyMqtt && { notify: { url: config.emulator.notifyMqtt } }),
    hostname: name,
    version: packageVersion(),
    logger,
  }).catch((error: unknown) => {
    // The admin API binds after the gRPC port; the error's port says which one failed.
    const failed = systemError(error).port;
    if (admin && failed !== undefined && failed === admin.port && failed !== port)
      throw listenFailure(error, `emulator.adminPort (admin API of ${name})`, admin.host, admin.port);
    throw listenFailure(error, `emulator of device ${name} (its address)`, host, port);
  });
  logger.warn(
    { device: name, address: device.address, admin: stack.admin && `http://127.0.0.1:${stack.admin.port}` },
    `device ${name} is the built-in JET EMULATOR, not a router: routes programmed here go nowhere`,
  );
  return stack;
}

function createMqttClient(config: BridgeConfig, topics: Topics, embedded: boolean, logger: Logger): BridgeMqttClient {
  return new BridgeMqttClient({
    url: config.mqtt.urls,
    protocolVersion: embedded ? EMBEDDED_BROKER_PROTOCOL_VERSION : config.mqtt.protocolVersion,
    clientId: config.mqtt.clientId,
    ...(config.mqtt.username && { username: config.mqtt.username }),
    ...(config.mqtt.password && { password: config.mqtt.password }),
    ...(config.mqtt.tls && { tls: readMqttTls(config.mqtt.tls, 'mqtt.tls') }),
    sessionExpirySec: config.mqtt.sessionExpirySec,
    receiveMaximum: config.mqtt.receiveMaximum,
    qos: config.mqtt.qos,
    statusTopic: topics.bridgeStatus(config.mqtt.clientId),
    outboxLimit: config.mqtt.outboxLimit,
    logger,
  });
}

/**
 * Starts the bridge. When a part fails to start, the parts already started are
 * stopped and a StartFailure says which setting or resource was the problem.
 */
export async function startBridge(config: BridgeConfig, logger: Logger): Promise<Bridge> {
  const parts = new CloserStack(logger);
  try {
    return await startParts(config, logger, parts);
  } catch (error) {
    await parts.close();
    throw error;
  }
}

async function startParts(config: BridgeConfig, logger: Logger, parts: CloserStack): Promise<Bridge> {
  const topics = new Topics(config.mqtt.topicPrefix);
  const metrics = new BridgeMetrics({ devices: config.devices.map((d) => d.name), version: packageVersion() });
  const broker = await parts.start(
    'embedded broker',
    () => maybeStartBroker(config, logger),
    (b) => b?.close(),
  );
  const emulators = new Map<string, EmulatorStack>();
  if (config.emulator.enabled) {
    const names = config.emulator.devices ?? config.devices.map((d) => d.name);
    for (const [i, name] of names.entries()) {
      const stack = await parts.start(
        `emulator ${name}`,
        () => startEmulator(config, name, i, logger),
        (s) => s.stop(),
      );
      emulators.set(name, stack);
    }
  }
  let reportFailure: (error: Error) => void = () => {};
  const failed = new Promise<Error>((resolve) => {
    reportFailure = resolve;
  });
  const state = await parts.start(
    'state',
    () =>
      openStateBackend(config, topics, logger, (error) => {
        logger.error({ err: error.message }, 'lost the connection to the PostgreSQL state: nothing can be recorded');
        reportFailure(error);
      }),
    (s) => s.close(),
  );
  // Created, not connected: the state closes after the client has stopped replying.
  const mqtt = createMqttClient(config, topics, broker !== undefined, logger);
  parts.defer('MQTT client', () => mqtt.stop({ graceful: true }));
  const states = new DeviceStatePublisher({ mqtt, topics, metrics, logger });
  const connected = mqtt.connected$.subscribe((c) => metrics.mqttConnected(c));
  parts.defer('MQTT connection metric', () => connected.unsubscribe());

  // Each device's reconciler retries in the device's pipeline lane; devices start once the pipeline is there.
  const devices = new DeviceRuntime({
    config,
    state,
    mqtt,
    topics,
    metrics,
    states,
    logger,
    lane: (name) => pipeline.lane(name),
  });
  const journal = new InboxJournal({ mqtt, topics, logger, stateOf: (name) => devices.stateOf(name) });
  const pipeline = createIntentPipeline({
    devices: devices.contexts,
    topics,
    reply: journal.reply,
    limits: { ...DEFAULT_INTENT_LIMITS, maxPayloadBytes: config.mqtt.maxPayloadBytes },
    config: config.pipeline,
    logger,
    metrics,
    opHandler: createOpHandler({ devices: devices.ops, topics, reply: journal.reply, logger }),
  });
  parts.defer('devices', () => devices.stopAll());
  let drainTimeoutMs = 10_000;
  parts.defer('intent pipeline', async () => {
    try {
      await pipeline.drain(drainTimeoutMs);
    } catch (err) {
      logger.warn({ err: errorText(err) }, 'drain timed out; unfinished requests stay in the inbox or at the broker');
    }
  });
  for (const device of config.devices) await devices.start(device.name);
  // After the devices, so that requests kept from the last run find them; before connecting, which delivers queued ones.
  pipeline.run(merge(from(await journal.recovered(devices.names())), mqtt.messages$.pipe(map(journal.journaled))));

  await connectAndSubscribe(config, mqtt, topics, devices.names());

  let http: HttpServer | undefined;
  if (config.http.enabled) {
    let mqttUp = false;
    const up = mqtt.connected$.subscribe((c) => {
      mqttUp = c;
    });
    parts.defer('readiness', () => up.unsubscribe());
    const { host, port } = config.http;
    http = await parts.start(
      'HTTP server',
      () =>
        startHttpServer({
          host,
          port,
          metrics,
          readiness: () => assessReadiness(mqttUp, states.statuses),
          logger,
        }).catch((error: unknown) => {
          throw listenFailure(error, 'http.port', host, port);
        }),
      (h) => h.close(),
    );
  }

  logger.info(
    { brokers: config.mqtt.urls, devices: devices.names(), http: http && `http://${config.http.host}:${http.port}` },
    'jetbridge is running',
  );
  printTryIt(config, topics, emulators);

  let stopping: Promise<void> | undefined;
  const stop = (opts: { drainTimeoutMs?: number } = {}) => {
    if (opts.drainTimeoutMs !== undefined) drainTimeoutMs = opts.drainTimeoutMs;
    stopping ??= parts.close().then(() => logger.info('jetbridge stopped'));
    return stopping;
  };
  return { topics, metrics, ...(http && { httpPort: http.port }), emulators, devices, stop, failed };
}

/**
 * Connects and subscribes. The persistent session keeps the filters of the other
 * subscribe mode, should an earlier run have used it: wildcards would leak other
 * bridges' intents in, and per-device filters next to a wildcard could deliver an
 * intent twice, so those are retired.
 */
async function connectAndSubscribe(
  config: BridgeConfig,
  mqtt: BridgeMqttClient,
  topics: Topics,
  devices: readonly string[],
): Promise<void> {
  const perDevice = topics.subscriptions(devices);
  const wildcards = topics.subscriptions();
  const [wanted, retire] = config.mqtt.subscribe === 'devices' ? [perDevice, wildcards] : [wildcards, perDevice];
  try {
    await mqtt.start(wanted, { retire });
  } catch (error) {
    const where = config.mqtt.urls.map((url) => new URL(url).host).join(', ');
    throw new StartFailure('unreachable', `mqtt.url: the broker at ${where} refused the bridge: ${errorText(error)}`, {
      cause: error,
    });
  }
}

/** What a newcomer can publish to see the bridge work. */
function printTryIt(config: BridgeConfig, topics: Topics, emulators: ReadonlyMap<string, EmulatorStack>): void {
  if (!process.stdout.isTTY && !process.env.JETBRIDGE_TRY_IT) return;
  const device = config.devices[0]?.name;
  if (device === undefined) return;
  const url = new URL(config.mqtt.url);
  const host = url.hostname;
  const port = url.port || '1883';
  const admin = emulators.get(device)?.admin;
  const lines = [
    '',
    'Try it (in another terminal):',
    `  mosquitto_sub -h ${host} -p ${port} -t '${topics.intentResult(device)}' -t '${topics.state(device)}' -v &`,
    `  mosquitto_pub -h ${host} -p ${port} -q 1 -t '${topics.intent(device)}' -m '{"id":"demo-1","prefix":"10.123.0.0/24","nextHops":["10.0.0.1","10.0.0.2"],"localPref":200}'`,
    ...(admin ? [`  curl -s http://127.0.0.1:${admin.port}/routes    # the emulator's RIB`] : []),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
