import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BridgeMqttClient, type BridgeMqttClientOptions } from '../../src/mqtt/client.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { describeClientContract } from './client-contract.js';
import { Fixtures, first, firstN, quietLogger, uniqueTopics } from './support.js';

let mosquitto: RunningMosquitto;
beforeAll(async () => {
  mosquitto = await startMosquitto();
});
afterAll(() => mosquitto?.stop());

describeClientContract('Mosquitto', 5, () => mosquitto);
describeClientContract('Mosquitto', 4, () => mosquitto);

describe('BridgeMqttClient against Mosquitto, MQTT 5 only', () => {
  const fixtures = new Fixtures(() => mosquitto.url, 5);
  afterEach(() => fixtures.close());

  it('replies to the response topic of the request, with its correlation data', async () => {
    const topics = uniqueTopics();
    const bridge = fixtures.bridge(topics);
    await bridge.client.start(topics.subscriptions(['r1']));
    const responseTopic = `${topics.prefix}/replies/abc`;
    const user = await fixtures.user([responseTopic, topics.intentResult('r1')]);

    await user.client.publishAsync(topics.intent('r1'), '{}', {
      qos: 1,
      properties: { responseTopic, correlationData: Buffer.from('req-7'), userProperties: { sender: 'ops' } },
    });
    const request = await first(bridge.received);
    expect(request.responseTopic).toBe(responseTopic);
    expect(request.correlationData?.toString()).toBe('req-7');
    expect(request.userProperties).toEqual({ sender: 'ops' });

    await bridge.client.reply(request, topics.intentResult('r1'), '{"ok":true}');
    // The user listens on the default topic too: the reply must not go there.
    const reply = await first(user.received);
    expect(reply).toMatchObject({ topic: responseTopic, text: '{"ok":true}' });
    expect(reply.packet.properties?.correlationData?.toString()).toBe('req-7');
  });

  it('replies to the default topic with the correlation data when no response topic is named', async () => {
    const topics = uniqueTopics();
    const bridge = fixtures.bridge(topics);
    await bridge.client.start(topics.subscriptions(['r1']));
    const user = await fixtures.user([topics.opResult('r1')]);

    await user.client.publishAsync(topics.op('r1'), '{}', {
      qos: 1,
      properties: { correlationData: Buffer.from('c1') },
    });
    await bridge.client.reply(await first(bridge.received), topics.opResult('r1'), 'done');

    const reply = await first(user.received);
    expect(reply).toMatchObject({ topic: topics.opResult('r1'), text: 'done' });
    expect(reply.packet.properties?.correlationData?.toString()).toBe('c1');
  });

  it('has the broker redeliver a QoS 1 message it did not acknowledge to the next connection of its client id', async () => {
    const topics = uniqueTopics();
    const earlier = fixtures.bridge(topics, { autoAck: false });
    await earlier.client.start(topics.subscriptions(['r1']));
    const user = await fixtures.user();
    await user.client.publishAsync(topics.intent('r1'), 'm1', { qos: 1 });
    await user.client.publishAsync(topics.intent('r1'), 'm2', { qos: 1 });

    const m1 = await first(earlier.received);
    expect(m1.payload.toString()).toBe('m1');
    // m2 arrives only once m1 is acknowledged (see the next test); m2 itself is not.
    m1.ack();
    const [, m2] = await firstN(earlier.received, 2);
    expect(m2?.payload.toString()).toBe('m2');
    await earlier.client.stop({ graceful: false });

    const second = fixtures.bridge(topics, { clientId: earlier.clientId });
    await second.client.start(topics.subscriptions(['r1']));
    const redelivered = await first(second.received);
    // Had m1 come back it would come first: queued messages keep their order.
    expect(redelivered.payload.toString()).toBe('m2');
    expect(redelivered.topic).toBe(topics.intent('r1'));
  });

  it('handles no further packet, message or PUBACK, until the current message is acknowledged', async () => {
    const topics = uniqueTopics();
    const bridge = fixtures.bridge(topics, { autoAck: false });
    await bridge.client.start(topics.subscriptions(['r1']));
    const user = await fixtures.user();
    await user.client.publishAsync(topics.intent('r1'), 'm1', { qos: 1 });
    await user.client.publishAsync(topics.intent('r1'), 'm2', { qos: 1 });

    const m1 = await first(bridge.received);
    let resultConfirmed = false;
    const result = bridge.client
      .publish(topics.intentResult('r1'), 'r1', { qos: 1 })
      .then(() => (resultConfirmed = true));
    // m2 is at the broker (it acknowledged it) and so is the result; give them time.
    await sleep(300);
    const seen: string[] = [];
    bridge.received.subscribe((message) => seen.push(message.payload.toString())).unsubscribe();
    expect(seen).toEqual(['m1']);
    expect(resultConfirmed).toBe(false);

    m1.ack();
    m1.ack();
    const [, m2] = await firstN(bridge.received, 2);
    expect(m2?.payload.toString()).toBe('m2');
    // The broker sent the result's PUBACK after m2, so it waits for m2's ack too.
    m2?.ack();
    await result;
  });
});

describe('BridgeMqttClient against Mosquitto, MQTT 3.1.1 only', () => {
  const fixtures = new Fixtures(() => mosquitto.url, 4);
  afterEach(() => fixtures.close());

  it('has mqtt.js acknowledge on receipt, so a message not acked is not redelivered', async () => {
    const topics = uniqueTopics();
    const earlier = fixtures.bridge(topics, { autoAck: false });
    await earlier.client.start(topics.subscriptions(['r1']));
    const user = await fixtures.user();
    await user.client.publishAsync(topics.intent('r1'), 'm1', { qos: 1 });
    await first(earlier.received);
    await earlier.client.stop({ graceful: false });

    const second = fixtures.bridge(topics, { clientId: earlier.clientId });
    await second.client.start(topics.subscriptions(['r1']));
    await user.client.publishAsync(topics.intent('r1'), 'm2', { qos: 1 });
    expect((await first(second.received)).payload.toString()).toBe('m2');
  });
});

describe('BridgeMqttClient options and misuse', () => {
  const base: BridgeMqttClientOptions = {
    url: 'mqtt://127.0.0.1:1',
    protocolVersion: 5,
    clientId: 'c1',
    statusTopic: 'jet/bridge/c1/status',
    logger: quietLogger,
  };

  it('names every invalid option', () => {
    expect(() => new BridgeMqttClient({ ...base, receiveMaximum: 0, outboxLimit: -1 })).toThrow(
      /receiveMaximum: .*; outboxLimit: /,
    );
    expect(() => new BridgeMqttClient({ ...base, url: 'http://broker' })).toThrow(
      /url: must be an mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\/ URL/,
    );
  });

  it('refuses TLS material for a plain mqtt:// url', () => {
    expect(() => new BridgeMqttClient({ ...base, tls: { ca: 'x' } })).toThrow(/tls is set but url "mqtt:\/\/"/);
  });

  it('refuses to subscribe before anyone listens to messages$', async () => {
    const client = new BridgeMqttClient(base);
    await expect(client.start(['jet/+/op'])).rejects.toThrow(/subscribe to messages\$ before start/);
  });

  it('ends a start() still waiting for the broker when stopped, and rejects the publishes it kept', async () => {
    const client = new BridgeMqttClient({
      ...base,
      url: `mqtt://127.0.0.1:${await freePort()}`,
      reconnectPeriodMs: 50,
    });
    const starting = client.start();
    const kept = client.publish('jet/r1/state', '{}');
    expect(client.outboxSize).toBe(1);
    await client.stop();
    await expect(starting).rejects.toThrow('MQTT client was stopped before it had started');
    await expect(kept).rejects.toThrow('MQTT client stopped before the message to jet/r1/state was delivered');
    await expect(client.publish('jet/r1/state', '{}')).rejects.toThrow('MQTT client is stopped');
    await expect(client.start()).rejects.toThrow(/stop\(\) was/);
  });
});

describe('BridgeMqttClient with the nodes of a cluster', () => {
  const fixtures = new Fixtures(() => mosquitto.url, 4);
  afterEach(() => fixtures.close());

  it('skips a node that is down, moves on when its node dies, and names the node it connected to', async () => {
    const [one, second] = await Promise.all([startMosquitto(), startMosquitto()]);
    const lines: { broker?: string; msg: string }[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => void lines.push(JSON.parse(line) as { broker?: string; msg: string }) },
    );
    try {
      const down = `mqtt://127.0.0.1:${await freePort()}`;
      const topics = uniqueTopics();
      const bridge = fixtures.bridge(topics, { url: [down, one.url, second.url], logger });
      await bridge.client.start(topics.subscriptions(['r1']));
      expect(bridge.client.broker).toBe(`127.0.0.1:${one.port}`);
      const connectedTo = () => lines.filter((l) => l.msg === 'connected to MQTT broker').map((l) => l.broker);
      expect(connectedTo()).toEqual([`127.0.0.1:${one.port}`]);

      one.kill();
      await first(bridge.client.connected$, (up) => !up);
      await first(bridge.client.connected$, (up) => up);
      expect(connectedTo()).toEqual([`127.0.0.1:${one.port}`, `127.0.0.1:${second.port}`]);

      // Resubscribed on the new node (an independent broker here: no shared session).
      const user = await mqtt.connectAsync(second.url, { protocolVersion: 4 });
      await user.publishAsync(topics.intent('r1'), 'after failover', { qos: 1 });
      expect((await first(bridge.received)).payload.toString()).toBe('after failover');
      await user.endAsync();
    } finally {
      await Promise.all([one.stop(), second.stop()]);
    }
  });
});
