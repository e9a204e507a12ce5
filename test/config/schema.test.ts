import { hostname } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { parseHostPort, type BridgeConfig } from '../../src/config/schema.js';
import { Secret } from '../../src/config/secret.js';

const BASE = '/etc/jetbridge';
const device = { name: 'r1', address: '127.0.0.1', username: 'jet', password: 'jet' };

function parse(raw: object, env: Record<string, string> = {}): BridgeConfig {
  return parseConfig(raw, env, BASE);
}

/** The problems of a config that must be rejected. */
function problems(raw: unknown, env: Record<string, string> = {}): readonly string[] {
  try {
    parseConfig(raw, env, BASE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('config accepted');
}

function withDevice(overrides: object): object {
  return { devices: [{ ...device, ...overrides }] };
}

describe('defaults', () => {
  it('fill in every section from a config with one device', () => {
    const config = parse({ devices: [device] });
    expect(JSON.parse(JSON.stringify(config))).toEqual({
      mqtt: {
        url: 'mqtt://127.0.0.1:1883',
        protocolVersion: 5,
        clientId: `jetbridge-${hostname()}`,
        topicPrefix: 'jet',
        qos: 1,
        embeddedBroker: false,
        subscribe: 'all',
        sessionExpirySec: 3600,
        receiveMaximum: 65535,
        maxPayloadBytes: 1048576,
        outboxLimit: 100000,
        urls: ['mqtt://127.0.0.1:1883'],
      },
      devices: [
        {
          name: 'r1',
          address: '127.0.0.1:32767',
          dialect: 'legacy',
          username: 'jet',
          password: '[redacted]',
          clientId: 'jetbridge-r1',
          insecure: true,
          events: { enabled: false, rib: false, queueLimit: 10000, overflow: 'block' },
          policy: {
            deny: ['0.0.0.0/0', '::/0'],
            minLength: { inet: 8, inet6: 16 },
            maxNextHops: 16,
            maxRoutes: 1000000,
            tables: ['inet.0', 'inet6.0'],
          },
          op: { allowedCommands: ['show '] },
          queueLimit: 100000,
          unavailableBudgetMs: 30000,
        },
      ],
      emulator: {
        enabled: false,
        devices: ['r1'],
        users: { jet: '[redacted]' },
        purgeTimeoutSec: 120,
      },
      pipeline: {
        debounceMs: 50,
        maxBatch: 1000,
        maxBatchDelayMs: 2,
        maxInFlight: 8,
        maxInFlightPerDevice: 4,
        rpcTimeoutMs: 10000,
        retry: { initialMs: 100, maxMs: 5000, maxAttempts: 8 },
      },
      state: { path: path.join(BASE, '.jetbridge/state.db') },
      fleet: { leaseTimeoutMs: 3000, checkIntervalMs: 500 },
      http: { enabled: false, host: '127.0.0.1', port: 9464 },
      log: { level: 'info' },
    });
    expect(config.devices[0]!.password).toBeInstanceOf(Secret);
    expect(config.devices[0]!.password.value).toBe('jet');
    expect(config.emulator.users.jet!.value).toBe('jet');
  });
});

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:50051', { host: '127.0.0.1', port: 50051 }],
    ['127.0.0.1', { host: '127.0.0.1', port: 32767 }],
    ['router.example.net', { host: 'router.example.net', port: 32767 }],
    ['[::1]:32767', { host: '[::1]', port: 32767 }],
    ['[2001:db8::1]', { host: '[2001:db8::1]', port: 32767 }],
  ])('reads %s', (text, expected) => {
    expect(parseHostPort(text, 32767)).toEqual(expected);
  });

  it.each([
    ['r1:abc', 'expected host:port, got "r1:abc": port must be a number 1..65535'],
    ['r1:0', 'port must be a number 1..65535'],
    ['r1:65536', 'port must be a number 1..65535'],
    ['r1:', 'port must be a number 1..65535'],
    ['::1', 'write IPv6 addresses in brackets, as [::1]:32767'],
    ['[::1]x', 'expected host:port, got "[::1]x"'],
    ['[10.0.0.1]:1', 'is not an IPv6 address'],
    ['10.0.0.300:1', '"10.0.0.300" is not an IPv4 address'],
    ['bad_host:1', '"bad_host" is not a host name or address'],
    ['', 'is not a host name or address'],
  ])('rejects %j', (text, reason) => {
    const result = parseHostPort(text, 32767);
    expect('error' in result && result.error).toContain(reason);
  });
});

describe('mqtt', () => {
  it('accepts protocol versions 5 and 4 in their usual spellings', () => {
    for (const [given, expected] of [
      [5, 5],
      ['5', 5],
      [4, 4],
      ['4', 4],
      ['3.1.1', 4],
    ] as const) {
      expect(parse({ ...withDevice({}), mqtt: { protocolVersion: given } }).mqtt.protocolVersion).toBe(expected);
    }
    expect(problems({ ...withDevice({}), mqtt: { protocolVersion: 3 } })).toEqual([
      'mqtt.protocolVersion: expected 5 or 4 (MQTT 3.1.1); "5" and "3.1.1" are accepted too',
    ]);
  });

  it('checks the URL, qos and topic prefix', () => {
    expect(problems({ ...withDevice({}), mqtt: { url: 'http://x', qos: 3, topicPrefix: 'jet/#' } })).toEqual([
      'mqtt.url: expected an mqtt://, mqtts://, ws:// or wss:// URL, got "http://x"',
      'mqtt.topicPrefix: must not contain the MQTT wildcards + or # (nor NUL)',
      'mqtt.qos: expected one of 0, 1, 2, got number 3',
    ]);
    expect(problems({ ...withDevice({}), mqtt: { topicPrefix: '/jet' } })).toEqual([
      'mqtt.topicPrefix: must not start or end with "/"',
    ]);
  });

  it('takes one broker URL or the nodes of a cluster, each checked', () => {
    expect(parse(withDevice({})).mqtt).toMatchObject({
      url: 'mqtt://127.0.0.1:1883',
      urls: ['mqtt://127.0.0.1:1883'],
    });
    const nodes = ['mqtt://n1:1883', 'mqtt://n2:1883', 'mqtts://n3:8883'];
    expect(parse({ ...withDevice({}), mqtt: { url: nodes } }).mqtt).toMatchObject({ url: nodes[0], urls: nodes });
    expect(problems({ ...withDevice({}), mqtt: { url: ['mqtt://n1:1883', 'ftp://n2'] } })).toEqual([
      'mqtt.url[1]: expected an mqtt://, mqtts://, ws:// or wss:// URL, got "ftp://n2"',
    ]);
    expect(problems({ ...withDevice({}), mqtt: { url: [] } })).toEqual(['mqtt.url: give at least one broker URL']);
  });

  it('does not echo a URL that may hold credentials', () => {
    const [line] = problems({ ...withDevice({}), mqtt: { url: 'http://user:s3cret@host' } });
    expect(line).not.toContain('s3cret');
  });

  it('resolves TLS file paths against the config folder', () => {
    const config = parse({
      ...withDevice({}),
      mqtt: { tls: { ca: 'certs/ca.crt', cert: '/abs/client.crt', key: 'client.key' } },
    });
    expect(config.mqtt.tls).toEqual({
      ca: path.join(BASE, 'certs/ca.crt'),
      cert: '/abs/client.crt',
      key: path.join(BASE, 'client.key'),
      rejectUnauthorized: true,
    });
  });
});

describe('devices', () => {
  it('need at least one', () => {
    expect(problems({})).toEqual(['devices: is required']);
    expect(problems({ devices: [] })).toEqual(['devices: at least one device is required']);
  });

  it('need names that can be topic segments, once each', () => {
    expect(problems(withDevice({ name: 'r1/core' }))).toEqual([
      'devices[0].name: "r1/core" is not a device name: use letters, digits, "_", "." and "-" (it becomes an MQTT topic segment)',
    ]);
    expect(problems({ devices: [device, { ...device, name: 'r2' }, device] })).toEqual([
      'devices[2].name: "r1" is already the name of devices[0]',
    ]);
  });

  it('normalise the address and report a bad one with the field', () => {
    expect(parse(withDevice({ address: '[::1]:50051' })).devices[0]!.address).toBe('[::1]:50051');
    expect(problems(withDevice({ address: 'r1:abc' }))).toEqual([
      'devices[0].address: expected host:port, got "r1:abc": port must be a number 1..65535',
    ]);
  });

  it('require username and password', () => {
    expect(problems({ devices: [{ name: 'r1', address: 'r1' }] })).toEqual([
      'devices[0].username: is required',
      'devices[0].password: expected a string, "${ENV_NAME}" or {"file": "path"}',
    ]);
  });

  it('take the jnx dialect and refuse others', () => {
    expect(parse(withDevice({ dialect: 'jnx' })).devices[0]!.dialect).toBe('jnx');
    expect(problems(withDevice({ dialect: 'grpc' }))).toEqual([
      'devices[0].dialect: expected "legacy" or "jnx", got string "grpc"',
    ]);
  });

  it('are insecure without TLS settings and use TLS with them', () => {
    const tls = parse(withDevice({ tls: { ca: 'ca.crt', cert: 'c.crt', key: 'c.key', serverName: 'r1' } })).devices[0]!;
    expect(tls.insecure).toBe(false);
    expect(tls.tls).toEqual({
      ca: path.join(BASE, 'ca.crt'),
      cert: path.join(BASE, 'c.crt'),
      key: path.join(BASE, 'c.key'),
      serverName: 'r1',
    });
    const systemRoots = parse(withDevice({ insecure: false })).devices[0]!;
    expect(systemRoots).toMatchObject({ insecure: false, tls: {} });
    expect(problems(withDevice({ insecure: true, tls: {} }))).toEqual([
      'devices[0].insecure: set either tls or insecure: true, not both',
    ]);
    expect(problems(withDevice({ tls: { cert: 'c.crt' } }))).toEqual([
      'devices[0].tls.key: cert and key go together for mutual TLS; set both or neither',
    ]);
  });

  it('take events as a boolean or an object', () => {
    expect(parse(withDevice({ events: true })).devices[0]!.events).toEqual({
      enabled: true,
      rib: false,
      queueLimit: 10000,
      overflow: 'block',
    });
    expect(parse(withDevice({ events: { rib: true, overflow: 'drop-oldest' } })).devices[0]!.events).toEqual({
      enabled: true,
      rib: true,
      queueLimit: 10000,
      overflow: 'drop-oldest',
    });
    expect(problems(withDevice({ events: 'yes' }))).toEqual([
      'devices[0].events: expected true, false or an object {rib, queueLimit, overflow}',
    ]);
    expect(problems(withDevice({ events: { overflow: 'spill' } }))).toEqual([
      'devices[0].events.overflow: expected "block" or "drop-oldest", got string "spill"',
    ]);
  });

  it('default notify topics and check the notify URL', () => {
    expect(parse(withDevice({ notify: { url: 'mqtt://192.0.2.10' } })).devices[0]!.notify).toEqual({
      url: 'mqtt://192.0.2.10',
      topics: ['/junos/events/#'],
      normalize: false,
    });
    expect(problems(withDevice({ notify: {} }))).toEqual(['devices[0].notify.url: is required']);
  });

  it('validate the policy with field names', () => {
    expect(problems(withDevice({ policy: { allow: ['10.0.0.0/8', '10.1.1.1/16'], maxRoutes: -1 } }))).toEqual([
      'devices[0].policy.allow[1]: "10.1.1.1/16" is not a route filter: "10.1.1.1/16" is not a valid prefix: host bits set; did you mean 10.1.0.0/16?',
      'devices[0].policy.maxRoutes: must be at least 0, got number -1',
    ]);
  });

  it('default the rate limit burst to one second of traffic', () => {
    expect(parse(withDevice({ rateLimit: { perSec: 500 } })).devices[0]!.rateLimit).toEqual({
      perSec: 500,
      burst: 500,
    });
    expect(parse(withDevice({ rateLimit: { perSec: 0.5 } })).devices[0]!.rateLimit).toEqual({ perSec: 0.5, burst: 1 });
    expect(problems(withDevice({ rateLimit: { perSec: 0 } }))).toEqual([
      'devices[0].rateLimit.perSec: must be more than 0, got number 0',
    ]);
  });
});

describe('emulator', () => {
  it('impersonates every device unless told which, and only configured ones', () => {
    const two = { devices: [device, { ...device, name: 'r2' }] };
    expect(parse(two).emulator.devices).toEqual(['r1', 'r2']);
    expect(parse({ ...two, emulator: { devices: ['r2'] } }).emulator.devices).toEqual(['r2']);
    expect(problems({ ...two, emulator: { devices: ['r3'] } })).toEqual([
      'emulator.devices[0]: "r3" is not the name of a configured device',
    ]);
  });

  it('resolves user passwords as secrets', () => {
    const config = parse({ ...withDevice({}), emulator: { users: { lab: '${LAB_PW}' } } }, { LAB_PW: 'pw' });
    expect(Object.keys(config.emulator.users)).toEqual(['lab']);
    expect(config.emulator.users.lab!.value).toBe('pw');
    expect(problems({ ...withDevice({}), emulator: { users: { lab: '${LAB_PW}' } } })).toEqual([
      'emulator.users.lab: environment variable LAB_PW is not set',
    ]);
  });

  it('has no port of its own: an emulated device listens at its address', () => {
    expect(problems({ ...withDevice({}), emulator: { port: 0 } }).join('\n')).toMatch(/emulator.*port/);
  });
});

describe('pipeline, state, http, log', () => {
  it('bound the batch size to what JET accepts', () => {
    expect(problems({ ...withDevice({}), pipeline: { maxBatch: 1001 } })).toEqual([
      'pipeline.maxBatch: must be at most 1000, got number 1001',
    ]);
    expect(problems({ ...withDevice({}), pipeline: { retry: { initialMs: 500, maxMs: 100 } } })).toEqual([
      'pipeline.retry.maxMs: must be at least initialMs (500)',
    ]);
  });

  it('keep :memory: as the state path and resolve others', () => {
    expect(parse({ ...withDevice({}), state: { path: ':memory:' } }).state.path).toBe(':memory:');
    expect(parse({ ...withDevice({}), state: { path: 'data/state.db' } }).state.path).toBe(
      path.join(BASE, 'data/state.db'),
    );
  });

  it('default the fleet lease to 3 s checked every 500 ms, and keep several checks within a lease', () => {
    expect(parse(withDevice({})).fleet).toEqual({ leaseTimeoutMs: 3000, checkIntervalMs: 500 });
    expect(problems({ ...withDevice({}), fleet: { leaseTimeoutMs: 2000, checkIntervalMs: 1000 } })).toEqual([
      'fleet.checkIntervalMs: must be at most a quarter of leaseTimeoutMs (2000), so a heartbeat or two may be late',
    ]);
  });

  it('take a PostgreSQL URL for the state, and say what else they expected without echoing credentials', () => {
    for (const url of ['postgres://bridge@db:5432/jetbridge', 'postgresql://db/jetbridge'])
      expect(parse({ ...withDevice({}), state: { url } }).state.url).toBe(url);
    expect(parse(withDevice({})).state.url).toBeUndefined();
    expect(problems({ ...withDevice({}), state: { url: 'mysql://db/jetbridge' } })).toEqual([
      'state.url: expected a postgres:// or postgresql:// URL, got "mysql://db/jetbridge"',
    ]);
    expect(problems({ ...withDevice({}), state: { url: 'http://user:secret@db/x' } })).toEqual([
      'state.url: expected a postgres:// or postgresql:// URL',
    ]);
  });

  it('know the log levels', () => {
    expect(parse({ ...withDevice({}), log: { level: 'debug' } }).log.level).toBe('debug');
    expect(problems({ ...withDevice({}), log: { level: 'loud' } })[0]).toMatch(
      /^log\.level: expected one of "fatal", "error"/,
    );
  });
});

describe('errors', () => {
  it('list every problem, each naming its field, one per line', () => {
    let error: ConfigError | undefined;
    try {
      parse({
        mqtt: { url: 5, colour: 'blue' },
        devices: [
          { ...device, address: 'r1:abc', queueLimit: 0 },
          { name: 'r2', address: 'r2', username: 'u', password: '${NOPE}' },
        ],
        http: { port: 'x' },
        extra: true,
      });
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error?.problems).toEqual([
      'mqtt.url: expected an MQTT URL or an array of them (nodes of one cluster)',
      'mqtt.colour: unknown field',
      'devices[0].address: expected host:port, got "r1:abc": port must be a number 1..65535',
      'devices[0].queueLimit: must be at least 1, got number 0',
      'devices[1].password: environment variable NOPE is not set',
      'http.port: expected a number, got string "x"',
      'extra: unknown field',
    ]);
    expect(error?.message.split('\n').slice(1)).toEqual(error?.problems);
  });

  it('never contain a secret', () => {
    const secretText = 'hunter2-secret';
    const raw = {
      mqtt: { password: secretText, url: 'nope' },
      devices: [{ ...device, password: secretText, address: 'r1:abc' }],
      emulator: { users: { jet: secretText, bad: 5 } },
    };
    let message = '';
    try {
      parse(raw);
    } catch (error) {
      message = `${(error as Error).message}\n${inspect(error)}`;
    }
    expect(message).toContain('devices[0].address');
    expect(message).not.toContain(secretText);
  });

  it('leave no secret in the parsed config when it is serialised or inspected', () => {
    const config = parse(
      { mqtt: { password: '${MQTT_PW}' }, devices: [{ ...device, password: 'hunter2-secret' }] },
      { MQTT_PW: 'mqtt-secret' },
    );
    for (const text of [
      JSON.stringify(config),
      inspect(config, { depth: null, showHidden: true }),
      String(config.mqtt.password),
    ]) {
      expect(text).not.toContain('hunter2-secret');
      expect(text).not.toContain('mqtt-secret');
    }
    expect(config.mqtt.password?.value).toBe('mqtt-secret');
  });

  it('reject a config that is not an object', () => {
    expect(problems('devices')).toEqual(['expected an object, got string "devices"']);
    expect(problems(null)).toEqual(['expected an object, got null']);
  });
});
