/**
 * The composition root: builds every long-lived part from the config, in the
 * order they depend on each other, and stops them in reverse.
 *
 *   embedded broker? → emulators? → durable state → MQTT client
 *   → per device: JET session, policy, programmed paths, reconciler, state topic,
 *     monitor relay?, notify relay?
 *   → intent pipeline (MQTT in, JET out, results back) → HTTP metrics/health?
 */
import { readFileSync } from 'node:fs';
import { ErrorWithReasonCode } from 'mqtt';
import type { Logger } from 'pino';
import { combineLatest, from, map, merge, of, type Subscription } from 'rxjs';
import type { BridgeConfig, DeviceConfig } from './config/schema.js';
import { startEmulatorStack, type EmulatorStack } from './emulator/main.js';
import { MonitorRelay } from './events/monitor-relay.js';
import { NotifyRelay } from './events/notify-relay.js';
import { BridgeMetrics } from './http/metrics.js';
import { assessReadiness } from './http/readiness.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { DEFAULT_INTENT_LIMITS } from './intent/intent.js';
import { compilePolicy } from './intent/policy.js';
import { TokenBucket } from './intent/rate-limit.js';
import { pathCookie } from './intent/route-key.js';
import type { DeviceStatus } from './jet/device.js';
import type { BgpPath } from './jet/model.js';
import { JetDeviceSession } from './jet/session.js';
import { BridgeMqttClient, type InboundMessage, type MqttTlsOptions } from './mqtt/client.js';
import {
  EMBEDDED_BROKER_PROTOCOL_VERSION,
  isListening,
  startEmbeddedBroker,
  type EmbeddedBroker,
} from './mqtt/embedded-broker.js';
import type { DeviceStateMessage } from './mqtt/results.js';
import { Topics } from './mqtt/topics.js';
import type { DeviceContext } from './pipeline/context.js';
import { createOpHandler, type OpDevice } from './pipeline/op-command.js';
import { createIntentPipeline, type IntentPipeline } from './pipeline/pipeline.js';
import { inboxFileFor, SqliteInbox } from './state/inbox.js';
import { ProgrammedPaths } from './state/programmed.js';
import { Reconciler } from './pipeline/reconciler.js';
import { packageVersion } from './version.js';
import { ThreadedProgrammedStore } from './state/threaded-store.js';
import { UnreconciledPaths } from './state/unreconciled.js';

export const VERSION = '0.1.0';

export interface Bridge {
  readonly topics: Topics;
  readonly metrics: BridgeMetrics;
  /** The HTTP port actually bound, when enabled. */
  readonly httpPort?: number;
  readonly emulators: ReadonlyMap<string, EmulatorStack>;
  /** Stops taking intents, drains in-flight batches, publishes `offline`, then closes everything. */
  stop(opts?: { drainTimeoutMs?: number }): Promise<void>;
}

interface DeviceParts {
  config: DeviceConfig;
  session: JetDeviceSession;
  context: DeviceContext;
  unreconciled: UnreconciledPaths;
  reconciler?: Reconciler;
  monitor?: MonitorRelay;
  notify?: NotifyRelay;
}

function readTls(
  files: { ca?: string; cert?: string; key?: string } | undefined,
): Pick<MqttTlsOptions, 'ca' | 'cert' | 'key'> {
  return {
    ...(files?.ca && { ca: readFileSync(files.ca) }),
    ...(files?.cert && { cert: readFileSync(files.cert) }),
    ...(files?.key && { key: readFileSync(files.key) }),
  };
}

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
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
  const broker = await startEmbeddedBroker({ host, port, logger });
  logger.info(
    { url: config.mqtt.url },
    'embedded MQTT broker started (MQTT 3.1.1 only; use Mosquitto or another broker for MQTT 5)',
  );
  return broker;
}

async function startEmulators(config: BridgeConfig, logger: Logger): Promise<Map<string, EmulatorStack>> {
  const stacks = new Map<string, EmulatorStack>();
  if (!config.emulator.enabled) return stacks;
  const names = config.emulator.devices ?? config.devices.map((d) => d.name);
  for (const [i, name] of names.entries()) {
    const device = config.devices.find((d) => d.name === name)!;
    const { host, port } = hostPort(device.address);
    const users = Object.fromEntries([
      ...Object.entries(config.emulator.users).map(([u, s]) => [u, s.value]),
      [device.username, device.password.value],
    ]);
    const stack = await startEmulatorStack({
      emulator: { host, port, dialects: 'both', users, purgeTimeoutMs: config.emulator.purgeTimeoutSec * 1000 },
      ...(config.emulator.adminPort !== undefined && {
        admin: { host: '127.0.0.1', port: config.emulator.adminPort === 0 ? 0 : config.emulator.adminPort + i },
      }),
      ...(config.emulator.notifyMqtt && { notify: { url: config.emulator.notifyMqtt } }),
      hostname: name,
      version: VERSION,
      logger,
    });
    stacks.set(name, stack);
    logger.warn(
      { device: name, address: device.address, admin: stack.admin && `http://127.0.0.1:${stack.admin.port}` },
      `device ${name} is the built-in JET EMULATOR, not a router: routes programmed here go nowhere`,
    );
  }
  return stacks;
}

function createSession(config: BridgeConfig, device: DeviceConfig, logger: Logger): JetDeviceSession {
  return new JetDeviceSession({
    device: device.name,
    address: device.address,
    dialect: device.dialect,
    username: device.username,
    password: device.password,
    clientId: device.clientId,
    ...(device.tls && {
      tls: {
        caFile: device.tls.ca,
        certFile: device.tls.cert,
        keyFile: device.tls.key,
        serverName: device.tls.serverName,
      },
    }),
    rpcTimeoutMs: config.pipeline.rpcTimeoutMs,
    retry: config.pipeline.retry,
    unavailableBudgetMs: device.unavailableBudgetMs,
    maxQueued: device.queueLimit,
    logger,
  });
}

/**
 * The device's reconciler: at the first Initialize and whenever the router has
 * lost this client's routes it makes the router hold the durable record, and it
 * retries what the router refused, in the pipeline's lane for the device.
 */
function startReconciler(
  parts: DeviceParts,
  pipeline: IntentPipeline,
  config: BridgeConfig,
  metrics: BridgeMetrics,
  logger: Logger,
): Reconciler {
  const { session, context } = parts;
  const name = parts.config.name;
  return new Reconciler({
    session,
    programmed: context.programmed,
    unreconciled: parts.unreconciled,
    owned: (p: BgpPath) => {
      const first = p.nextHops[0];
      return first !== undefined && p.cookie === pathCookie(name, p.table, p.prefix, p.length, first);
    },
    lane: () => pipeline.lane(name),
    backoff: config.pipeline.retry,
    logger,
    metrics,
  });
}

export async function startBridge(config: BridgeConfig, logger: Logger): Promise<Bridge> {
  const broker = await maybeStartBroker(config, logger);
  const emulators = await startEmulators(config, logger);
  const topics = new Topics(config.mqtt.topicPrefix);
  const metrics = new BridgeMetrics({ devices: config.devices.map((d) => d.name), version: packageVersion() });
  const store = await ThreadedProgrammedStore.open(config.state.path);
  const inbox = new SqliteInbox(inboxFileFor(config.state.path));
  if (inbox.setAside)
    logger.error(
      inbox.setAside,
      'the inbox file was unreadable (a machine crash?); moved it aside and started with an empty inbox',
    );
  const adopted = inbox.adoptFrom(config.state.path);
  if (adopted > 0) logger.info({ count: adopted }, 'moved pending requests from the state file into the inbox file');

  const protocolVersion = broker ? EMBEDDED_BROKER_PROTOCOL_VERSION : config.mqtt.protocolVersion;
  const mqtt = new BridgeMqttClient({
    url: config.mqtt.urls,
    protocolVersion,
    clientId: config.mqtt.clientId,
    ...(config.mqtt.username && { username: config.mqtt.username }),
    ...(config.mqtt.password && { password: config.mqtt.password }),
    ...(config.mqtt.tls && {
      tls: {
        ...readTls(config.mqtt.tls),
        rejectUnauthorized: config.mqtt.tls.rejectUnauthorized,
        servername: config.mqtt.tls.servername,
      },
    }),
    sessionExpirySec: config.mqtt.sessionExpirySec,
    receiveMaximum: config.mqtt.receiveMaximum,
    qos: config.mqtt.qos,
    statusTopic: topics.bridgeStatus(config.mqtt.clientId),
    outboxLimit: config.mqtt.outboxLimit,
    logger,
  });

  const devices = new Map<string, DeviceParts>();
  for (const device of config.devices) {
    const session = createSession(config, device, logger);
    const programmed = new ProgrammedPaths();
    for (const p of await store.load(device.name)) programmed.apply(p);
    const policy = compilePolicy(device.policy);
    const unreconciled = new UnreconciledPaths();
    const context: DeviceContext = {
      session,
      programmed,
      policy,
      store,
      unreconciled,
      ...(device.rateLimit && {
        rateLimit: new TokenBucket({ ratePerSec: device.rateLimit.perSec, burst: device.rateLimit.burst }),
      }),
    };
    metrics.watchDevice(device.name, { programmedPaths: () => programmed.size, queueLimit: device.queueLimit });
    const parts: DeviceParts = { config: device, session, context, unreconciled };
    if (device.events.enabled) {
      parts.monitor = new MonitorRelay({
        session,
        client: mqtt,
        topics,
        logger,
        rib: device.events.rib,
        retainedCensus: mqtt,
        queueLimit: device.events.queueLimit,
        overflow: device.events.overflow,
        qos: config.mqtt.qos,
        metrics: {
          relayed: () => metrics.eventRelayed(device.name, 'monitor'),
          dropped: (n) => metrics.eventDropped(device.name, 'monitor', n),
        },
      });
    }
    if (device.notify) {
      parts.notify = new NotifyRelay({
        device: device.name,
        notify: {
          url: device.notify.url,
          ...(device.notify.username && { username: device.notify.username }),
          ...(device.notify.password && { password: device.notify.password }),
          ...(device.notify.tls && {
            tls: {
              ...readTls(device.notify.tls),
              rejectUnauthorized: device.notify.tls.rejectUnauthorized,
              servername: device.notify.tls.servername,
            },
          }),
          topics: device.notify.topics,
          normalize: device.notify.normalize,
        },
        client: mqtt,
        topics,
        logger,
        qos: config.mqtt.qos,
        metrics: {
          relayed: () => metrics.eventRelayed(device.name, 'notify'),
          dropped: (n) => metrics.eventDropped(device.name, 'notify', n),
        },
      });
    }
    devices.set(device.name, parts);
  }

  // Device state: retained, with the relays' drop counts so losses are never silent.
  const statuses = new Map<string, DeviceStatus>();
  const stateSubscriptions: Subscription[] = [];
  for (const [name, parts] of devices) {
    const drops$ = combineLatest([parts.monitor?.drops$ ?? of(0), parts.notify?.drops$ ?? of(0)]).pipe(
      map(([a, b]) => a + b),
    );
    stateSubscriptions.push(
      combineLatest([parts.session.status$, drops$, parts.unreconciled.count$]).subscribe(
        ([status, drops, unreconciled]) => {
          statuses.set(name, status);
          metrics.deviceState(name, status.state);
          metrics.unreconciledPaths(name, unreconciled);
          const message: DeviceStateMessage = {
            state: status.state,
            dialect: parts.config.dialect,
            since: status.since.toISOString(),
            ...(status.error && { error: status.error }),
            ...(drops > 0 && { drops }),
            ...(unreconciled > 0 && { unreconciled }),
          };
          mqtt
            .publish(topics.state(name), JSON.stringify(message), { retain: true, qos: 1 })
            .catch((err) => logger.debug({ device: name, err: (err as Error).message }, 'device state not published'));
        },
      ),
    );
  }
  stateSubscriptions.push(mqtt.connected$.subscribe((c) => metrics.mqttConnected(c)));

  // The durable inbox: a QoS 1/2 request is journaled, then acknowledged; it leaves
  // the journal when its reply has been published (see src/state/inbox.ts).
  const journal = new WeakMap<InboundMessage, number>();
  const reply = async (msg: InboundMessage, topic: string, payload: string) => {
    const seq = journal.get(msg);
    try {
      await mqtt.reply(msg, topic, payload);
    } catch (err) {
      // A broker that refuses the reply (an ACL, say) would refuse it on every
      // replay too: the request is done. Any other failure keeps it in the inbox.
      if (!(err instanceof ErrorWithReasonCode)) throw err;
      logger.warn(
        { topic: msg.responseTopic ?? topic, err: err.message },
        'the broker refused a reply; not retrying it',
      );
    }
    if (seq !== undefined) inbox.settle(seq);
  };
  const journaled = (msg: InboundMessage): InboundMessage => {
    if (msg.qos === 0 || topics.parseInbound(msg.topic) === undefined) return msg;
    const seq = inbox.put(msg);
    const held: InboundMessage = { ...msg, ack: () => msg.ack() };
    journal.set(held, seq);
    return held;
  };
  const recovered = inbox.pending().map((stored): InboundMessage => {
    const msg: InboundMessage = { ...stored, receivedAt: performance.now(), ack: () => {} };
    journal.set(msg, stored.seq);
    return msg;
  });
  if (recovered.length > 0) logger.info({ count: recovered.length }, 'serving requests accepted before the last stop');

  const opDevices = new Map<string, OpDevice>(
    [...devices].map(([name, p]) => [name, { session: p.session, allowedCommands: p.config.op.allowedCommands }]),
  );
  const pipeline: IntentPipeline = createIntentPipeline({
    devices: new Map([...devices].map(([name, p]) => [name, p.context])),
    topics,
    reply,
    limits: { ...DEFAULT_INTENT_LIMITS, maxPayloadBytes: config.mqtt.maxPayloadBytes },
    config: config.pipeline,
    logger,
    metrics,
    opHandler: createOpHandler({ devices: opDevices, topics, reply, logger }),
  });
  pipeline.run(merge(from(recovered), mqtt.messages$.pipe(map(journaled))));
  for (const parts of devices.values()) parts.reconciler = startReconciler(parts, pipeline, config, metrics, logger);

  for (const parts of devices.values()) {
    parts.session.start();
    parts.monitor?.start();
    await parts.notify?.start();
  }
  // The persistent session keeps the filters of the other subscribe mode, should an
  // earlier run have used it: wildcards would leak other bridges' intents in, and
  // per-device filters next to a wildcard could deliver an intent twice.
  const perDevice = topics.subscriptions([...devices.keys()]);
  const wildcards = topics.subscriptions();
  const [wanted, retire] = config.mqtt.subscribe === 'devices' ? [perDevice, wildcards] : [wildcards, perDevice];
  await mqtt.start(wanted, { retire });

  let http: HttpServer | undefined;
  if (config.http.enabled) {
    let connected = false;
    stateSubscriptions.push(mqtt.connected$.subscribe((c) => (connected = c)));
    http = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      metrics,
      readiness: () => assessReadiness(connected, statuses),
      logger,
    });
  }

  logger.info(
    {
      brokers: config.mqtt.urls,
      devices: [...devices.keys()],
      http: http && `http://${config.http.host}:${http.port}`,
    },
    'jetbridge is running',
  );
  printTryIt(config, topics, emulators);

  let stopping: Promise<void> | undefined;
  const stop = (opts: { drainTimeoutMs?: number } = {}) =>
    (stopping ??= (async () => {
      try {
        await pipeline.drain(opts.drainTimeoutMs ?? 10_000);
      } catch (err) {
        logger.warn(
          { err: (err as Error).message },
          'drain timed out; unfinished requests stay in the inbox or at the broker',
        );
      }
      for (const parts of devices.values()) {
        parts.reconciler?.stop();
        await parts.monitor?.stop();
        await parts.notify?.stop();
      }
      for (const s of stateSubscriptions) s.unsubscribe();
      // Retained states would otherwise keep saying `ready` while nobody serves the device.
      const since = new Date().toISOString();
      const announced = Promise.allSettled(
        [...devices.values()].map((p) =>
          mqtt.publish(
            topics.state(p.config.name),
            JSON.stringify({
              state: 'down',
              dialect: p.config.dialect,
              since,
              error: 'bridge stopped',
            } satisfies DeviceStateMessage),
            { retain: true, qos: 1 },
          ),
        ),
      );
      // Not past a bound: with the broker gone these wait in the outbox, which stop() discards.
      await Promise.race([announced, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      await mqtt.stop({ graceful: true });
      for (const parts of devices.values()) await parts.session.stop();
      await http?.close();
      for (const stack of emulators.values()) await stack.stop();
      await broker?.close();
      inbox.close();
      await store.close();
      logger.info('jetbridge stopped');
    })());

  return { topics, metrics, ...(http && { httpPort: http.port }), emulators, stop };
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
