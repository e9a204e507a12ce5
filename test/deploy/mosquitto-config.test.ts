/**
 * The shipped Mosquitto configurations (deploy/mosquitto/) run by a real
 * Mosquitto: the production one with its password file and ACL, and the
 * anonymous one docker-compose uses. Only the listener, the data folder and the
 * file locations are changed for the test; every other line is as shipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';

const DEPLOY = resolve('deploy/mosquitto');
const PASSWORD = 'test-only-password';

/**
 * The shipped configuration's lines for the test broker: the helper supplies the
 * listener, data folder and log destination; password and ACL files move to
 * where the test keeps them.
 */
function shippedLines(file: string, passwordFile: string): string[] {
  const replaced = new Set(['listener', 'persistence_location', 'log_dest']);
  const shipped = readFileSync(join(DEPLOY, file), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .filter((line) => !replaced.has(line.split(/\s+/, 1)[0]!))
    .map((line) => {
      if (line.startsWith('password_file ')) return `password_file ${passwordFile}`;
      if (line.startsWith('acl_file ')) return `acl_file ${join(DEPLOY, 'acl')}`;
      return line;
    });
  // The helper's own settings go back to Mosquitto's defaults first, so what is
  // tested is what the shipped file sets (a later line wins).
  return ['allow_anonymous false', 'max_queued_messages 1000', 'max_inflight_messages 20', ...shipped];
}

const clients: MqttClient[] = [];

async function connect(url: string, username?: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    clientId: `acl-test-${username ?? 'anonymous'}-${clients.length}`,
    ...(username !== undefined && { username, password: PASSWORD }),
  });
  clients.push(client);
  return client;
}

/** The next `n` messages the client receives, in order. */
function nextMessages(client: MqttClient, n: number): Promise<{ topic: string; text: string }[]> {
  const messages: { topic: string; text: string }[] = [];
  return new Promise((resolveMessages) => {
    const onMessage = (topic: string, payload: Buffer) => {
      messages.push({ topic, text: payload.toString() });
      if (messages.length === n) {
        client.off('message', onMessage);
        resolveMessages(messages);
      }
    };
    client.on('message', onMessage);
  });
}

async function nextMessage(client: MqttClient): Promise<{ topic: string; text: string }> {
  const [message] = await nextMessages(client, 1);
  return message!;
}

/**
 * A subscriber with a persistent session goes away, 3000 intents are published,
 * and it comes back: it must get them all. With Mosquitto's default
 * max_queued_messages (1000) about 2000 would be dropped.
 */
async function expectBurstQueued(url: string, users: { subscriber?: string; publisher?: string } = {}): Promise<void> {
  const session = {
    protocolVersion: 5 as const,
    clientId: `away-${users.subscriber ?? 'anonymous'}`,
    clean: false,
    reconnectPeriod: 0,
  };
  const credentials = users.subscriber === undefined ? {} : { username: users.subscriber, password: PASSWORD };
  const away = await mqtt.connectAsync(url, { ...session, ...credentials, properties: { sessionExpiryInterval: 300 } });
  await away.subscribeAsync('jet/+/bgp/intent', { qos: 1 });
  await away.endAsync();

  const publisher = await connect(url, users.publisher);
  const count = 3_000;
  for (let i = 0; i < count; i++) publisher.publish('jet/r1/bgp/intent', String(i), { qos: 1 });
  await publisher.publishAsync('jet/r1/bgp/intent', String(count), { qos: 1 });

  const back = mqtt.connect(url, { ...session, ...credentials, properties: { sessionExpiryInterval: 0 } });
  clients.push(back);
  let received = 0;
  const endSeen = new Promise<void>((done) =>
    back.on('message', (_topic, payload) => {
      if (payload.toString() === 'end') done();
      else received++;
    }),
  );
  await new Promise((connected) => back.once('connect', connected));
  // Published after the session resumed, so it is delivered after whatever was queued.
  await publisher.publishAsync('jet/r1/bgp/intent', 'end', { qos: 1 });
  await endSeen;
  expect(received).toBe(count + 1);
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});

describe('deploy/mosquitto/mosquitto.conf with passwd and acl', () => {
  let broker: RunningMosquitto;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jetbridge-acl-'));
    const passwordFile = join(dir, 'passwd');
    execFileSync('mosquitto_passwd', ['-c', '-b', passwordFile, 'jetbridge', PASSWORD]);
    execFileSync('mosquitto_passwd', ['-b', passwordFile, 'publisher-r1', PASSWORD]);
    broker = await startMosquitto({ extraConfig: shippedLines('mosquitto.conf', passwordFile) });
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses anonymous clients', async () => {
    await expect(connect(broker.url)).rejects.toThrow(/Not authorized/i);
  });

  it('refuses a wrong password', async () => {
    await expect(
      mqtt.connectAsync(broker.url, {
        protocolVersion: 5,
        reconnectPeriod: 0,
        username: 'jetbridge',
        password: 'wrong',
      }),
    ).rejects.toThrow(/Bad User Name or Password|Not authorized/i);
  });

  it('lets the bridge read the requests it serves and its RIB census, and nothing else under jet/', async () => {
    const bridge = await connect(broker.url, 'jetbridge');
    // Mosquitto grants any subscription and applies the ACL per delivered message.
    await bridge.subscribeAsync('jet/#', { qos: 1 });
    const sender = await connect(broker.url, 'jetbridge');
    const readable = [
      'jet/r1/bgp/intent',
      'jet/r1/bgp/get',
      'jet/r1/op',
      'jet/r1/bgp/rib/inet.0/10.0.0.0_24',
      'jet/r1/bgp/rib-census/x',
    ];
    const received = nextMessages(bridge, readable.length);

    // One connection, so delivered in this order: a readable topic arriving first means the others were withheld.
    const topics = [
      'jet/r1/state',
      'jet/r1/bgp/result',
      'jet/r1/bgp/intent',
      'jet/bridge/x/status',
      'jet/r1/bgp/get',
      'jet/r1/op',
      'jet/r1/bgp/events',
    ];
    for (const topic of [...topics, 'jet/r1/bgp/rib/inet.0/10.0.0.0_24', 'jet/r1/bgp/rib-census/x']) {
      await sender.publishAsync(topic, topic, { qos: 1 });
    }
    expect((await received).map((m) => m.topic)).toEqual(readable);
  });

  it('delivers a publisher intent for r1 to the bridge, and not one for r2', async () => {
    const bridge = await connect(broker.url, 'jetbridge');
    await bridge.subscribeAsync('jet/+/bgp/intent', { qos: 1 });
    const publisher = await connect(broker.url, 'publisher-r1');
    const received = nextMessage(bridge);

    // Same connection, so in order: had the r2 intent got through, it would arrive first.
    await publisher.publishAsync('jet/r2/bgp/intent', '{"id":"denied"}', { qos: 1 }).catch(() => undefined);
    await publisher.publishAsync('jet/r1/bgp/intent', '{"id":"allowed"}', { qos: 1 });

    expect(await received).toEqual({ topic: 'jet/r1/bgp/intent', text: '{"id":"allowed"}' });
  });

  it('queues far more than 1000 intents for a bridge that is away', () =>
    expectBurstQueued(broker.url, { subscriber: 'jetbridge', publisher: 'publisher-r1' }));

  it("lets the publisher read r1's results and its own reply topics, and nothing else", async () => {
    const publisher = await connect(broker.url, 'publisher-r1');
    await publisher.subscribeAsync(['jet/#', 'reply/#'], { qos: 1 });
    const bridge = await connect(broker.url, 'jetbridge');
    const received = nextMessages(publisher, 2);

    for (const topic of [
      'jet/r2/bgp/result',
      'reply/someone-else/1',
      'jet/r1/state',
      'jet/r1/bgp/result',
      'reply/publisher-r1/req-1',
    ]) {
      await bridge.publishAsync(topic, topic, { qos: 1 });
    }
    expect((await received).map((m) => m.topic)).toEqual(['jet/r1/bgp/result', 'reply/publisher-r1/req-1']);
  });
});

describe('deploy/mosquitto/demo.conf (docker-compose)', () => {
  let broker: RunningMosquitto;

  beforeAll(async () => {
    broker = await startMosquitto({ extraConfig: shippedLines('demo.conf', '') });
  });
  afterAll(() => broker?.stop());

  it('lets anonymous clients publish intents and read results', async () => {
    const client = await connect(broker.url);
    await client.subscribeAsync('jet/r1/bgp/intent', { qos: 1 });
    const received = nextMessage(client);
    await client.publishAsync('jet/r1/bgp/intent', '{"id":"demo"}', { qos: 1 });
    expect(await received).toEqual({ topic: 'jet/r1/bgp/intent', text: '{"id":"demo"}' });
  });

  it('queues far more than 1000 intents for a bridge that is away', () => expectBurstQueued(broker.url));
});
