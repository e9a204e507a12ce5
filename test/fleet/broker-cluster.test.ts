/**
 * A bridge on a 3-node NATS cluster (MQTT 3.1.1 listeners, sessions replicated in
 * JetStream): the node it is connected to is killed in the middle of a burst of
 * QoS 1 intents published through another node. The bridge moves to a surviving
 * node with its persistent session; every intent is answered and the emulator's
 * RIB holds exactly what was announced.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JetEmulator } from '../../src/emulator/emulator.js';
import { Topics } from '../../src/mqtt/topics.js';
import { bridgeProcess, writeBridgeConfig } from '../helpers/bridge-process.js';
import { startNatsCluster, type NatsCluster } from '../helpers/nats.js';
import { FleetPublisher, FleetResults, idsOf, ribOf } from './traffic.js';

const DEVICE = 'r1';
const COUNT = 600;

let cluster: NatsCluster;
let emulator: JetEmulator;
let dir: string;

beforeAll(async () => {
  cluster = await startNatsCluster();
  emulator = await JetEmulator.start({
    port: 0,
    users: { jet: 'jet' },
    purgeTimeoutMs: 60_000,
    logger: pino({ level: 'silent' }),
  });
  dir = await mkdtemp(join(tmpdir(), 'jetbridge-nats-bridge-'));
}, 60_000);

afterAll(async () => {
  await emulator?.stop();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a bridge on a NATS cluster', () => {
  it('survives a kill -9 of its broker node mid-burst: every intent answered, the RIB as announced', async () => {
    const [n1, n2, n3] = cluster.nodes as [NatsCluster['nodes'][0], NatsCluster['nodes'][0], NatsCluster['nodes'][0]];
    const topicPrefix = `n-${randomUUID().slice(0, 8)}`;
    const topics = new Topics(topicPrefix);
    const configFile = await writeBridgeConfig(dir, {
      mqtt: { url: cluster.mqttUrls, protocolVersion: '3.1.1', clientId: `bridge-${topicPrefix}`, topicPrefix },
      devices: [{ name: DEVICE, address: emulator.address, username: 'jet', password: 'jet' }],
      state: { path: join(dir, 'state.db') },
      pipeline: { retry: { initialMs: 50, maxMs: 400, maxAttempts: 40 } },
    });
    const bridge = bridgeProcess(configFile);
    const results = await FleetResults.subscribe(n3.mqttUrl, topics);
    const publisher = await FleetPublisher.connect(n2.mqttUrl, topics);
    try {
      await bridge.start();
      expect(bridge.output()).toContain(`"broker":"127.0.0.1:${n1.mqttPort}"`);

      await publisher.burst([DEVICE], { count: COUNT, chunk: 20, intervalMs: 15 }, async (done) => {
        if (done === COUNT / 2) n1.kill();
      });
      await publisher.allAcknowledged(30_000);
      const expected = idsOf([DEVICE], COUNT);
      await results.settle(expected, { timeoutMs: 60_000 });

      const output = bridge.output();
      const moved =
        output.includes(`"broker":"127.0.0.1:${n2.mqttPort}"`) ||
        output.includes(`"broker":"127.0.0.1:${n3.mqttPort}"`);
      expect(moved, output.slice(-4000)).toBe(true);
      expect(results.missing(expected), output.slice(-4000)).toEqual([]);
      expect(results.failed()).toEqual({});
      console.info(`[fleet] NATS node killed mid-burst: published ${COUNT}, lost 0, duplicates ${results.duplicates}`);
      const rib = () =>
        emulator
          .routes()
          .map((r) => `${r.table} ${r.prefix}/${r.length} via ${r.nextHops.join(',')}`)
          .sort();
      await vi.waitFor(() => expect(rib()).toEqual(ribOf(COUNT)), { timeout: 10_000, interval: 100 });
    } finally {
      await bridge.stop();
      await publisher.close();
      await results.close();
    }
  }, 150_000);
});
