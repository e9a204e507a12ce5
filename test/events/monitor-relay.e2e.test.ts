/**
 * BGP monitor events end to end, for both JET dialects: the emulator as the
 * router, a real JetDeviceSession over gRPC, the relay, and a real broker
 * (Mosquitto, and the embedded aedes broker for the basic flow), with a plain
 * MQTT subscriber checking what a user would see.
 */
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { DEVICE, peerRoute, peerRoutes, startRig, type Broker, type Rig } from './rig.js';
import { closeSubscribers, subscribe, type Recorder } from './support.js';

const WAIT = { timeout: 10_000, interval: 20 };

interface EventMessage {
  op: 'update' | 'remove' | 'end-of-rib';
  prefix?: string;
  [attribute: string]: unknown;
}

function eventsOf(recorder: Recorder, topic: string): EventMessage[] {
  return recorder.on(topic).map((payload) => JSON.parse(payload) as EventMessage);
}

/** `update 10.0.1.0/24`, `end-of-rib`: what a sequence of events says, compactly. */
function summary(events: EventMessage[]): string[] {
  return events.map((e) => (e.op === 'end-of-rib' ? 'end-of-rib' : `${e.op} ${e.prefix}`));
}

function endOfRibs(events: EventMessage[]): number {
  return events.filter((e) => e.op === 'end-of-rib').length;
}

let mosquitto: RunningMosquitto;
let embedded: EmbeddedBroker;
const brokers: Record<'mosquitto' | 'embedded', () => Broker> = {
  mosquitto: () => ({ url: mosquitto.url, protocolVersion: 5 }),
  embedded: () => ({ url: `mqtt://127.0.0.1:${embedded.port}`, protocolVersion: 4 }),
};

beforeAll(async () => {
  [mosquitto, embedded] = await Promise.all([
    startMosquitto(),
    startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) }),
  ]);
});

afterAll(async () => {
  await Promise.all([mosquitto?.stop(), embedded?.close()]);
});

const rigs: Rig[] = [];
async function rig(options: Parameters<typeof startRig>[0]): Promise<Rig> {
  const started = await startRig(options);
  rigs.push(started);
  return started;
}

afterEach(async () => {
  await closeSubscribers();
  await Promise.all(rigs.splice(0).map((r) => r.stop()));
});

describe.each(['legacy', 'jnx'] as const)('BGP monitor events over %s', (dialect) => {
  describe.each(['mosquitto', 'embedded'] as const)('through %s', (brokerName) => {
    it('publishes the full set in order, then end-of-rib, then updates and removals as they happen', async () => {
      const broker = brokers[brokerName]();
      const r = await rig({ dialect, broker, peerRoutes: peerRoutes(3) });
      const user = await subscribe(broker.url, [`${r.topics.prefix}/+/bgp/events`], broker.protocolVersion);
      r.connect();

      const initial = r.emulator.peerRoutes().map((p) => `update ${p.prefix}/${p.length}`);
      await vi.waitFor(() => expect(endOfRibs(eventsOf(user, r.eventsTopic))).toBe(1), WAIT);
      expect(summary(eventsOf(user, r.eventsTopic))).toEqual([...initial, 'end-of-rib']);

      r.emulator.injectPeerRoutes([
        peerRoute(7, { localPref: 300, communities: ['65000:7'], peerType: 'external', cookie: 42n }),
      ]);
      r.emulator.withdrawPeerRoutes([{ prefix: '10.0.1.0', length: 24 }]);
      await vi.waitFor(() => expect(eventsOf(user, r.eventsTopic)).toHaveLength(6), WAIT);
      const [added, removed] = eventsOf(user, r.eventsTopic).slice(4);
      expect(added).toEqual({
        op: 'update',
        prefix: '10.0.7.0/24',
        table: 'inet.0',
        nextHops: ['192.0.2.1'],
        localPref: 300,
        communities: ['65000:7'],
        peerType: 'external',
        cookie: '42',
        ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(summary([removed!])).toEqual(['remove 10.0.1.0/24']);
      await r.relay.idle();
      expect(r.relay.stats).toMatchObject({ relayed: 6, dropped: 0 });
    });
  });

  it('after the router drops every connection, reconnects and publishes the full set and end-of-rib again', async () => {
    const broker = brokers.mosquitto();
    const r = await rig({ dialect, broker, peerRoutes: peerRoutes(5) });
    const user = await subscribe(broker.url, [r.eventsTopic]);
    r.connect();
    await vi.waitFor(() => expect(endOfRibs(eventsOf(user, r.eventsTopic))).toBe(1), WAIT);

    r.emulator.dropConnections();
    await vi.waitFor(() => expect(endOfRibs(eventsOf(user, r.eventsTopic))).toBe(2), WAIT);
    const again = eventsOf(user, r.eventsTopic).slice(6);
    expect(summary(again)).toEqual([
      ...r.emulator.peerRoutes().map((p) => `update ${p.prefix}/${p.length}`),
      'end-of-rib',
    ]);
  });

  it('keeps the retained RIB view right for a late subscriber after adds, removals and a reconnect', async () => {
    const broker = brokers.mosquitto();
    const r = await rig({ dialect, broker, peerRoutes: peerRoutes(4), relay: { rib: true } });
    const user = await subscribe(broker.url, [r.eventsTopic]);
    r.connect();
    await vi.waitFor(() => expect(endOfRibs(eventsOf(user, r.eventsTopic))).toBe(1), WAIT);

    /** What a subscriber arriving now finds retained, as `prefix: [next hops per path]`. */
    const lateView = async (): Promise<Record<string, string[][]>> => {
      await r.relay.idle();
      const retained = await retainedMessages(broker.url, `${r.topics.prefix}/${DEVICE}/bgp/rib/#`);
      return Object.fromEntries(
        retained.map((payload) => {
          const snapshot = JSON.parse(payload) as { prefix: string; paths: { nextHops: string[] }[] };
          return [snapshot.prefix, snapshot.paths.map((p) => p.nextHops)];
        }),
      );
    };
    const current = (): Record<string, string[][]> => {
      const view: Record<string, string[][]> = {};
      for (const p of r.emulator.peerRoutes()) {
        const key = `${p.prefix}/${p.length}`;
        view[key] = [...(view[key] ?? []), p.nextHops];
      }
      return view;
    };

    expect(await lateView()).toEqual(current());
    expect(Object.keys(current())).toHaveLength(4);

    // A second path (another cookie) to one prefix, a new prefix, and a withdrawal.
    r.emulator.injectPeerRoutes([peerRoute(0, { cookie: 2n, nextHops: ['192.0.2.2'] }), peerRoute(9)]);
    r.emulator.withdrawPeerRoutes([{ prefix: '10.0.1.0', length: 24 }]);
    await vi.waitFor(() => expect(eventsOf(user, r.eventsTopic)).toHaveLength(8), WAIT);
    expect(await lateView()).toEqual(current());
    expect(current()['10.0.0.0/24']).toHaveLength(2);

    // Changes while the bridge is disconnected reach it only through the new full set.
    r.emulator.dropConnections();
    r.emulator.withdrawPeerRoutes([{ prefix: '10.0.2.0', length: 24 }]);
    r.emulator.injectPeerRoutes([peerRoute(11)]);
    await vi.waitFor(() => expect(endOfRibs(eventsOf(user, r.eventsTopic))).toBe(2), WAIT);
    expect(summary(eventsOf(user, r.eventsTopic))).not.toContain('remove 10.0.2.0/24');
    expect(await lateView()).toEqual(current());
    expect(Object.keys(current()).sort()).toEqual(['10.0.0.0/24', '10.0.11.0/24', '10.0.3.0/24', '10.0.9.0/24']);
  });
});

describe('retained RIB topics from an earlier bridge process', () => {
  it('clears those of routes the router no longer has once the first full set is in, and rewrites the rest', async () => {
    const broker = brokers.mosquitto();
    const r = await rig({ dialect: 'legacy', broker, peerRoutes: peerRoutes(2), relay: { rib: true } });
    const gone = r.topics.rib(DEVICE, 'inet.0', '10.0.99.0/24');
    const kept = r.topics.rib(DEVICE, 'inet.0', '10.0.0.0/24');
    const earlier = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    await earlier.publishAsync(gone, '{"left":"by an earlier process"}', { qos: 1, retain: true });
    await earlier.publishAsync(kept, '{"left":"by an earlier process"}', { qos: 1, retain: true });
    await earlier.endAsync();

    r.connect();
    const filter = `${r.topics.prefix}/${DEVICE}/bgp/rib/#`;
    await vi.waitFor(async () => {
      await r.relay.idle();
      const prefixes = (await retainedMessages(broker.url, filter)).map(
        (payload) => (JSON.parse(payload) as { prefix: string }).prefix,
      );
      expect(prefixes.sort()).toEqual(['10.0.0.0/24', '10.0.1.0/24']);
    }, WAIT);
  });
});

/**
 * Payloads of the retained messages under `filter`, as a new subscriber gets them.
 * The broker sends retained messages on SUBSCRIBE, before anything published
 * after it: a marker published once subscribed says they are all in.
 */
async function retainedMessages(url: string, filter: string): Promise<string[]> {
  const marker = `${filter.replace(/\/#$/, '')}-marker/${Math.random().toString(36).slice(2)}`;
  const user = await subscribe(url, [filter, marker]);
  await user.client.publishAsync(marker, 'end', { qos: 1 });
  await vi.waitFor(() => expect(user.on(marker)).toHaveLength(1), WAIT);
  await user.client.endAsync(true);
  return user.messages.filter((m) => m.topic !== marker && m.retain).map((m) => m.payload.toString());
}
