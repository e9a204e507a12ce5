/**
 * The schema of bridge.config.json: every section, its defaults, and the
 * checks that make a bad file fail with a message naming the field.
 *
 * The schema is built per load (createConfigSchema) because parsing resolves
 * things that depend on where and how the file is loaded: secrets read
 * environment variables and files, relative paths resolve against the
 * config file's folder, and the default MQTT client id includes the host name.
 * Every object is strict, so a misspelt key is an error rather than ignored.
 */
import path from 'node:path';
import { z } from 'zod';
import type { DialectName } from '../jet/model.js';
import { policyConfigSchema } from '../intent/policy.js';
import { parseAddress, quote } from '../intent/syntax.js';
import { resolveSecret, type Environment, type Secret } from './secret.js';

export interface SchemaContext {
  env: Environment;
  /** Folder that relative paths (TLS files, secret files, state path) resolve against. */
  baseDir: string;
  /** Used in the default MQTT client id. */
  hostname: string;
}

/**
 * How a field is written in a config file, for the fields whose zod schema
 * cannot say it to a JSON Schema: values normalised before validation
 * (`events: true`, `protocolVersion: "3.1.1"`), secrets resolved at load time,
 * defaults that depend on the machine. json-schema.ts puts these in place.
 */
export const writtenForms = z.registry<{ form: z.core.JSONSchema.BaseSchema }>();

const SECRET_FORM: z.core.JSONSchema.BaseSchema = {
  description: 'a secret: the text itself, "${ENV_NAME}" to read an environment variable, or {"file": "path"}',
  anyOf: [
    { type: 'string' },
    {
      type: 'object',
      properties: { file: { type: 'string', minLength: 1 } },
      required: ['file'],
      additionalProperties: false,
    },
  ],
};

export const DEFAULT_JET_PORT = 32767;
const DEVICE_NAME = /^[A-Za-z0-9_.-]+$/;
const DNS_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${DNS_LABEL}(?:\\.${DNS_LABEL})*\\.?$`);
const PORT = /^[0-9]{1,5}$/;
const LOOKS_IPV4 = /^[0-9.]+$/;
const MQTT_PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:'];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const DIALECT_NAMES = ['legacy', 'jnx'] as const satisfies readonly DialectName[];

export interface HostPort {
  host: string;
  port: number;
}

function parsePort(text: string): number | undefined {
  const port = PORT.test(text) ? Number(text) : Number.NaN;
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** The host of `host:port`: a DNS name, a strict IPv4 address, or a bracketed IPv6 address. */
function hostProblem(host: string): string | undefined {
  if (host.startsWith('[') && host.endsWith(']')) {
    try {
      parseAddress(host.slice(1, -1), 'inet6');
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }
  if (LOOKS_IPV4.test(host)) {
    try {
      parseAddress(host, 'inet');
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }
  return HOSTNAME.test(host) ? undefined : `${quote(host)} is not a host name or address`;
}

/**
 * Parses `host:port`, `host` (port defaults to `defaultPort`), `[v6]:port` or
 * `[v6]`. Returns the reason when the text is not one of those.
 */
export function parseHostPort(text: string, defaultPort: number): HostPort | { error: string } {
  const expected = `expected host:port, got ${quote(text)}`;
  const bracketEnd = text.startsWith('[') ? text.indexOf(']') : -1;
  let host: string;
  let portText: string | undefined;
  if (bracketEnd > 0) {
    host = text.slice(0, bracketEnd + 1);
    const rest = text.slice(bracketEnd + 1);
    if (rest !== '' && !rest.startsWith(':')) return { error: expected };
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colons = text.split(':').length - 1;
    if (colons > 1) return { error: `${expected}: write IPv6 addresses in brackets, as [::1]:${defaultPort}` };
    [host = '', portText] = text.split(':');
  }
  const port = portText === undefined ? defaultPort : parsePort(portText);
  if (port === undefined) return { error: `${expected}: port must be a number 1..65535` };
  const problem = hostProblem(host);
  if (problem) return { error: `${expected}: ${problem}` };
  return { host, port };
}

function hostPort(defaultPort: number) {
  return z.string().transform((text, ctx): string => {
    const parsed = parseHostPort(text, defaultPort);
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return `${parsed.host}:${parsed.port}`;
  });
}

function mqttUrl() {
  return z.string().superRefine((text, ctx) => {
    let protocol: string | undefined;
    try {
      protocol = new URL(text).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol === undefined || !MQTT_PROTOCOLS.includes(protocol)) {
      // A URL may carry credentials (mqtt://user:password@host); only show it when it cannot.
      const got = text.includes('@') ? '' : `, got ${quote(text)}`;
      ctx.addIssue({ code: 'custom', message: `expected an mqtt://, mqtts://, ws:// or wss:// URL${got}` });
    }
  });
}

/**
 * `mqtt.url`: one broker URL, or several (nodes of one cluster, tried in turn). The
 * output keeps `url` (the first, for the embedded broker and the client commands)
 * and adds `urls`, every node in order.
 */
function mqttUrls() {
  return z
    .union([mqttUrl(), z.array(mqttUrl()).min(1, { error: 'give at least one broker URL' })], {
      error: 'expected an MQTT URL or an array of them (nodes of one cluster)',
    })
    .transform((value) => (typeof value === 'string' ? [value] : value));
}

function secret(context: SchemaContext) {
  const schema = z.unknown().transform((spec, ctx): Secret => {
    try {
      return resolveSecret(spec, context.env, context.baseDir);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
  return schema.register(writtenForms, { form: SECRET_FORM });
}

function filePath(context: SchemaContext) {
  return z
    .string()
    .min(1)
    .transform((file) => path.resolve(context.baseDir, file));
}

const nonEmpty = z.string().min(1);
const positiveInt = z.int().min(1);
const nonNegativeInt = z.int().min(0);

/** Client-side TLS for an MQTT connection (the bridge's broker, or a router's notification broker). */
function mqttTls(context: SchemaContext) {
  return z
    .strictObject({
      ca: filePath(context).optional(),
      cert: filePath(context).optional(),
      key: filePath(context).optional(),
      rejectUnauthorized: z.boolean().default(true),
      servername: nonEmpty.optional(),
    })
    .superRefine(requireCertWithKey);
}

function requireCertWithKey(tls: { cert?: string; key?: string }, ctx: z.RefinementCtx): void {
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    const missing = tls.cert === undefined ? 'cert' : 'key';
    const message = 'cert and key go together for mutual TLS; set both or neither';
    ctx.addIssue({ code: 'custom', path: [missing], message });
  }
}

/** MQTT protocol versions: 5, or 4 (MQTT 3.1.1), also accepted as "5", "4" and "3.1.1". */
const PROTOCOL_VERSION_NAMES: ReadonlyMap<unknown, number> = new Map([
  ['5', 5],
  ['4', 4],
  ['3.1.1', 4],
]);
const protocolVersion = z
  .preprocess(
    (value) => PROTOCOL_VERSION_NAMES.get(value) ?? value,
    z.literal([5, 4], { error: 'expected 5 or 4 (MQTT 3.1.1); "5" and "3.1.1" are accepted too' }),
  )
  .register(writtenForms, {
    form: { description: 'MQTT 5, or 4 (MQTT 3.1.1)', enum: [5, 4, '5', '4', '3.1.1'], default: 5 },
  });

function mqttSection(context: SchemaContext) {
  return z
    .strictObject({
      url: mqttUrls().prefault('mqtt://127.0.0.1:1883'),
      protocolVersion: protocolVersion.default(5),
      clientId: nonEmpty.default(`jetbridge-${context.hostname}`).register(writtenForms, {
        form: {
          type: 'string',
          minLength: 1,
          description: 'default jetbridge-<hostname>; set it fixed in production so the persistent session survives',
        },
      }),
      username: nonEmpty.optional(),
      password: secret(context).optional(),
      tls: mqttTls(context).optional(),
      topicPrefix: topicPrefix().default('jet'),
      qos: z.literal([0, 1, 2]).default(1),
      embeddedBroker: z.boolean().default(false),
      // "all": every device's topics (answers UNKNOWN_DEVICE); "devices": only the
      // configured devices', for several bridges sharing one broker and prefix.
      subscribe: z.enum(['all', 'devices']).default('all'),
      sessionExpirySec: nonNegativeInt.default(3600),
      receiveMaximum: z.int().min(1).max(65535).default(65535),
      maxPayloadBytes: positiveInt.default(1024 * 1024),
      outboxLimit: positiveInt.default(100_000),
    })
    .transform(({ url: urls, ...mqtt }) => ({ ...mqtt, url: urls[0] as string, urls }));
}

function topicPrefix() {
  return nonEmpty.superRefine((prefix, ctx) => {
    if (/[+#\0]/.test(prefix))
      ctx.addIssue({ code: 'custom', message: 'must not contain the MQTT wildcards + or # (nor NUL)' });
    else if (prefix.startsWith('/') || prefix.endsWith('/')) {
      ctx.addIssue({ code: 'custom', message: 'must not start or end with "/"' });
    }
  });
}

/** `events: true | false | {rib?, queueLimit?, overflow?}`, normalised to an object with `enabled`. */
const eventsObject = z.strictObject(
  {
    enabled: z.boolean().default(true),
    rib: z.boolean().default(false),
    queueLimit: positiveInt.default(10_000),
    overflow: z.enum(['block', 'drop-oldest']).default('block'),
  },
  { error: 'expected true, false or an object {rib, queueLimit, overflow}' },
);
const eventsSection = z
  .preprocess((value) => (typeof value === 'boolean' ? { enabled: value } : value), eventsObject)
  .register(writtenForms, {
    form: {
      description: 'relay BGP monitoring events: true, false, or {rib, queueLimit, overflow}',
      anyOf: [{ type: 'boolean' }, z.toJSONSchema(eventsObject, { io: 'input' })],
      default: false,
    },
  })
  .prefault(false);

function deviceTls(context: SchemaContext) {
  return z
    .strictObject({
      ca: filePath(context).optional(),
      cert: filePath(context).optional(),
      key: filePath(context).optional(),
      serverName: nonEmpty.optional(),
    })
    .superRefine(requireCertWithKey);
}

function notifySection(context: SchemaContext) {
  return z.strictObject({
    url: mqttUrl(),
    username: nonEmpty.optional(),
    password: secret(context).optional(),
    tls: mqttTls(context).optional(),
    topics: z.array(nonEmpty).min(1).default(['/junos/events/#']),
    normalize: z.boolean().default(false),
  });
}

const rateLimitSection = z
  .strictObject({ perSec: z.number().positive(), burst: positiveInt.optional() })
  .transform(({ perSec, burst }) => ({ perSec, burst: burst ?? Math.max(1, Math.ceil(perSec)) }));

const opSection = z.strictObject({ allowedCommands: z.array(nonEmpty).default(['show ']) }).prefault({});

function deviceSection(context: SchemaContext) {
  return z
    .strictObject({
      name: z.string().regex(DEVICE_NAME, {
        error: (issue) =>
          `${quote(String(issue.input))} is not a device name: ` +
          'use letters, digits, "_", "." and "-" (it becomes an MQTT topic segment)',
      }),
      address: hostPort(DEFAULT_JET_PORT),
      dialect: z.enum(DIALECT_NAMES).default('legacy'),
      username: nonEmpty,
      password: secret(context),
      clientId: nonEmpty.optional(),
      tls: deviceTls(context).optional(),
      insecure: z.boolean().optional(),
      events: eventsSection,
      notify: notifySection(context).optional(),
      policy: policyConfigSchema.prefault({}),
      rateLimit: rateLimitSection.optional(),
      op: opSection,
      queueLimit: positiveInt.default(100_000),
      unavailableBudgetMs: nonNegativeInt.default(30_000),
    })
    .superRefine((device, ctx) => {
      if (device.insecure === true && device.tls !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['insecure'], message: 'set either tls or insecure: true, not both' });
      }
    })
    .transform(({ insecure, tls, clientId, ...device }) => ({
      ...device,
      clientId: clientId ?? `jetbridge-${device.name}`,
      // Without TLS settings the channel is plaintext, unless the operator said
      // insecure: false, which asks for TLS trusting the system's CAs.
      insecure: insecure ?? tls === undefined,
      ...(tls !== undefined ? { tls } : insecure === false ? { tls: {} } : {}),
    }));
}

function emulatorSection(context: SchemaContext) {
  return z.strictObject({
    enabled: z.boolean().default(false),
    devices: z.array(nonEmpty).optional(),
    // An emulated device's JET server listens at that device's own `address`.
    users: z.record(nonEmpty, secret(context)).prefault({ jet: 'jet' }),
    purgeTimeoutSec: nonNegativeInt.default(120),
    adminPort: z.int().min(0).max(65535).optional(),
    notifyMqtt: mqttUrl().optional(),
  });
}

const retrySection = z
  .strictObject({
    initialMs: positiveInt.default(100),
    maxMs: positiveInt.default(5000),
    maxAttempts: positiveInt.default(8),
  })
  .superRefine((retry, ctx) => {
    if (retry.maxMs < retry.initialMs) {
      ctx.addIssue({ code: 'custom', path: ['maxMs'], message: `must be at least initialMs (${retry.initialMs})` });
    }
  });

const pipelineSection = z.strictObject({
  debounceMs: nonNegativeInt.default(50),
  maxBatch: z.int().min(1).max(1000).default(1000),
  maxBatchDelayMs: nonNegativeInt.default(2),
  maxInFlight: positiveInt.default(8),
  maxInFlightPerDevice: positiveInt.default(4),
  rpcTimeoutMs: positiveInt.default(10_000),
  retry: retrySection.prefault({}),
});

/** A PostgreSQL connection URL; like an MQTT URL it may hold a password, so it is echoed only when it cannot. */
function postgresUrl() {
  return z.string().superRefine((text, ctx) => {
    let protocol: string | undefined;
    try {
      protocol = new URL(text).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
      const got = text.includes('@') ? '' : `, got ${quote(text)}`;
      ctx.addIssue({ code: 'custom', message: `expected a postgres:// or postgresql:// URL${got}` });
    }
  });
}

function stateSection(context: SchemaContext) {
  return z.strictObject({
    // ":memory:" is SQLite's in-memory database, not a file name.
    path: nonEmpty
      .default('.jetbridge/state.db')
      .transform((file) => (file === ':memory:' ? file : path.resolve(context.baseDir, file))),
    /** When set, the state lives in this PostgreSQL database instead of the SQLite files at `path`. */
    url: postgresUrl().optional(),
  });
}

/**
 * Fleet membership (with PostgreSQL state): how long a silent bridge keeps its
 * device leases, and how often each bridge checks the fleet (its heartbeat).
 */
const fleetSection = z
  .strictObject({
    leaseTimeoutMs: z.int().min(1000).default(3000),
    checkIntervalMs: z.int().min(50).default(500),
  })
  .superRefine((fleet, ctx) => {
    if (fleet.checkIntervalMs * 4 > fleet.leaseTimeoutMs) {
      const message = `must be at most a quarter of leaseTimeoutMs (${fleet.leaseTimeoutMs}), so a heartbeat or two may be late`;
      ctx.addIssue({ code: 'custom', path: ['checkIntervalMs'], message });
    }
  });

const httpSection = z.strictObject({
  enabled: z.boolean().default(false),
  host: nonEmpty.default('127.0.0.1'),
  port: z.int().min(0).max(65535).default(9464),
});

const logSection = z.strictObject({ level: z.enum(LOG_LEVELS).default('info') });

/** Cross-section checks: unique device names, emulator devices that exist. */
function checkDevices(
  config: { devices: { name: string }[]; emulator: { devices?: string[] } },
  ctx: z.RefinementCtx,
): void {
  const firstIndex = new Map<string, number>();
  config.devices.forEach(({ name }, i) => {
    const first = firstIndex.get(name);
    if (first === undefined) {
      firstIndex.set(name, i);
      return;
    }
    const message = `${quote(name)} is already the name of devices[${first}]`;
    ctx.addIssue({ code: 'custom', path: ['devices', i, 'name'], message });
  });
  config.emulator.devices?.forEach((name, i) => {
    if (!firstIndex.has(name)) {
      const message = `${quote(name)} is not the name of a configured device`;
      ctx.addIssue({ code: 'custom', path: ['emulator', 'devices', i], message });
    }
  });
}

export function createConfigSchema(context: SchemaContext) {
  return z
    .strictObject({
      // Editors read it to find bridge.config.schema.json; the bridge ignores it.
      $schema: z.string().optional().describe('the JSON Schema this file follows, for editors'),
      mqtt: mqttSection(context).prefault({}).describe('the MQTT broker the bridge connects to, and its topics'),
      devices: z
        .array(deviceSection(context))
        .min(1, { error: 'at least one device is required' })
        .describe('the routers the bridge programs, each a JET server'),
      emulator: emulatorSection(context).prefault({}).describe('an in-process JET emulator impersonating devices'),
      pipeline: pipelineSection.prefault({}).describe('coalescing, batching, concurrency and retries'),
      state: stateSection(context).prefault({}).describe('where the inbox and the programmed state are kept'),
      fleet: fleetSection.prefault({}).describe('device leases when several bridges share PostgreSQL state'),
      http: httpSection.prefault({}).describe('the metrics and health endpoints'),
      log: logSection.prefault({}).describe('logging'),
    })
    .superRefine(checkDevices)
    .transform(({ emulator, $schema: _schema, ...config }) => ({
      ...config,
      // The emulator impersonates every configured device unless told which.
      emulator: { ...emulator, devices: emulator.devices ?? config.devices.map((device) => device.name) },
    }));
}

/** bridge.config.json after validation, with every default filled in and every secret resolved. */
export type BridgeConfig = z.output<ReturnType<typeof createConfigSchema>>;
export type DeviceConfig = BridgeConfig['devices'][number];
export type MqttConfig = BridgeConfig['mqtt'];
export type EmulatorConfig = BridgeConfig['emulator'];
export type PipelineConfig = BridgeConfig['pipeline'];
