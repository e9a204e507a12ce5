/**
 * The behaviour every broker must give the bridge's MQTT client, as one suite that
 * client.test.ts runs against Mosquitto (MQTT 5 and 3.1.1) and
 * client-embedded.test.ts runs against the embedded broker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { OutboxOverflowError, type BridgeMqttClient } from '../../src/mqtt/client.js';
import { Fixtures, WAIT_MS, first, firstN, uniqueTopics } from './support.js';

export interface BrokerUnderTest {
  url: string;
  /** Stops the broker, losing its sessions, and starts it again on the same port. */
  restart(): Promise<void>;
}

function until(bridge: BridgeMqttClient, connected: boolean): Promise<boolean> {
  return firstValueFrom(
    bridge.connected$.pipe(
      filter((up) => up === connected),
      timeout({ first: WAIT_MS }),
    ),
  );
}

export function describeClientContract(name: string, protocolVersion: 4 | 5, broker: () => BrokerUnderTest): void {
  describe(`BridgeMqttClient against ${name}, MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}`, () => {
    const fixtures = new Fixtures(() => broker().url, protocolVersion);
    afterEach(() => fixtures.close());

    it('delivers messages on its subscriptions and publishes to other clients', async () => {
      const topics = uniqueTopics();
      const bridge = fixtures.bridge(topics);
      await bridge.client.start(topics.subscriptions(['r1']));
      const user = await fixtures.user([topics.intentResult('r1')]);

      await user.client.publishAsync(topics.intent('r1'), '{"prefix":"10.1.0.0/24"}', { qos: 1 });
      const intent = await first(bridge.received);
      expect(intent).toMatchObject({ topic: topics.intent('r1'), qos: 1 });
      expect(intent.payload.toString()).toBe('{"prefix":"10.1.0.0/24"}');
      expect(topics.parseInbound(intent.topic)).toEqual({ device: 'r1', kind: 'intent' });

      await bridge.client.publish(topics.intentResult('r1'), '{"ok":true}');
      const result = await first(user.received);
      expect(result).toMatchObject({ topic: topics.intentResult('r1'), text: '{"ok":true}' });
      expect(result.packet.qos).toBe(1);
    });

    it('drops the wildcard subscriptions an earlier run left in its session when it retires them', async () => {
      const topics = uniqueTopics();
      const clientId = `bridge-retire-${protocolVersion}`;
      const earlier = fixtures.bridge(topics, { clientId });
      await earlier.client.start(topics.subscriptions());
      await earlier.client.stop();

      const bridge = fixtures.bridge(topics, { clientId });
      await bridge.client.start(topics.subscriptions(['r1']), { retire: topics.subscriptions() });
      const user = await fixtures.user();
      await user.client.publishAsync(topics.intent('r2'), 'not for this bridge', { qos: 1 });
      await user.client.publishAsync(topics.intent('r1'), 'for this bridge', { qos: 1 });
      const delivered = await first(bridge.received);
      expect(delivered.topic).toBe(topics.intent('r1'));
      // Ordered delivery on one connection: had r2 still matched, it would have come first.
      expect(delivered.payload.toString()).toBe('for this bridge');
    });

    it('lists the topics holding a retained message under a filter, without passing them on as messages', async () => {
      const topics = uniqueTopics();
      const user = await fixtures.user();
      const [a, b] = [topics.rib('r1', 'inet.0', '10.1.0.0/24'), topics.rib('r1', 'inet.0', '10.2.0.0/24')];
      await user.client.publishAsync(a, 'kept', { qos: 1, retain: true });
      await user.client.publishAsync(b, 'kept', { qos: 1, retain: true });
      await user.client.publishAsync(topics.rib('r2', 'inet.0', '10.3.0.0/24'), 'other device', {
        qos: 1,
        retain: true,
      });
      const bridge = fixtures.bridge(topics);
      await bridge.client.start();

      expect((await bridge.client.retainedTopics(topics.ribFilter('r1'))).sort()).toEqual([a, b].sort());
      // Once cleared (an empty retained payload), a topic is no longer counted.
      await user.client.publishAsync(b, '', { qos: 1, retain: true });
      expect(await bridge.client.retainedTopics(topics.ribFilter('r1'))).toEqual([a]);
      await bridge.client.publish(topics.bgpEvents('r1'), 'after the census');
      const received: string[] = [];
      bridge.received.subscribe((m) => received.push(m.topic));
      expect(received).toEqual([]);
    });

    it('retains online while running and offline after a graceful stop', async () => {
      const topics = uniqueTopics();
      const bridge = fixtures.bridge(topics);
      await bridge.client.start();
      const status = topics.bridgeStatus(bridge.clientId);

      const watcher = await fixtures.user([status]);
      expect(await first(watcher.received)).toMatchObject({ text: 'online' });
      await bridge.client.stop();

      const later = await fixtures.user([status]);
      const retained = await first(later.received);
      expect(retained.text).toBe('offline');
      expect(retained.packet.retain).toBe(true);
    });

    it('leaves offline as its last will when the connection drops without DISCONNECT', async () => {
      const topics = uniqueTopics();
      const bridge = fixtures.bridge(topics);
      await bridge.client.start();
      const watcher = await fixtures.user([topics.bridgeStatus(bridge.clientId)]);
      expect(await first(watcher.received)).toMatchObject({ text: 'online' });

      await bridge.client.stop({ graceful: false });
      const [, will] = await firstN(watcher.received, 2);
      expect(will?.text).toBe('offline');
    });

    it('replies to the default topic when the request names no response topic', async () => {
      const topics = uniqueTopics();
      const bridge = fixtures.bridge(topics);
      await bridge.client.start(topics.subscriptions(['r2']));
      const user = await fixtures.user([topics.getResult('r2')]);

      await user.client.publishAsync(topics.get('r2'), '{}', { qos: 1 });
      const request = await first(bridge.received);
      expect(request.responseTopic).toBeUndefined();
      await bridge.client.reply(request, topics.getResult('r2'), '{"routes":[]}');

      expect(await first(user.received)).toMatchObject({ topic: topics.getResult('r2'), text: '{"routes":[]}' });
    });

    it('keeps what it publishes while the broker is down, drops the oldest beyond the limit, and sends the rest in order on return', async () => {
      const topics = uniqueTopics();
      const echo = topics.bgpEvents('r3');
      // The bridge listens to its own topic: after the restart it resubscribes before
      // it flushes the outbox, so it sees every flushed message.
      const bridge = fixtures.bridge(topics, { outboxLimit: 3 });
      await bridge.client.start([echo]);

      const restarted = broker().restart();
      await until(bridge.client, false);
      const published = ['m1', 'm2', 'm3', 'm4'].map((text) => bridge.client.publish(echo, text));
      const [oldest, ...kept] = published;
      await expect(oldest).rejects.toBeInstanceOf(OutboxOverflowError);
      expect(bridge.client.outboxDrops).toBe(1);
      expect(bridge.client.outboxSize).toBe(3);

      await restarted;
      await Promise.all(kept);
      const echoed = await firstN(bridge.received, 3);
      expect(echoed.map((message) => message.payload.toString())).toEqual(['m2', 'm3', 'm4']);
      expect(bridge.client.outboxSize).toBe(0);
    });

    it('subscribes again when the broker lost the session, and announces online again', async () => {
      const topics = uniqueTopics();
      const bridge = fixtures.bridge(topics);
      await bridge.client.start(topics.subscriptions(['r4']));

      await broker().restart();
      await until(bridge.client, true);
      const user = await fixtures.user([topics.bridgeStatus(bridge.clientId)]);
      expect(await first(user.received)).toMatchObject({ text: 'online' });
      // Retained, so it reaches the bridge whether it subscribes before or after it.
      await user.client.publishAsync(topics.op('r4'), '{"op":"resync"}', { qos: 1, retain: true });

      const command = await first(bridge.received);
      expect(command.topic).toBe(topics.op('r4'));
      expect(command.payload.toString()).toBe('{"op":"resync"}');
    });
  });
}
