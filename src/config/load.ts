/**
 * Loads and validates the bridge configuration.
 *
 * The file is JSON (bridge.config.json), or TOML when its name ends in .toml.
 * Relative paths in it (TLS files, secret files, the state database) resolve
 * against the folder the file is in, so a config and its certificates can move
 * together. Problems are collected, not thrown one at a time: a ConfigError
 * lists every one, a line each, as `devices[0].address: expected host:port, got "r1:abc"`.
 *
 * Environment overrides, applied on top of the file (an empty variable counts as unset):
 *
 *   JETBRIDGE_MQTT_URL         mqtt.url
 *   JETBRIDGE_MQTT_USERNAME    mqtt.username
 *   JETBRIDGE_MQTT_PASSWORD    mqtt.password (taken literally, never as "${...}" or a file)
 *   JETBRIDGE_MQTT_CLIENT_ID   mqtt.clientId
 *   JETBRIDGE_TOPIC_PREFIX     mqtt.topicPrefix
 *   JETBRIDGE_LOG_LEVEL        log.level
 *   JETBRIDGE_HTTP_PORT        http.port
 *   JETBRIDGE_STATE_PATH       state.path (relative to the config file's folder)
 *   JETBRIDGE_STATE_URL        state.url (PostgreSQL instead of the SQLite files)
 *   JETBRIDGE_EMBEDDED_BROKER  mqtt.embeddedBroker (true/false)
 *   JETBRIDGE_EMULATOR         emulator.enabled (true/false)
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { issueLines, issueMessage } from '../intent/issues.js';
import { quote } from '../intent/syntax.js';
import { createConfigSchema, type BridgeConfig } from './schema.js';
import { Secret, type Environment } from './secret.js';

export type OverrideKind = 'string' | 'secret' | 'port' | 'boolean';

export interface EnvOverride {
  variable: string;
  /** The config field it sets, as a dotted path. */
  field: string;
  kind: OverrideKind;
}

export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { variable: 'JETBRIDGE_MQTT_URL', field: 'mqtt.url', kind: 'string' },
  { variable: 'JETBRIDGE_MQTT_USERNAME', field: 'mqtt.username', kind: 'string' },
  { variable: 'JETBRIDGE_MQTT_PASSWORD', field: 'mqtt.password', kind: 'secret' },
  { variable: 'JETBRIDGE_MQTT_CLIENT_ID', field: 'mqtt.clientId', kind: 'string' },
  { variable: 'JETBRIDGE_TOPIC_PREFIX', field: 'mqtt.topicPrefix', kind: 'string' },
  { variable: 'JETBRIDGE_LOG_LEVEL', field: 'log.level', kind: 'string' },
  { variable: 'JETBRIDGE_HTTP_PORT', field: 'http.port', kind: 'port' },
  { variable: 'JETBRIDGE_STATE_PATH', field: 'state.path', kind: 'string' },
  { variable: 'JETBRIDGE_STATE_URL', field: 'state.url', kind: 'string' },
  { variable: 'JETBRIDGE_EMBEDDED_BROKER', field: 'mqtt.embeddedBroker', kind: 'boolean' },
  { variable: 'JETBRIDGE_EMULATOR', field: 'emulator.enabled', kind: 'boolean' },
];

/** Every problem of a configuration, one line each. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly problems: readonly string[],
    source?: string,
  ) {
    super(`invalid configuration${source ? ` in ${source}` : ''}:\n${problems.join('\n')}`);
  }
}

const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
]);

/** Converts a variable's text to the field's type, or says why it cannot. */
function overrideValue(override: EnvOverride, text: string): { value: unknown } | { error: string } {
  switch (override.kind) {
    case 'string':
      return { value: text };
    case 'secret':
      return { value: new Secret(text) };
    case 'port': {
      const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : Number.NaN;
      return port <= 65535 ? { value: port } : { error: `expected a port number 0..65535, got ${quote(text)}` };
    }
    case 'boolean': {
      const value = BOOLEANS.get(text.toLowerCase());
      return value === undefined ? { error: `expected true or false, got ${quote(text)}` } : { value };
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A copy of `root` with `value` at the dotted `field`, creating missing sections
 * and copying (not mutating) the ones on the way. A section that is not an
 * object is left alone: the schema reports it.
 */
function withField(root: Record<string, unknown>, keys: readonly string[], value: unknown): Record<string, unknown> {
  const [key, ...rest] = keys as [string, ...string[]];
  if (rest.length === 0) return { ...root, [key]: value };
  const section = Object.hasOwn(root, key) ? root[key] : {};
  if (!isObject(section)) return root;
  return { ...root, [key]: withField(section, rest, value) };
}

interface Overridden {
  raw: unknown;
  problems: string[];
  /** Config field → the variable that set it, to name the source in errors. */
  sources: Map<string, string>;
}

function applyOverrides(raw: unknown, env: Environment): Overridden {
  const problems: string[] = [];
  const sources = new Map<string, string>();
  if (!isObject(raw)) return { raw, problems, sources };
  let copy = raw;
  for (const override of ENV_OVERRIDES) {
    const text = env[override.variable];
    if (text === undefined || text === '') continue;
    const converted = overrideValue(override, text);
    if ('error' in converted) {
      problems.push(`${override.variable}: ${converted.error}`);
      continue;
    }
    copy = withField(copy, override.field.split('.'), converted.value);
    sources.set(override.field, override.variable);
  }
  return { raw: copy, problems, sources };
}

/**
 * Validates a configuration object (already read from its file), applies the
 * environment overrides and fills in defaults. `baseDir` is the folder relative
 * paths resolve against. Throws ConfigError listing every problem.
 */
export function parseConfig(
  raw: unknown,
  env: Environment = process.env,
  baseDir: string = process.cwd(),
): BridgeConfig {
  const overridden = applyOverrides(raw, env);
  const schema = createConfigSchema({ env, baseDir: path.resolve(baseDir), hostname: hostname() });
  const parsed = schema.safeParse(overridden.raw, { error: issueMessage });
  const label = (field: string) => {
    const variable = overridden.sources.get(field);
    return variable ? `${field} (from ${variable})` : field;
  };
  const problems = [...overridden.problems, ...(parsed.success ? [] : issueLines(parsed.error.issues, '', label))];
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError([`cannot read ${file} (${code})`], file);
  }
  const toml = file.endsWith('.toml');
  try {
    return toml ? parseToml(text) : (JSON.parse(text) as unknown);
  } catch (error) {
    throw new ConfigError([`not valid ${toml ? 'TOML' : 'JSON'}: ${(error as Error).message}`], file);
  }
}

/** Reads, validates and defaults the configuration file at `file`. Throws ConfigError. */
export function loadConfig(file: string, env: Environment = process.env): BridgeConfig {
  const absolute = path.resolve(file);
  const raw = readConfigFile(absolute);
  try {
    return parseConfig(raw, env, path.dirname(absolute));
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(error.problems, absolute);
    throw error;
  }
}
