/**
 * A 100,000-entry monitor burst: nothing lost under the default `block` policy,
 * the relay's queue held near its limit by pausing the gRPC call, memory
 * measured against a stated bound, and `drop-oldest` counting and
 * reporting what it drops. Everything goes through a real Mosquitto to a real
 * subscriber that counts what arrives.
 */
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import mqtt from 'mqtt';
import { Observable, type Subscription } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MonitorRelay, type MonitorFlowControl, type MonitorSource } from '../../src/events/monitor-relay.js';
import { MAX_ROUTES_PER_REPLY } from '../../src/emulator/routing.js';
import type { MonitorEntry } from '../../src/jet/model.js';
import { BridgeMqttClient } from '../../src/mqtt/client.js';
import { Topics } from '../../src/mqtt/topics.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { peerRoutes, quietLogger, startRig, type Rig } from './rig.js';
import { capturingLogger, WARN } from './support.js';

const BURST = 100_000;
/** The relay's default queue limit, given explicitly to state the bound the test checks. */
const QUEUE_LIMIT = 10_000;
/**
 * A pause stops the call reading further replies, but the reply being delivered
 * when it comes still goes out whole: the emulator sends up to this many entries in one.
 */
const PAUSE_OVERSHOOT = MAX_ROUTES_PER_REPLY;
/** Heap growth allowed while relaying the burst (the emulator runs in this process too). */
const HEAP_BOUND_MB = 64;
const BURST_WAIT = { timeout: 90_000, interval: 50 };

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Measures live heap growth during a burst: a full collection, then the heap
 * size, so garbage the collector has not got round to does not count. A
 * collection is slow, so it samples once a second, and also each time the
 * relay's queue has grown by half since the last sample, to catch the peak.
 * Returns the highest sample above the level before the burst, in MB.
 */
function liveHeapMeter(queued: () => number): { stop(): number } {
  const live = (): number => {
    gc();
    return process.memoryUsage().heapUsed;
  };
  const baseline = live();
  let peak = baseline;
  let sampledAt = 0;
  const sample = (): void => {
    sampledAt = queued();
    peak = Math.max(peak, live());
  };
  const periodic = setInterval(sample, 1000);
  const onGrowth = setInterval(() => {
    if (queued() > Math.max(1000, sampledAt * 1.5)) sample();
  }, 10);
  return {
    stop() {
      clearInterval(periodic);
      clearInterval(onGrowth);
      sample();
      return (peak - baseline) / 2 ** 20;
    },
  };
}

/** Counts what a subscriber to the events topic receives: updates, distinct prefixes, end-of-ribs, and the last op. */
async function countingSubscriber(url: string, topic: string) {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clean: true });
  const counts = { updates: 0, endOfRibs: 0, prefixes: new Set<string>(), last: '' };
  client.on('message', (_topic, payload) => {
    const event = JSON.parse(payload.toString()) as { op: string; prefix?: string };
    counts.last = event.op;
    if (event.op === 'end-of-rib') counts.endOfRibs += 1;
    else if (event.op === 'update') {
      counts.updates += 1;
      counts.prefixes.add(event.prefix!);
    }
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return { counts, close: () => client.endAsync(true) };
}

/** `count` monitor updates then end-of-rib, pushed as fast as the reader takes them, pausing as a paused gRPC call does. */
class BurstSource implements MonitorSource {
  readonly device = 'r1';
  readonly status$ = new Observable<never>();
  constructor(
    private readonly count: number,
    private readonly honoursPause: boolean,
  ) {}

  monitor(flow?: MonitorFlowControl): Observable<MonitorEntry> {
    return new Observable<MonitorEntry>((subscriber) => {
      let sent = 0;
      let paused = false;
      const push = (): void => {
        while (!paused && sent < this.count && !subscriber.closed) {
          const n = sent++;
          subscriber.next({
            op: 'update',
            path: {
              table: 'inet.0',
              prefix: `${10 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}.0`,
              length: 24,
              cookie: BigInt(n),
              nextHops: ['192.0.2.1'],
            },
          });
        }
        if (sent === this.count && !paused) {
          sent += 1;
          subscriber.next({ op: 'end-of-rib' });
        }
      };
      let control: Subscription | undefined;
      if (this.honoursPause && flow) {
        control = flow.paused$.subscribe((value) => {
          paused = value;
          if (!value) setImmediate(push);
        });
      } else {
        setImmediate(push);
      }
      return () => control?.unsubscribe();
    });
  }
}

let mosquitto: RunningMosquitto;
beforeAll(async () => {
  mosquitto = await startMosquitto();
});
afterAll(async () => {
  await mosquitto?.stop();
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bridgeClient(topics: Topics): Promise<BridgeMqttClient> {
  const client = new BridgeMqttClient({
    url: mosquitto.url,
    protocolVersion: 5,
    clientId: `bridge-${Math.random().toString(36).slice(2, 10)}`,
    statusTopic: topics.bridgeStatus('burst'),
    logger: quietLogger,
  });
  await client.start();
  cleanups.push(() => client.stop());
  return client;
}

describe('a 100,000-entry monitor burst', () => {
  describe.each(['legacy', 'jnx'] as const)('from the emulator over %s', (dialect) => {
    it(`arrives complete with the default policy, the queue paused near its limit, heap growth under ${HEAP_BOUND_MB} MB`, {
      timeout: 120_000,
    }, async () => {
      const rig: Rig = await startRig({
        dialect,
        broker: { url: mosquitto.url, protocolVersion: 5 },
        peerRoutes: peerRoutes(BURST),
        relay: { queueLimit: QUEUE_LIMIT },
      });
      cleanups.push(() => rig.stop());
      const user = await countingSubscriber(mosquitto.url, rig.eventsTopic);
      cleanups.push(() => user.close());

      const heap = liveHeapMeter(() => rig.relay.stats.queued);
      rig.connect();
      await vi.waitFor(() => expect(user.counts.endOfRibs).toBe(1), BURST_WAIT);
      const growthMb = heap.stop();

      expect(user.counts.updates).toBe(BURST);
      expect(user.counts.prefixes.size).toBe(BURST);
      expect(rig.relay.stats).toMatchObject({ dropped: 0 });
      console.info(
        `${dialect} burst: live heap growth ${growthMb.toFixed(1)} MB, queue high water ${rig.relay.stats.highWater}`,
      );
      // Without the pause reaching the gRPC call the queue takes most of the burst.
      expect(rig.relay.stats.highWater).toBeGreaterThanOrEqual(QUEUE_LIMIT);
      expect(rig.relay.stats.highWater).toBeLessThanOrEqual(QUEUE_LIMIT + PAUSE_OVERSHOOT);
      expect(growthMb).toBeLessThan(HEAP_BOUND_MB);
    });
  });

  it('stays within the queue limit when the stream pauses on request, and loses nothing', {
    timeout: 120_000,
  }, async () => {
    const topics = new Topics('burst-block/jet');
    const client = await bridgeClient(topics);
    const user = await countingSubscriber(mosquitto.url, topics.bgpEvents('r1'));
    cleanups.push(() => user.close());
    const relay = new MonitorRelay({
      session: new BurstSource(BURST, true),
      client,
      topics,
      logger: quietLogger,
      queueLimit: 1000,
    });
    cleanups.push(() => relay.stop());

    const heap = liveHeapMeter(() => relay.stats.queued);
    relay.start();
    await vi.waitFor(() => expect(user.counts.endOfRibs).toBe(1), BURST_WAIT);
    const growthMb = heap.stop();

    expect(user.counts.updates).toBe(BURST);
    expect(relay.stats).toMatchObject({ dropped: 0, highWater: 1000 });
    // 1000 queued publications are well under a megabyte; the rest is the MQTT client's and subscriber's traffic.
    console.info(`paused burst: live heap growth ${growthMb.toFixed(1)} MB`);
    expect(growthMb).toBeLessThan(64);
  });

  it('with drop-oldest and a tiny queue, keeps the newest, counts every drop and reports it', {
    timeout: 120_000,
  }, async () => {
    const topics = new Topics('burst-drop/jet');
    const client = await bridgeClient(topics);
    const user = await countingSubscriber(mosquitto.url, topics.bgpEvents('r1'));
    cleanups.push(() => user.close());
    const { logger, lines } = capturingLogger();
    const drops: number[] = [];
    const relay = new MonitorRelay({
      session: new BurstSource(BURST, false),
      client,
      topics,
      logger,
      queueLimit: 100,
      overflow: 'drop-oldest',
    });
    relay.drops$.subscribe((total) => drops.push(total));
    relay.start();
    cleanups.push(() => relay.stop());

    await vi.waitFor(() => expect(user.counts.endOfRibs).toBe(1), BURST_WAIT);
    await relay.idle();
    const { relayed, dropped } = relay.stats;
    expect(dropped).toBeGreaterThan(0);
    expect(relayed + dropped).toBe(BURST + 1);
    expect(user.counts.updates + user.counts.endOfRibs).toBe(relayed);
    expect(user.counts.last).toBe('end-of-rib');
    expect(relay.drops).toBe(dropped);
    expect(drops.at(-1)).toBe(dropped);
    const warning = lines.find((line) => line.level === WARN && line.msg.endsWith('monitor events dropped'));
    expect(warning).toMatchObject({
      device: 'r1',
      byCause: { queueFull: expect.any(Number) },
      queueLimit: 100,
      overflow: 'drop-oldest',
    });
  });
});
