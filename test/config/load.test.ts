import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ENV_OVERRIDES, loadConfig, parseConfig } from '../../src/config/load.js';
import { Secret } from '../../src/config/secret.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const device = { name: 'r1', address: '127.0.0.1', username: 'jet', password: 'jet' };
const minimal = { devices: [device] };

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('config accepted');
}

describe('loadConfig', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jetbridge-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, content: string): string {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  }

  it('resolves relative paths and secret files against the config file folder', () => {
    write('site/secrets/r1.pw', 'from-file\n');
    const file = write(
      'site/bridge.config.json',
      JSON.stringify({
        devices: [
          {
            ...device,
            password: { file: 'secrets/r1.pw' },
            tls: { ca: 'certs/ca.crt', cert: 'certs/client.crt', key: 'certs/client.key' },
          },
        ],
        state: { path: 'state.db' },
      }),
    );
    const config = loadConfig(file, {});
    const site = path.join(dir, 'site');
    expect(config.devices[0]!.password.value).toBe('from-file');
    expect(config.devices[0]!.tls).toEqual({
      ca: path.join(site, 'certs/ca.crt'),
      cert: path.join(site, 'certs/client.crt'),
      key: path.join(site, 'certs/client.key'),
    });
    expect(config.state.path).toBe(path.join(site, 'state.db'));
  });

  it('reads TOML when the file name ends in .toml', () => {
    const file = write(
      'bridge.config.toml',
      [
        '[mqtt]',
        'url = "mqtt://broker:1883"',
        '',
        '[[devices]]',
        'name = "r1"',
        'address = "10.0.0.1"',
        'username = "jet"',
        'password = "${R1_PW}"',
      ].join('\n'),
    );
    const config = loadConfig(file, { R1_PW: 'toml-pw' });
    expect(config.mqtt.url).toBe('mqtt://broker:1883');
    expect(config.devices[0]!.address).toBe('10.0.0.1:32767');
    expect(config.devices[0]!.password.value).toBe('toml-pw');
  });

  it('names the file when it cannot be read or parsed', () => {
    const missing = path.join(dir, 'missing.json');
    expect(configError(() => loadConfig(missing, {})).message).toBe(
      `invalid configuration in ${missing}:\ncannot read ${missing} (ENOENT)`,
    );
    const broken = write('broken.json', '{"devices": [');
    expect(configError(() => loadConfig(broken, {})).problems[0]).toMatch(/^not valid JSON: /);
    const brokenToml = write('broken.toml', 'devices = [');
    expect(configError(() => loadConfig(brokenToml, {})).problems[0]).toMatch(/^not valid TOML: /);
  });

  it('names the file above the list of problems', () => {
    const file = write('bad.json', JSON.stringify({ devices: [{ ...device, address: 'r1:abc' }] }));
    expect(configError(() => loadConfig(file, {})).message).toBe(
      `invalid configuration in ${file}:\ndevices[0].address: expected host:port, got "r1:abc": port must be a number 1..65535`,
    );
  });
});

describe('environment overrides', () => {
  it('are listed for the README, one per variable', () => {
    expect(ENV_OVERRIDES.map((o) => `${o.variable}=${o.field}`)).toEqual([
      'JETBRIDGE_MQTT_URL=mqtt.url',
      'JETBRIDGE_MQTT_USERNAME=mqtt.username',
      'JETBRIDGE_MQTT_PASSWORD=mqtt.password',
      'JETBRIDGE_MQTT_CLIENT_ID=mqtt.clientId',
      'JETBRIDGE_TOPIC_PREFIX=mqtt.topicPrefix',
      'JETBRIDGE_LOG_LEVEL=log.level',
      'JETBRIDGE_HTTP_PORT=http.port',
      'JETBRIDGE_STATE_PATH=state.path',
      'JETBRIDGE_STATE_URL=state.url',
      'JETBRIDGE_EMBEDDED_BROKER=mqtt.embeddedBroker',
      'JETBRIDGE_EMULATOR=emulator.enabled',
    ]);
  });

  it('set their fields over the file', () => {
    const file = { ...minimal, mqtt: { url: 'mqtt://file:1883', embeddedBroker: true }, log: { level: 'warn' } };
    const config = parseConfig(
      file,
      {
        JETBRIDGE_MQTT_URL: 'mqtts://env:8883',
        JETBRIDGE_MQTT_USERNAME: 'bridge',
        JETBRIDGE_MQTT_PASSWORD: 'env-secret',
        JETBRIDGE_MQTT_CLIENT_ID: 'bridge-7',
        JETBRIDGE_TOPIC_PREFIX: 'lab/jet',
        JETBRIDGE_LOG_LEVEL: 'debug',
        JETBRIDGE_HTTP_PORT: '9999',
        JETBRIDGE_STATE_PATH: 'var/state.db',
        JETBRIDGE_EMBEDDED_BROKER: 'false',
        JETBRIDGE_EMULATOR: 'TRUE',
      },
      '/srv/jetbridge',
    );
    expect(config.mqtt).toMatchObject({
      url: 'mqtts://env:8883',
      username: 'bridge',
      clientId: 'bridge-7',
      topicPrefix: 'lab/jet',
      embeddedBroker: false,
    });
    expect(config.mqtt.password).toBeInstanceOf(Secret);
    expect(config.mqtt.password?.value).toBe('env-secret');
    expect(config.log.level).toBe('debug');
    expect(config.http.port).toBe(9999);
    expect(config.state.path).toBe('/srv/jetbridge/var/state.db');
    expect(config.emulator.enabled).toBe(true);
    // The file's object is left as it was.
    expect(file.mqtt.url).toBe('mqtt://file:1883');
  });

  it('take the password literally', () => {
    const config = parseConfig(minimal, { JETBRIDGE_MQTT_PASSWORD: '${NOT_A_REFERENCE}' }, '/');
    expect(config.mqtt.password?.value).toBe('${NOT_A_REFERENCE}');
  });

  it('count an empty variable as unset', () => {
    expect(parseConfig(minimal, { JETBRIDGE_MQTT_URL: '', JETBRIDGE_HTTP_PORT: '' }, '/').mqtt.url).toBe(
      'mqtt://127.0.0.1:1883',
    );
  });

  it('report values they cannot convert by variable name, and bad values with their source', () => {
    const error = configError(() =>
      parseConfig(
        minimal,
        {
          JETBRIDGE_HTTP_PORT: 'http',
          JETBRIDGE_EMULATOR: 'yes',
          JETBRIDGE_LOG_LEVEL: 'loud',
          JETBRIDGE_MQTT_URL: 'ftp://x',
        },
        '/',
      ),
    );
    expect(error.problems).toEqual([
      'JETBRIDGE_HTTP_PORT: expected a port number 0..65535, got "http"',
      'JETBRIDGE_EMULATOR: expected true or false, got "yes"',
      'mqtt.url (from JETBRIDGE_MQTT_URL): expected an mqtt://, mqtts://, ws:// or wss:// URL, got "ftp://x"',
      'log.level (from JETBRIDGE_LOG_LEVEL): expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got string "loud"',
    ]);
  });

  it('leave a section that is not an object for the schema to report', () => {
    expect(
      configError(() => parseConfig({ ...minimal, mqtt: 'x' }, { JETBRIDGE_MQTT_URL: 'mqtt://a' }, '/')).problems,
    ).toEqual(['mqtt: expected an object, got string "x"']);
  });
});

describe('checked-in configurations', () => {
  it('bridge.config.json runs the embedded broker, emulator and r1 on loopback', () => {
    const config = loadConfig(path.join(REPO, 'bridge.config.json'), {});
    expect(config.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', embeddedBroker: true });
    expect(config.devices).toHaveLength(1);
    expect(config.devices[0]).toMatchObject({
      name: 'r1',
      address: '127.0.0.1:32767',
      dialect: 'legacy',
      username: 'jet',
      insecure: true,
      events: { enabled: true },
    });
    expect(config.devices[0]!.password.value).toBe('jet');
    expect(config.emulator).toMatchObject({
      enabled: true,
      devices: ['r1'],
      adminPort: 8181,
      notifyMqtt: 'mqtt://127.0.0.1:1883',
    });
    expect(config.emulator.users.jet!.value).toBe('jet');
    expect(config.http).toMatchObject({ enabled: true, port: 9464 });
  });

  it('examples/config/real-router.config.json uses mutual TLS, env passwords, a policy and notify', () => {
    const file = path.join(REPO, 'examples/config/real-router.config.json');
    const env = { JETBRIDGE_BROKER_PASSWORD: 'broker-pw', MX1_JET_PASSWORD: 'router-pw' };
    const config = loadConfig(file, env);
    const router = config.devices[0]!;
    const certs = path.join(REPO, 'examples/config/certs');
    expect(router.tls).toMatchObject({
      ca: path.join(certs, 'ca.crt'),
      cert: path.join(certs, 'client.crt'),
      key: path.join(certs, 'client.key'),
    });
    expect(router.insecure).toBe(false);
    expect(router.password.value).toBe('router-pw');
    expect(router.policy.allow).toBeDefined();
    expect(router.notify?.topics.length).toBeGreaterThan(0);
    expect(configError(() => loadConfig(file, {})).problems).toEqual([
      'mqtt.password: environment variable JETBRIDGE_BROKER_PASSWORD is not set',
      'devices[0].password: environment variable MX1_JET_PASSWORD is not set',
    ]);
  });
});
