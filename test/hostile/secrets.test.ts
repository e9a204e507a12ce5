/**
 * Secrets stay secret: a bridge process whose MQTT password and router
 * passwords are distinctive strings runs at debug level, first with a wrong
 * router password (the router refuses the login, the failure is logged and
 * published as device state), then with the right one (intents are programmed,
 * queries answered). None of the strings may appear in its output, in any MQTT
 * message on the broker (an observer subscribes to `#`), in a result, or in what
 * its HTTP endpoints answer.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JetEmulator, type ClientEvent } from '../../src/emulator/emulator.js';
import { Topics } from '../../src/mqtt/topics.js';
import { bridgeProcess, type BridgeProcess } from '../helpers/bridge-process.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';

const run = promisify(execFile);

const SECRETS = {
  mqtt: 'mqtt-Pw-7f3Kq9ZxR2-unmistakable',
  wrongDevice: 'wrong-Dev-Pw-4hT8nVb1W6-unmistakable',
  rightDevice: 'right-Dev-Pw-9cJ2mLp5Y0-unmistakable',
};
const BRIDGE_USER = 'bridge';
const OBSERVER = { user: 'observer', password: 'observer-password' };
const DEVICE = 'r1';
const WAIT = { timeout: 15_000, interval: 50 };

interface Observed {
  topic: string;
  payload: string;
  properties: string;
}

/** Every message published on the broker, with its MQTT 5 properties. */
async function observeEverything(url: string): Promise<{ client: MqttClient; seen: Observed[] }> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    username: OBSERVER.user,
    password: OBSERVER.password,
  });
  const seen: Observed[] = [];
  client.on('message', (topic, payload, packet) => {
    seen.push({ topic, payload: payload.toString('latin1'), properties: JSON.stringify(packet.properties ?? {}) });
  });
  await client.subscribeAsync('#', { qos: 1 });
  return { client, seen };
}

/** A Mosquitto that only lets in the bridge and the observer, by password. */
async function startAuthenticatingBroker(dir: string): Promise<RunningMosquitto> {
  const passwords = join(dir, 'passwords');
  await run('mosquitto_passwd', ['-b', '-c', passwords, BRIDGE_USER, SECRETS.mqtt]);
  await run('mosquitto_passwd', ['-b', passwords, OBSERVER.user, OBSERVER.password]);
  return startMosquitto({ extraConfig: ['allow_anonymous false', `password_file ${passwords}`] });
}

describe('secrets', () => {
  let dir: string;
  let broker: RunningMosquitto;
  let emulator: JetEmulator;
  let observer: { client: MqttClient; seen: Observed[] };
  const bridges: BridgeProcess[] = [];
  const clientEvents: ClientEvent[] = [];
  const topics = new Topics('sec');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jetbridge-secrets-'));
    broker = await startAuthenticatingBroker(dir);
    emulator = await JetEmulator.start({
      port: 0,
      users: { jet: SECRETS.rightDevice },
      logger: pino({ level: 'silent' }),
    });
    emulator.events.on('client', (event: ClientEvent) => clientEvents.push(event));
    observer = await observeEverything(broker.url);
  });

  afterAll(async () => {
    for (const bridge of bridges) await bridge.stop();
    await observer?.client.endAsync(true);
    await emulator?.stop();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A bridge process at debug level; the MQTT password comes from a file, the router's inline. */
  async function bridgeWith(devicePassword: string, name: string): Promise<BridgeProcess> {
    const passwordFile = join(dir, `${name}.mqtt-password`);
    await writeFile(passwordFile, `${SECRETS.mqtt}\n`);
    const config = {
      mqtt: {
        url: broker.url,
        clientId: `secrets-${name}`,
        username: BRIDGE_USER,
        password: { file: passwordFile },
        topicPrefix: topics.prefix,
      },
      devices: [{ name: DEVICE, address: emulator.address, username: 'jet', password: devicePassword }],
      emulator: { enabled: false },
      pipeline: { retry: { initialMs: 50, maxMs: 200, maxAttempts: 3 } },
      state: { path: join(dir, `${name}.db`) },
      http: { enabled: true, port: 0 },
      log: { level: 'debug' },
    };
    const configFile = join(dir, `${name}.config.json`);
    await writeFile(configFile, JSON.stringify(config));
    const bridge = bridgeProcess(configFile);
    bridges.push(bridge);
    await bridge.start();
    return bridge;
  }

  /** Bodies of the bridge's HTTP endpoints, read while it served. */
  const httpBodies: string[] = [];

  /** Reads every HTTP endpoint of a running bridge; the port is in its "HTTP endpoints listening" log line. */
  async function readHttpEndpoints(bridge: BridgeProcess): Promise<void> {
    const line = bridge
      .output()
      .split('\n')
      .find((l) => l.includes('HTTP endpoints listening'));
    const { port } = JSON.parse(line!) as { port: number };
    for (const path of ['/metrics', '/healthz', '/readyz']) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      httpBodies.push(await response.text());
    }
  }

  const stateMessages = () => observer.seen.filter((m) => m.topic === topics.state(DEVICE)).map((m) => m.payload);

  it('keeps the wrong router password out of logs and state when the login is refused', {
    timeout: 60_000,
  }, async () => {
    // The broker does check passwords: the bridge's MQTT password is in use.
    await expect(mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 })).rejects.toThrow();
    const bridge = await bridgeWith(SECRETS.wrongDevice, 'wrong');
    await vi.waitFor(
      () => expect(clientEvents.filter((e) => e.type === 'login-failed').length).toBeGreaterThanOrEqual(3),
      WAIT,
    );
    await vi.waitFor(() => expect(stateMessages().some((s) => s.includes('login rejected'))).toBe(true), WAIT);
    await bridge.stop();
  });

  it('keeps the right router password out of logs and results while serving', { timeout: 60_000 }, async () => {
    const bridge = await bridgeWith(SECRETS.rightDevice, 'right');
    const user = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      username: OBSERVER.user,
      password: OBSERVER.password,
    });
    try {
      await user.publishAsync(topics.intent(DEVICE), '{"id":"s1","prefix":"10.8.0.0/16","nextHops":["192.0.2.8"]}', {
        qos: 1,
      });
      await user.publishAsync(topics.intent(DEVICE), '{"id":"s2","prefix":"not a prefix","nextHops":["192.0.2.8"]}', {
        qos: 1,
      });
      await user.publishAsync(topics.get(DEVICE), '{"id":"q1"}', { qos: 1 });
      // A response topic the bridge cannot use: it says so at debug level and answers on the default topic.
      await user.publishAsync(topics.intent(DEVICE), '{"id":"s3","prefix":"10.9.0.0/16","nextHops":["192.0.2.9"]}', {
        qos: 1,
        properties: { responseTopic: 'x/#' },
      });
      const results = () =>
        observer.seen.filter((m) => m.topic === topics.intentResult(DEVICE) || m.topic === topics.getResult(DEVICE));
      await vi.waitFor(() => expect(results()).toHaveLength(4), WAIT);
      const programmed = results().find((m) => m.payload.includes('"id":"s1"'));
      expect(programmed?.payload).toContain('"ok":true');
      await readHttpEndpoints(bridge);
    } finally {
      await user.endAsync(true);
    }
    await bridge.stop();
  });

  it('found none of the secrets in any output, MQTT message or HTTP answer', () => {
    const output = [...bridges.map((b) => b.output()), ...httpBodies].join('\n');
    const messages = observer.seen.map((m) => `${m.topic}\n${m.payload}\n${m.properties}`).join('\n');
    console.info(
      `[secrets] bridge output and HTTP answers ${output.length} characters (debug level), MQTT messages observed ${observer.seen.length}, ` +
        `secret occurrences ${Object.values(SECRETS).filter((s) => output.includes(s) || messages.includes(s)).length}`,
    );
    // The runs did produce the material being searched.
    expect(output).toContain('"level":20');
    expect(output).toContain('login rejected');
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(output.includes(secret), `${name} password in the bridge output or an HTTP answer`).toBe(false);
      expect(messages.includes(secret), `${name} password in an MQTT message`).toBe(false);
    }
  });
});
