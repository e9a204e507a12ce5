/**
 * The client commands reach a secured broker as the bridge does: a real
 * Mosquitto with a TLS listener that requires a client certificate signed by
 * the test CA, and a plain listener that requires a password. The bridge
 * itself connects over TLS with its client certificate; the commands take the
 * same settings from its config file (mqtt.tls, username, password) or from
 * the mosquitto clients' flags (--cafile, --cert, --key, --insecure, -u, -P).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeProcess, runCli, startCli, writeBridgeConfig, type BridgeProcess } from '../helpers/bridge-process.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { makePki, writePki } from '../helpers/pki.js';
import { freePort } from '../helpers/ports.js';

const TEST_TIMEOUT = { timeout: 90_000 };
const USER = 'cli-user';
const PASSWORD = 'cli-secret-9';

let dir: string;
let mosquitto: RunningMosquitto;
let tlsPort: number;
let bridge: BridgeProcess;
/** The bridge's config: TLS with a client certificate, one device r1. */
let bridgeConfig: string;

const file = (name: string) => join(dir, name);
const tlsUrl = (host: string) => `mqtts://${host}:${tlsPort}`;
const CLIENT_CERT = () => ['--cafile', file('ca.pem'), '--cert', file('client.pem'), '--key', file('client.key')];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jetbridge-cli-tls-'));
  await writePki(dir, await makePki('jetbridge-cli'));
  await promisify(execFile)('mosquitto_passwd', ['-b', '-c', file('passwords'), USER, PASSWORD]);
  tlsPort = await freePort();
  mosquitto = await startMosquitto({
    extraConfig: [
      'allow_anonymous false',
      `password_file ${file('passwords')}`,
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${file('ca.pem')}`,
      `certfile ${file('server.pem')}`,
      `keyfile ${file('server.key')}`,
      'require_certificate true',
      'use_identity_as_username true',
    ],
  });
  const [jetPort, adminPort] = [await freePort(), await freePort()];
  bridgeConfig = await writeBridgeConfig(dir, {
    mqtt: {
      url: tlsUrl('localhost'),
      clientId: 'tls-cli-bridge',
      subscribe: 'devices',
      // Relative to the config file's folder.
      tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client.key' },
    },
    devices: [{ name: 'r1', address: `127.0.0.1:${jetPort}`, username: 'jet', password: 'jet' }],
    emulator: { enabled: true, adminPort },
    state: { path: file('state.db') },
    log: { level: 'info' },
  });
  bridge = bridgeProcess(bridgeConfig);
  await bridge.start();
}, 90_000);

afterAll(async () => {
  await bridge?.stop();
  await mosquitto?.stop();
  await rm(dir, { recursive: true, force: true });
}, 30_000);

describe('with the TLS settings of the bridge config (client certificate)', () => {
  const withConfig = (args: string[]) => runCli([...args, '--config', bridgeConfig], 60_000);

  it('send announces a route on the only device of the config', TEST_TIMEOUT, async () => {
    const { code, stdout, stderr } = await withConfig(['send', '{"prefix":"10.77.0.0/24","nextHops":["10.0.0.1"]}']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, device: 'r1', results: [{ status: 'SUCCESS' }] });
  });

  it('apply pushes a routes file', TEST_TIMEOUT, async () => {
    const { code, stdout } = await withConfig(['apply', 'examples/routes/routes.toml', '-d', 'r1']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/announced \d+ routes from examples\/routes\/routes.toml on r1: SUCCESS/);
  });

  it('routes lists what the device holds, the device given with -d', TEST_TIMEOUT, async () => {
    const { code, stdout } = await withConfig(['routes', '-d', 'r1', '--match', '10.77.0.0/24']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/10\.77\.0\.0\/24 +via 10\.0\.0\.1/);
  });

  it("op runs an operational command and prints the router's output", TEST_TIMEOUT, async () => {
    const { code, stdout } = await withConfig(['op', 'r1', 'show version']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/JUNOS|Junos/);
  });

  it("op exits 1 with the bridge's refusal of a command outside op.allowedCommands", TEST_TIMEOUT, async () => {
    const { code, stderr } = await withConfig(['op', '-d', 'r1', 'request system reboot']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/not allowed by policy/);
  });

  it('watch prints the retained device state', TEST_TIMEOUT, async () => {
    const watch = startCli(['watch', '--json', '--config', bridgeConfig]);
    try {
      await watch.waitFor('"topic":"jet/r1/state"', 60_000);
    } finally {
      expect(await watch.signal('SIGINT')).toBe(0);
    }
  });
});

describe('with the mosquitto clients flags', () => {
  it('--cafile, --cert and --key reach the TLS listener', TEST_TIMEOUT, async () => {
    const { code } = await runCli(['routes', 'r1', '--url', tlsUrl('localhost'), ...CLIENT_CERT()], 60_000);
    expect(code).toBe(0);
  });

  it('without a client certificate the broker refuses: exit 3', TEST_TIMEOUT, async () => {
    const { code, stderr } = await runCli(
      ['routes', 'r1', '--url', tlsUrl('localhost'), '--cafile', file('ca.pem')],
      60_000,
    );
    expect(code).toBe(3);
    expect(stderr).toMatch(/cannot connect to mqtts:\/\/localhost/);
  });

  it('an address the certificate does not name fails, unless --insecure', TEST_TIMEOUT, async () => {
    const strict = await runCli(['routes', 'r1', '--url', tlsUrl('127.0.0.1'), ...CLIENT_CERT()], 60_000);
    expect(strict.code).toBe(3);
    expect(strict.stderr).toMatch(/altnames|Hostname\/IP does not match/i);
    const insecure = await runCli(
      ['routes', 'r1', '--url', tlsUrl('127.0.0.1'), ...CLIENT_CERT(), '--insecure'],
      60_000,
    );
    expect(insecure.code).toBe(0);
  });

  it('-u and -P log in on the password listener; a wrong password is refused with exit 3', TEST_TIMEOUT, async () => {
    const right = await runCli(['routes', 'r1', '--url', mosquitto.url, '-u', USER, '-P', PASSWORD], 60_000);
    expect(right.code).toBe(0);
    const wrong = await runCli(['routes', 'r1', '--url', mosquitto.url, '-u', USER, '-P', 'nope'], 60_000);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/Not authorized|Bad User Name or Password/i);
  });

  it('TLS files with a plaintext URL are a usage error: exit 2', TEST_TIMEOUT, async () => {
    const { code, stderr } = await runCli(['routes', 'r1', '--url', mosquitto.url, '--cafile', file('ca.pem')]);
    expect(code).toBe(2);
    expect(stderr).toContain('need a TLS broker URL');
  });
});

describe('with username and password from a config file', () => {
  it('routes logs in with mqtt.username and mqtt.password', TEST_TIMEOUT, async () => {
    const configDir = await mkdtemp(join(dir, 'password-config-'));
    const config = await writeBridgeConfig(configDir, {
      mqtt: { url: mosquitto.url, username: USER, password: PASSWORD },
      devices: [{ name: 'r1', address: '127.0.0.1', username: 'jet', password: 'jet' }],
    });
    const { code, stdout } = await runCli(['routes', '--config', config], 60_000);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\d+ paths/);
  });
});
