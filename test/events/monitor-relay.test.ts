/**
 * MonitorRelay against a scripted session and a hand-driven publisher: what it
 * publishes for each entry, how it retries a failed stream and resyncs the
 * retained view. The end-to-end tests (real emulator, session and broker) are
 * in monitor-relay.e2e.test.ts.
 */
import { BehaviorSubject, Observable, Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MonitorRelay, type MonitorFlowControl, type MonitorSource } from '../../src/events/monitor-relay.js';
import type { DeviceStatus } from '../../src/jet/device.js';
import type { BgpPath, MonitorEntry } from '../../src/jet/model.js';
import { Topics } from '../../src/mqtt/topics.js';
import { capturingLogger, flushPromises, HandDrivenPublisher, WARN } from './support.js';

const topics = new Topics('jet');
const ts = new Date('2024-05-01T12:00:00.000Z');

function peerPath(octet: number, cookie = 1n): BgpPath {
  return { table: 'inet.0', prefix: `10.${octet}.0.0`, length: 16, cookie, nextHops: ['192.0.2.1'] };
}

/** A session whose monitor stream the test writes to; each subscription gets a fresh Subject. */
class ScriptedSession implements MonitorSource {
  readonly device = 'r1';
  readonly status = new BehaviorSubject<DeviceStatus>({ state: 'ready', since: ts });
  readonly status$ = this.status.asObservable();
  streams: Subject<MonitorEntry>[] = [];
  flow: MonitorFlowControl | undefined;

  monitor(flow?: MonitorFlowControl): Observable<MonitorEntry> {
    this.flow = flow;
    return new Observable<MonitorEntry>((subscriber) => {
      const stream = new Subject<MonitorEntry>();
      this.streams.push(stream);
      return stream.subscribe(subscriber);
    });
  }

  get stream(): Subject<MonitorEntry> {
    return this.streams.at(-1)!;
  }

  send(...entries: MonitorEntry[]): void {
    for (const entry of entries) this.stream.next(entry);
  }
}

const relays: MonitorRelay[] = [];

function rig(options: { rib?: boolean } = {}) {
  const session = new ScriptedSession();
  const client = new HandDrivenPublisher();
  const { logger, lines } = capturingLogger();
  const relay = new MonitorRelay({
    session,
    client,
    topics,
    logger,
    now: () => ts,
    retry: { initialMs: 1, maxMs: 1 },
    ...options,
  });
  relays.push(relay);
  relay.start();
  return { session, client, relay, lines };
}

afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
});

const update = (path: BgpPath): MonitorEntry => ({ op: 'update', path });

describe('MonitorRelay', () => {
  it('publishes every entry, in order, as a QoS 1 non-retained event', async () => {
    const { session, client } = rig();
    session.send(update(peerPath(1)), update(peerPath(2)), { op: 'end-of-rib' }, { op: 'remove', path: peerPath(1) });
    await client.ack();
    expect(client.sent.map(({ topic, qos, retain }) => ({ topic, qos, retain }))).toEqual(
      Array(4).fill({ topic: 'jet/r1/bgp/events', qos: 1, retain: false }),
    );
    expect(client.payloads().map((p) => JSON.parse(p) as { op: string; prefix?: string })).toEqual([
      expect.objectContaining({ op: 'update', prefix: '10.1.0.0/16' }),
      expect.objectContaining({ op: 'update', prefix: '10.2.0.0/16' }),
      { op: 'end-of-rib', ts: ts.toISOString() },
      expect.objectContaining({ op: 'remove', prefix: '10.1.0.0/16' }),
    ]);
  });

  it('hands the session the queue pause signal', () => {
    const { session } = rig();
    expect(session.flow?.paused$).toBeDefined();
  });

  it('logs a failed stream with the device and subscribes again', async () => {
    const { session, client, lines } = rig();
    session.stream.error(new Error('stream reset'));
    await vi.waitFor(() => expect(session.streams).toHaveLength(2), { timeout: 2000 });
    expect(lines.find((line) => line.level === WARN)).toMatchObject({
      device: 'r1',
      msg: 'monitor stream failed; subscribing again',
      err: { message: 'stream reset' },
    });
    session.send({ op: 'end-of-rib' });
    await client.ack();
    expect(client.payloads()).toHaveLength(1);
  });

  it('skips an entry without a path with a warning instead of stopping', async () => {
    const { session, client, lines } = rig();
    session.send({ op: 'update' }, update(peerPath(1)));
    await client.ack();
    expect(client.payloads()).toHaveLength(1);
    expect(lines.find((line) => line.level === WARN)).toMatchObject({ msg: 'monitor entry not relayed', op: 'update' });
  });

  describe('with the retained RIB view', () => {
    /** The last retained payload sent per RIB topic ('' clears). */
    function retained(client: HandDrivenPublisher): Map<string, string> {
      const view = new Map<string, string>();
      for (const p of client.sent.filter((p) => p.retain)) view.set(p.topic, p.payload.toString());
      return view;
    }

    it('keeps one retained message per destination with all its paths, cleared when the last goes', async () => {
      const { session, client } = rig({ rib: true });
      session.send(update(peerPath(1, 1n)), update(peerPath(1, 2n)), update(peerPath(2)), { op: 'end-of-rib' });
      await client.ack();
      const topic1 = 'jet/r1/bgp/rib/inet.0/10.1.0.0_16';
      expect(JSON.parse(retained(client).get(topic1)!)).toEqual({
        prefix: '10.1.0.0/16',
        table: 'inet.0',
        paths: [
          { nextHops: ['192.0.2.1'], cookie: '1' },
          { nextHops: ['192.0.2.1'], cookie: '2' },
        ],
        ts: ts.toISOString(),
      });
      session.send({ op: 'remove', path: peerPath(1, 1n) });
      await client.ack();
      expect(JSON.parse(retained(client).get(topic1)!).paths).toEqual([{ nextHops: ['192.0.2.1'], cookie: '2' }]);
      session.send({ op: 'remove', path: peerPath(1, 2n) });
      await client.ack();
      expect(retained(client).get(topic1)).toBe('');
    });

    it('clears destinations a reconnect full set no longer has', async () => {
      const { session, client, relay } = rig({ rib: true });
      // 10.1/16 is learned after end-of-rib, so only the reconnect tells the view its full set starts.
      session.send(update(peerPath(2)), { op: 'end-of-rib' }, update(peerPath(1)));
      await client.ack();
      session.status.next({ state: 'connecting', since: ts });
      session.status.next({ state: 'ready', since: ts });
      session.send(update(peerPath(2)), update(peerPath(3)));
      await client.ack();
      expect(retained(client).get('jet/r1/bgp/rib/inet.0/10.1.0.0_16')).not.toBe('');
      session.send({ op: 'end-of-rib' });
      await client.ack();
      expect(
        [...retained(client)]
          .filter(([, payload]) => payload !== '')
          .map(([topic]) => topic)
          .sort(),
      ).toEqual(['jet/r1/bgp/rib/inet.0/10.2.0.0_16', 'jet/r1/bgp/rib/inet.0/10.3.0.0_16']);
      expect(retained(client).get('jet/r1/bgp/rib/inet.0/10.1.0.0_16')).toBe('');
      expect(relay.stats.ribDestinations).toBe(2);
    });

    it('coalesces retained writes to a destination that changes faster than they go out', async () => {
      const { session, client } = rig({ rib: true });
      for (let i = 0; i < 200; i++) session.send(update({ ...peerPath(1), localPref: i }));
      await flushPromises();
      while (client.inFlight > 0) await client.ack();
      const writes = client.sent.filter((p) => p.retain);
      expect(writes.length).toBeLessThan(200);
      expect(JSON.parse(writes.at(-1)!.payload.toString()).paths[0].localPref).toBe(199);
    });
  });
});
