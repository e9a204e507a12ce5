import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from './nats.js';

/** An MQTT 3.1.1 client with a persistent session, connected once. */
async function connect(url: string, clientId: string): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    clientId,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

describe('a 3-node NATS cluster with MQTT listeners', () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await startNatsCluster();
  }, 60_000);
  afterAll(() => cluster?.stop(), 30_000);

  it('keeps a persistent session and its queued QoS 1 message across the death of its node', async () => {
    const [first, second, third] = cluster.nodes;
    if (!first || !second || !third) throw new Error('the cluster has three nodes');
    const subscriber = await connect(first.mqttUrl, 'smoke-subscriber');
    await subscriber.subscribeAsync('smoke/topic', { qos: 1 });
    await subscriber.endAsync();

    const publisher = await connect(second.mqttUrl, 'smoke-publisher');
    await publisher.publishAsync('smoke/topic', 'while away', { qos: 1 });
    await publisher.endAsync();

    first.kill();
    // Right after a node dies, JetStream may still be electing leaders and the
    // node refuses the session for a moment: the client reconnects, as the bridge does.
    const back = mqtt.connect(third.mqttUrl, {
      clientId: 'smoke-subscriber',
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 500,
      connectTimeout: 10_000,
    });
    back.on('error', () => {});
    try {
      const received = await new Promise<string>((resolve) => {
        back.once('message', (_topic, payload) => resolve(payload.toString()));
      });
      expect(received).toBe('while away');
    } finally {
      await back.endAsync();
    }
  }, 60_000);
});
