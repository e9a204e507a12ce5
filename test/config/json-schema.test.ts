/**
 * The configuration's JSON Schema: the committed bridge.config.schema.json is
 * what `npm run gen:contracts` writes, the shipped configs follow it and point
 * at it, and it agrees with the bridge's own validation on what a file may say.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { CONFIG_SCHEMA_FILE, configJsonSchema } from '../../src/config/json-schema.js';
import { runCli } from '../helpers/bridge-process.js';

const SHIPPED_CONFIGS = [
  'bridge.config.json',
  'examples/config/real-router.config.json',
  'deploy/compose/bridge.config.json',
];
const device = { name: 'r1', address: '127.0.0.1', username: 'jet', password: 'jet' };

const committed = JSON.parse(readFileSync(CONFIG_SCHEMA_FILE, 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(committed);

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** Whether the bridge accepts the config (secrets from an environment that sets MQTT_PASSWORD). */
function bridgeAccepts(raw: unknown): boolean {
  try {
    parseConfig(raw, { MQTT_PASSWORD: 'x' }, '/etc/jetbridge');
    return true;
  } catch (error) {
    if (error instanceof ConfigError) return false;
    throw error;
  }
}

describe('bridge.config.schema.json', () => {
  it('is what the generator writes today (run npm run gen:contracts after changing the config schema)', () => {
    expect(committed).toEqual(configJsonSchema());
  });

  it.each(SHIPPED_CONFIGS)('%s follows it and names it in "$schema"', (file) => {
    const config = readJson(file);
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    expect(typeof config.$schema).toBe('string');
    expect(path.resolve(path.dirname(file), String(config.$schema))).toBe(path.resolve(CONFIG_SCHEMA_FILE));
  });

  const accepted: ReadonlyArray<[string, object]> = [
    ['the smallest config', { devices: [device] }],
    ['events: true', { devices: [{ ...device, events: true }] }],
    ['events as an object', { devices: [{ ...device, events: { rib: true, overflow: 'drop-oldest' } }] }],
    ['protocolVersion "3.1.1"', { mqtt: { protocolVersion: '3.1.1' }, devices: [device] }],
    ['a secret from the environment', { mqtt: { password: '${MQTT_PASSWORD}' }, devices: [device] }],
    ['a "$schema" key', { $schema: './bridge.config.schema.json', devices: [device] }],
  ];
  it.each(accepted)('accepts %s, as the bridge does', (_, config) => {
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    expect(bridgeAccepts(config)).toBe(true);
  });

  const refused: ReadonlyArray<[string, object, string]> = [
    ['no devices', { devices: [] }, '/devices'],
    ['a misspelt key', { mqtt: { topicPrefx: 'jet' }, devices: [device] }, '/mqtt'],
    ['QoS 3', { mqtt: { qos: 3 }, devices: [device] }, '/mqtt/qos'],
    ['an unknown dialect', { devices: [{ ...device, dialect: 'netconf' }] }, '/devices/0/dialect'],
    ['events: "yes"', { devices: [{ ...device, events: 'yes' }] }, '/devices/0/events'],
    ['a secret as a number', { devices: [{ ...device, password: 7 }] }, '/devices/0/password'],
    ['a device without a password', { devices: [{ name: 'r1', address: '127.0.0.1', username: 'jet' }] }, '/devices/0'],
  ];
  it.each(refused)('refuses %s, as the bridge does, at the field', (_, config, where) => {
    expect(validate(config)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain(where);
    expect(bridgeAccepts(config)).toBe(false);
  });

  it('takes its defaults from the bridge, without anything of this machine', () => {
    const text = JSON.stringify(committed);
    expect(text).toContain('"default":"mqtt://127.0.0.1:1883"');
    expect(text).not.toContain(process.cwd());
  });
});

describe('the "$schema" key', () => {
  it('is accepted by the bridge and left out of the loaded config', () => {
    const config = parseConfig({ $schema: 'https://example.net/schema.json', devices: [device] }, {}, '/');
    expect(Object.keys(config)).not.toContain('$schema');
  });

  it('must be a string', () => {
    expect(bridgeAccepts({ $schema: 1, devices: [device] })).toBe(false);
  });
});

describe('jetbridge schema', () => {
  it('prints the committed schema', { timeout: 30_000 }, async () => {
    const { code, stdout } = await runCli(['schema']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(committed);
    expect(existsSync(CONFIG_SCHEMA_FILE)).toBe(true);
  });
});
