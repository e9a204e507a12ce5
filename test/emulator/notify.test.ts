import mqtt, { type MqttClient } from 'mqtt';
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAdminServer } from '../../src/emulator/admin-http.js';
import { JetEmulator } from '../../src/emulator/emulator.js';
import { routeEventTopic, startNotifier, type JetEvent, type Notifier } from '../../src/emulator/notify.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { connectLegacy, seedPaths, type LegacyClient } from './legacy-client.js';

const logger = pino({ level: 'silent' });

interface Received {
  topic: string;
  event: JetEvent;
}

let broker: RunningMosquitto;
let emulator: JetEmulator;
let notifier: Notifier;
let subscriber: MqttClient;
let client: LegacyClient;
let received: Received[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  subscriber = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  subscriber.on('message', (topic, payload) => {
    received.push({ topic, event: (JSON.parse(payload.toString()) as { 'jet-event': JetEvent })['jet-event'] });
  });
  await subscriber.subscribeAsync('/junos/events/#');
  emulator = await JetEmulator.start({ host: '127.0.0.1', port: 0, users: { jet: 'secret' }, logger });
  notifier = await startNotifier(emulator, { url: broker.url, hostname: 'r1', logger });
  client = await connectLegacy(emulator.port, { clientId: 'notify-test' });
}, 20_000);

afterAll(async () => {
  client?.close();
  await notifier?.stop();
  await emulator?.stop();
  await subscriber?.endAsync();
  await broker?.stop();
});

beforeEach(() => {
  received = [];
});

/** Waits until `count` messages arrived on topics starting with `prefix`. */
async function messagesOn(prefix: string, count: number): Promise<Received[]> {
  await expect.poll(() => received.filter((m) => m.topic.startsWith(prefix)).length, { timeout: 5_000 }).toBe(count);
  return received.filter((m) => m.topic.startsWith(prefix));
}

describe('route notifications', () => {
  it('publishes KERNEL_ROUTE_ADD per path when routes are programmed or changed, KERNEL_ROUTE_DELETE when removed', async () => {
    const paths = seedPaths('10.123.0.0', 500n);
    expect(await client.add(paths)).toBe('SUCCESS');
    const adds = await messagesOn('/junos/events/kernel/route/add/', 4);
    expect(new Set(adds.map((m) => m.topic))).toEqual(new Set(['/junos/events/kernel/route/add/inet/10.123.0.0_24']));
    const first = adds.find((m) => m.event.attributes['path-cookie'] === '501')!;
    expect(first.event).toMatchObject({
      'event-id': 'KERNEL_ROUTE_ADD',
      hostname: 'r1',
      severity: 'info',
      facility: 'kernel',
      attributes: {
        table: 'inet.0',
        family: 'inet',
        prefix: '10.123.0.0',
        'prefix-length': 24,
        'next-hops': ['10.0.0.1'],
        protocol: 'bgp-static',
        flags: [],
      },
    });
    expect(Number.isNaN(Date.parse(first.event.time))).toBe(false);
    expect(adds.map((m) => m.event.attributes['next-hops'])).toEqual(
      expect.arrayContaining([['10.0.0.1'], ['10.0.0.2'], ['10.0.0.3'], ['10.0.0.4']]),
    );

    received = [];
    expect(await client.modify([{ ...paths[0]!, localPref: 300, noExport: true }])).toBe('SUCCESS');
    const [modified] = await messagesOn('/junos/events/kernel/route/add/', 1);
    expect(modified!.event['event-id']).toBe('KERNEL_ROUTE_ADD');
    expect(modified!.event.attributes).toMatchObject({ 'path-cookie': '501', flags: ['replace', 'no-export'] });

    expect(await client.remove(paths)).toBe('SUCCESS');
    const deletes = await messagesOn('/junos/events/kernel/route/delete/', 4);
    expect(deletes.every((m) => m.topic === '/junos/events/kernel/route/delete/inet/10.123.0.0_24')).toBe(true);
    expect(deletes.every((m) => m.event['event-id'] === 'KERNEL_ROUTE_DELETE')).toBe(true);
    expect(deletes.map((m) => m.event.attributes['path-cookie']).sort()).toEqual(['501', '502', '503', '504']);
  });

  it('puts IPv6 routes under the inet6 family', () => {
    expect(routeEventTopic('/junos/events', 'add', { prefix: '2001:db8::', length: 32 })).toBe(
      '/junos/events/kernel/route/add/inet6/2001:db8::_32',
    );
    expect(routeEventTopic('/r1/events', 'modify', { prefix: '10.0.0.0', length: 8 })).toBe(
      '/r1/events/kernel/route/add/inet/10.0.0.0_8',
    );
  });
});

describe('publish()', () => {
  it('sends a jet-event with the router hostname and time filled in', async () => {
    await notifier.publish('/junos/events/syslog/UI_COMMIT', {
      'event-id': 'UI_COMMIT',
      attributes: { username: 'jet' },
    });
    const [message] = await messagesOn('/junos/events/syslog/', 1);
    expect(message!.event).toMatchObject({
      'event-id': 'UI_COMMIT',
      hostname: 'r1',
      severity: 'info',
      attributes: { username: 'jet' },
    });
    expect(typeof message!.event.time).toBe('string');
  });

  it('serves POST /notify on the admin API', async () => {
    const admin = await startAdminServer(emulator, { host: '127.0.0.1', port: 0, logger, notifier });
    try {
      const res = await fetch(`http://127.0.0.1:${admin.port}/notify`, {
        method: 'POST',
        body: JSON.stringify({
          topic: '/junos/events/kernel/interface/ge-0_0_0',
          event: { 'event-id': 'SNMP_TRAP_LINK_DOWN', severity: 'warning' },
        }),
        signal: AbortSignal.timeout(5_000),
      });
      expect(res.status).toBe(200);
      const [message] = await messagesOn('/junos/events/kernel/interface/', 1);
      expect(message!.event).toMatchObject({ 'event-id': 'SNMP_TRAP_LINK_DOWN', severity: 'warning', hostname: 'r1' });

      const bad = await fetch(`http://127.0.0.1:${admin.port}/notify`, {
        method: 'POST',
        body: JSON.stringify({ topic: '/junos/events/#', event: { 'event-id': 'X' } }),
        signal: AbortSignal.timeout(5_000),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/^topic: .*"#"/);
    } finally {
      await admin.close();
    }
  });
});

describe('backpressure', () => {
  it('keeps at most maxQueued route events waiting and counts every one it drops', async () => {
    const source = { events: new EventEmitter() };
    const bounded = await startNotifier(source, {
      url: broker.url,
      hostname: 'burst',
      logger,
      topicRoot: '/burst',
      maxQueued: 100,
    });
    const burstReceived: string[] = [];
    const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    try {
      watcher.on('message', (topic) => burstReceived.push(topic));
      await watcher.subscribeAsync('/burst/#');
      const total = 50_000;
      for (let i = 0; i < total; i++) {
        const path = {
          table: 'inet.0',
          prefix: `10.${i >> 8}.${i & 255}.0`,
          length: 24,
          cookie: 1n,
          nextHops: ['10.0.0.1'],
          owner: 'x',
        };
        source.events.emit('route', { op: 'add', path });
      }
      expect(bounded.stats().queued).toBeLessThanOrEqual(100);
      expect(bounded.stats().dropped).toBeGreaterThan(0);
      await expect.poll(() => bounded.stats().queued, { timeout: 5_000 }).toBe(0);
      const { published, dropped } = bounded.stats();
      expect(published + dropped).toBe(total);
      await expect.poll(() => burstReceived.length, { timeout: 5_000 }).toBe(published);
    } finally {
      await watcher.endAsync();
      await bounded.stop();
    }
  });
});

describe('startNotifier', () => {
  it('fails when the broker cannot be reached', async () => {
    const port = await freePort();
    await expect(
      startNotifier({ events: new EventEmitter() }, { url: `mqtt://127.0.0.1:${port}`, hostname: 'r1', logger }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
