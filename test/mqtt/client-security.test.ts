import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { generate } from 'selfsigned';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BridgeMqttClient, type BridgeMqttClientOptions } from '../../src/mqtt/client.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { first, quietLogger } from './support.js';

const USER = 'bridge';
const PASSWORD = 'hunter2-secret';

let mosquitto: RunningMosquitto;
let dir: string;
let tlsPort: number;
let caCert: string;

/** A broker that wants a password, with a second listener on TLS (self-signed for localhost). */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jetbridge-mqtt-tls-'));
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  caCert = pems.cert;
  await writeFile(join(dir, 'cert.pem'), pems.cert);
  await writeFile(join(dir, 'key.pem'), pems.private);
  await promisify(execFile)('mosquitto_passwd', ['-b', '-c', join(dir, 'passwords'), USER, PASSWORD]);
  tlsPort = await freePort();
  mosquitto = await startMosquitto({
    extraConfig: [
      'allow_anonymous false',
      `password_file ${join(dir, 'passwords')}`,
      `listener ${tlsPort} 127.0.0.1`,
      `certfile ${join(dir, 'cert.pem')}`,
      `keyfile ${join(dir, 'key.pem')}`,
    ],
  });
});
afterAll(async () => {
  await mosquitto?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('BridgeMqttClient credentials and TLS', () => {
  const clients: BridgeMqttClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop({ graceful: false })));
  });

  function bridge(options: Partial<BridgeMqttClientOptions>): BridgeMqttClient {
    const client = new BridgeMqttClient({
      url: mosquitto.url,
      protocolVersion: 5,
      clientId: 'secure-bridge',
      statusTopic: 'jet/bridge/secure-bridge/status',
      reconnectPeriodMs: 100,
      logger: quietLogger,
      ...options,
    });
    clients.push(client);
    return client;
  }

  it('connects over TLS trusting the CA it is given, with its user name and password', async () => {
    const client = bridge({
      url: `mqtts://localhost:${tlsPort}`,
      tls: { ca: caCert },
      username: USER,
      password: { value: PASSWORD },
    });
    await client.start();
    expect(await first(client.connected$)).toBe(true);
  });

  it('fails to start when the broker refuses the credentials, and logs no password', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    const wrong = 'wrong-' + PASSWORD;
    const client = bridge({ username: USER, password: { value: wrong }, logger });

    await expect(client.start()).rejects.toThrow(/MQTT broker refused the connection: .*(authorized|password)/i);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(wrong);
  });
});
