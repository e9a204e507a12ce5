/**
 * The notification relay end to end: the emulator publishing `jet-event`
 * notifications on a router broker (a Mosquitto of its own), the relay
 * republishing them on the bridge's broker (another Mosquitto, or the embedded
 * broker), and plain subscribers on both sides to compare what they see.
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { NotifyRelay, type NotifySettings } from '../../src/events/notify-relay.js';
import { JetEmulator } from '../../src/emulator/emulator.js';
import { startNotifier, type Notifier } from '../../src/emulator/notify.js';
import { JetDeviceSession } from '../../src/jet/session.js';
import { BridgeMqttClient } from '../../src/mqtt/client.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { Topics } from '../../src/mqtt/topics.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { quietLogger, type Broker } from './rig.js';
import { capturingLogger, closeSubscribers, subscribe, WARN, type LogLine } from './support.js';

const WAIT = { timeout: 10_000, interval: 20 };

let routerBroker: RunningMosquitto;
let bridgeBroker: RunningMosquitto;
let embedded: EmbeddedBroker;

beforeAll(async () => {
  [routerBroker, bridgeBroker, embedded] = await Promise.all([
    startMosquitto(),
    startMosquitto(),
    startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) }),
  ]);
});

afterAll(async () => {
  await Promise.all([routerBroker?.stop(), bridgeBroker?.stop(), embedded?.close()]);
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await closeSubscribers();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface RelayRig {
  relay: NotifyRelay;
  topics: Topics;
  lines: LogLine[];
  /** The relayed topic of a router topic. */
  relayed(routerTopic: string): string;
}

/** A bridge client on `broker` and a started NotifyRelay for `device`, subscribed once this resolves. */
async function startRelay(device: string, broker: Broker, notify: Partial<NotifySettings> = {}): Promise<RelayRig> {
  const topics = new Topics(`t-${randomUUID().slice(0, 8)}/jet`);
  const clientId = `bridge-${randomUUID().slice(0, 8)}`;
  const client = new BridgeMqttClient({
    url: broker.url,
    protocolVersion: broker.protocolVersion,
    clientId,
    statusTopic: topics.bridgeStatus(clientId),
    reconnectPeriodMs: 100,
    stopTimeoutMs: 1000,
    logger: quietLogger,
  });
  await client.start();
  const { logger, lines } = capturingLogger();
  const relay = new NotifyRelay({
    device,
    notify: { url: routerBroker.url, ...notify },
    client,
    topics,
    logger,
    reconnectPeriodMs: 100,
    warningIntervalMs: 60_000,
  });
  relay.start();
  cleanups.push(async () => {
    await relay.stop();
    await client.stop();
  });
  await untilSubscribed(lines, 1);
  return { relay, topics, lines, relayed: (routerTopic) => topics.notify(device, routerTopic) };
}

/** Waits for the relay's `count`-th subscription to the router broker. */
async function untilSubscribed(lines: LogLine[], count: number): Promise<void> {
  await vi.waitFor(
    () => expect(lines.filter((line) => line.msg === 'subscribed to router notifications')).toHaveLength(count),
    WAIT,
  );
}

/** A plain client on the router broker, playing the router's own publisher. */
async function routerPublisher(): Promise<MqttClient> {
  const client = await mqtt.connectAsync(routerBroker.url, { reconnectPeriod: 100 });
  cleanups.push(() => client.endAsync(true));
  return client;
}

const bridgeSide = (): Broker => ({ url: bridgeBroker.url, protocolVersion: 5 });

describe.each(['legacy', 'jnx'] as const)('a route programmed over %s', (dialect) => {
  let emulator: JetEmulator;
  let notifier: Notifier;
  let session: JetDeviceSession;

  beforeAll(async () => {
    emulator = await JetEmulator.start({
      port: 0,
      dialects: 'both',
      users: { jet: 'secret' },
      hostname: 'r1',
      logger: quietLogger,
    });
    notifier = await startNotifier(emulator, { url: routerBroker.url, hostname: 'r1', logger: quietLogger });
    session = new JetDeviceSession({
      device: 'r1',
      address: emulator.address,
      dialect,
      username: 'jet',
      password: { value: 'secret' },
      clientId: `jetbridge-r1-${dialect}`,
      rpcTimeoutMs: 5000,
      retry: { initialMs: 50, maxMs: 500, maxAttempts: 3 },
      unavailableBudgetMs: 10_000,
      logger: quietLogger,
    });
    session.start();
  });

  afterAll(async () => {
    await session?.stop({ cleanup: true });
    await notifier?.stop();
    await emulator?.stop();
  });

  it('reaches the bridge broker as notify/kernel/route/add/..., its jet-event JSON unchanged', async () => {
    const rig = await startRelay('r1', bridgeSide());
    const routerTopic = '/junos/events/kernel/route/add/inet/10.1.0.0_24';
    const atRouter = await subscribe(routerBroker.url, ['/junos/events/kernel/route/#'], 4);
    const atBridge = await subscribe(bridgeBroker.url, [`${rig.topics.prefix}/+/notify/#`]);

    const outcome = await session.oper('update', [
      { table: 'inet.0', prefix: '10.1.0.0', length: 24, cookie: 7n, nextHops: ['192.0.2.1'] },
    ]);
    expect(outcome.status).toBe('SUCCESS');

    const relayedTopic = `${rig.topics.prefix}/r1/notify/kernel/route/add/inet/10.1.0.0_24`;
    await vi.waitFor(() => expect(atBridge.on(relayedTopic)).toHaveLength(1), WAIT);
    await vi.waitFor(() => expect(atRouter.on(routerTopic)).toHaveLength(1), WAIT);
    const original = atRouter.messages.find((m) => m.topic === routerTopic)!.payload;
    const relayed = atBridge.messages.find((m) => m.topic === relayedTopic)!.payload;
    expect(relayed.equals(original)).toBe(true);
    expect(JSON.parse(relayed.toString())['jet-event']).toMatchObject({
      'event-id': 'KERNEL_ROUTE_ADD',
      hostname: 'r1',
      attributes: { prefix: '10.1.0.0', 'prefix-length': 24, 'path-cookie': '7' },
    });
  });
});

describe('NotifyRelay', () => {
  it('normalizes to the flat form when configured, through the embedded broker', async () => {
    const broker: Broker = { url: `mqtt://127.0.0.1:${embedded.port}`, protocolVersion: 4 };
    const rig = await startRelay('r2', broker, { normalize: true });
    const atBridge = await subscribe(broker.url, [`${rig.topics.prefix}/r2/notify/#`], 4);
    const router = await routerPublisher();
    const event = {
      'jet-event': {
        'event-id': 'SNMP_TRAP_LINK_DOWN',
        hostname: 'r2',
        time: '2024-05-01T12:00:00Z',
        severity: 'warning',
        facility: 'kernel',
        attributes: { 'snmp-interface-index': 512, 'interface-name': 'ge-0/0/1' },
      },
    };
    await router.publishAsync('/junos/events/kernel/interfaces/ifd/down', JSON.stringify(event));

    const topic = rig.relayed('/junos/events/kernel/interfaces/ifd/down');
    expect(topic).toBe(`${rig.topics.prefix}/r2/notify/kernel/interfaces/ifd/down`);
    await vi.waitFor(() => expect(atBridge.on(topic)).toHaveLength(1), WAIT);
    expect(JSON.parse(atBridge.on(topic)[0]!)).toEqual({
      eventId: 'SNMP_TRAP_LINK_DOWN',
      hostname: 'r2',
      time: '2024-05-01T12:00:00Z',
      severity: 'warning',
      facility: 'kernel',
      'snmp-interface-index': 512,
      'interface-name': 'ge-0/0/1',
      topic: '/junos/events/kernel/interfaces/ifd/down',
    });
  });

  it('relays malformed JSON as-is when passing through, and wrapped, counted and logged when normalizing', async () => {
    const passing = await startRelay('r3', bridgeSide());
    const normalizing = await startRelay('r4', bridgeSide(), { normalize: true });
    const atBridge = await subscribe(bridgeBroker.url, [
      `${passing.topics.prefix}/#`,
      `${normalizing.topics.prefix}/#`,
    ]);
    const router = await routerPublisher();
    const junk = Buffer.from([0x7b, 0x22, 0x6a, 0x65, 0x74, 0xff, 0x0a]);
    await router.publishAsync('/junos/events/syslog/garbled', junk);

    const passedTopic = passing.relayed('/junos/events/syslog/garbled');
    const wrappedTopic = normalizing.relayed('/junos/events/syslog/garbled');
    await vi.waitFor(
      () => expect(atBridge.messages.map((m) => m.topic)).toEqual(expect.arrayContaining([passedTopic, wrappedTopic])),
      WAIT,
    );
    expect(atBridge.messages.find((m) => m.topic === passedTopic)!.payload.equals(junk)).toBe(true);
    const wrapped = JSON.parse(atBridge.on(wrappedTopic)[0]!) as Record<string, unknown>;
    expect(wrapped).toMatchObject({
      malformed: true,
      topic: '/junos/events/syslog/garbled',
      raw: junk.toString('utf8'),
    });
    expect(wrapped.error).toMatch(/^not JSON: /);

    expect(normalizing.relay.stats).toMatchObject({ received: 1, malformed: 1 });
    expect(passing.relay.stats).toMatchObject({ received: 1, malformed: 0 });
    expect(normalizing.lines.find((line) => line.level === WARN)).toMatchObject({
      device: 'r4',
      byCause: { malformedPayload: 1 },
      lastTopic: '/junos/events/syslog/garbled',
      lastError: expect.stringMatching(/^not JSON: /),
    });
  });

  it('counts and logs a router topic it cannot map, and goes on relaying', async () => {
    const rig = await startRelay('r5', bridgeSide(), { topics: ['/junos/events/#'] });
    const atBridge = await subscribe(bridgeBroker.url, [`${rig.topics.prefix}/+/notify/#`]);
    const router = await routerPublisher();
    await router.publishAsync('/junos/events/kernel//empty-level', '{}');
    await router.publishAsync('/junos/events/syslog/ok', '{}');
    await vi.waitFor(() => expect(atBridge.on(rig.relayed('/junos/events/syslog/ok'))).toHaveLength(1), WAIT);
    expect(atBridge.messages).toHaveLength(1);
    expect(rig.relay.stats).toMatchObject({ received: 2, dropped: 1 });
    expect(await firstValueFrom(rig.relay.drops$)).toBe(1);
    expect(rig.lines.find((line) => line.level === WARN)).toMatchObject({
      device: 'r5',
      byCause: { unmappableTopic: 1 },
    });
  });

  it('resumes after the router broker restarts: reconnects, subscribes again and relays', async () => {
    const rig = await startRelay('r6', bridgeSide());
    const atBridge = await subscribe(bridgeBroker.url, [`${rig.topics.prefix}/#`]);

    await routerBroker.restart();
    await untilSubscribed(rig.lines, 2);
    expect(await firstValueFrom(rig.relay.connected$)).toBe(true);
    const router = await routerPublisher();
    await router.publishAsync('/junos/events/syslog/after-restart', '{"jet-event":{"event-id":"X"}}');

    await vi.waitFor(
      () =>
        expect(atBridge.on(rig.relayed('/junos/events/syslog/after-restart'))).toEqual([
          '{"jet-event":{"event-id":"X"}}',
        ]),
      WAIT,
    );
    const messages = rig.lines.map((line) => line.msg);
    expect(messages).toContain('lost the connection to the router notification broker; reconnecting');
    expect(messages).toContain('reconnected to router notification broker');
  });
});
