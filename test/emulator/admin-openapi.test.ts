/**
 * docs/emulator-admin.openapi.yaml against the admin server it describes: the
 * document is valid OpenAPI 3.1 (by @readme/openapi-parser), it lists exactly
 * the server's paths and methods, and every documented operation is called on
 * a real admin server (with a real emulator, a JET client and a notifier on an
 * embedded broker), its answer checked against the documented response schema.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { dereference, validate } from '@readme/openapi-parser';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from '../../src/emulator/admin-http.js';
import { JetEmulator } from '../../src/emulator/emulator.js';
import { startNotifier, type Notifier } from '../../src/emulator/notify.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { connectLegacy, seedPaths, type LegacyClient } from './legacy-client.js';

const DOCUMENT = 'docs/emulator-admin.openapi.yaml';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const logger = pino({ level: 'silent' });

interface Operation {
  responses: Record<string, { content?: { 'application/json'?: { schema: object } } }>;
}
type Document = { paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>> };

let document: Document;
let broker: EmbeddedBroker;
let emulator: JetEmulator;
let notifier: Notifier;
let admin: AdminServer;
let client: LegacyClient;
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
const validators = new Map<string, ValidateFunction>();
/** `METHOD path status` of every answer the tests below checked. */
const exercised = new Set<string>();

beforeAll(async () => {
  document = (await dereference(DOCUMENT)) as unknown as Document;
  broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger });
  emulator = await JetEmulator.start({ host: '127.0.0.1', port: 0, users: { jet: 'secret' }, logger });
  notifier = await startNotifier(emulator, { url: `mqtt://127.0.0.1:${broker.port}`, hostname: 'r1', logger });
  admin = await startAdminServer(emulator, { host: '127.0.0.1', port: 0, logger, notifier });
  client = await connectLegacy(emulator.port, { clientId: 'openapi-test' });
  expect(await client.add(seedPaths('10.123.0.0', 100n))).toBe('SUCCESS');
});

afterAll(async () => {
  client?.close();
  await admin?.close();
  await notifier?.stop();
  await emulator?.stop();
  await broker?.close();
});

function responseValidator(method: string, path: string, status: number): ValidateFunction {
  const key = `${method} ${path} ${status}`;
  const cached = validators.get(key);
  if (cached) return cached;
  const operation = document.paths[path]?.[method.toLowerCase() as (typeof METHODS)[number]];
  const schema = operation?.responses[String(status)]?.content?.['application/json']?.schema;
  if (schema === undefined) throw new Error(`${DOCUMENT} documents no ${status} answer for ${method} ${path}`);
  const compiled = ajv.compile(schema);
  validators.set(key, compiled);
  return compiled;
}

/** Calls the admin server and checks the answer against the document; returns the body. */
async function call(method: string, target: string, status: number, body?: unknown): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${admin.port}${target}`, {
    method,
    signal: AbortSignal.timeout(5_000),
    ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const json = (await response.json()) as unknown;
  expect(response.status, JSON.stringify(json)).toBe(status);
  const path = new URL(target, 'http://x').pathname;
  const check = responseValidator(method, path, status);
  expect(check(json), `${method} ${target}: ${JSON.stringify(check.errors)}`).toBe(true);
  exercised.add(`${method} ${path} ${status}`);
  return json;
}

describe(DOCUMENT, () => {
  it('is valid OpenAPI 3.1', async () => {
    const result = await validate(DOCUMENT);
    expect(result.valid, JSON.stringify(result)).toBe(true);
  });

  it('lists exactly the paths and methods the server answers', async () => {
    const unknown = await fetch(`http://127.0.0.1:${admin.port}/no-such-path`);
    const { endpoints } = (await unknown.json()) as { endpoints: string[] };
    expect(Object.keys(document.paths).sort()).toEqual([...endpoints].sort());
    for (const path of endpoints) {
      const answer = await fetch(`http://127.0.0.1:${admin.port}${path}`, { method: 'PUT' });
      const allowed = answer.headers.get('allow')?.split(', ').sort();
      const documented = METHODS.filter((m) => document.paths[path]?.[m]).map((m) => m.toUpperCase());
      expect(allowed, path).toEqual(documented.sort());
    }
  });
});

describe('every documented operation, called', () => {
  it('GET /healthz', async () => {
    expect(await call('GET', '/healthz', 200)).toEqual({ status: 'ok', grpcPort: emulator.port });
  });

  it('GET /routes, filtered and refused', async () => {
    expect(await call('GET', '/routes', 200)).toHaveLength(4);
    expect(await call('GET', '/routes?owner=openapi-test&prefix=10.123.0.0/24&table=inet.0', 200)).toHaveLength(4);
    expect(await call('GET', '/routes?prefix=10.123.0.1/24', 400)).toMatchObject({
      error: expect.stringMatching(/^prefix: /),
    });
  });

  it('GET /clients', async () => {
    expect(await call('GET', '/clients', 200)).toContainEqual(
      expect.objectContaining({ clientId: 'openapi-test', connected: true, routes: 4 }),
    );
  });

  it('POST, GET and DELETE /peer-routes, the selection as a body or as query parameters', async () => {
    const routes = [
      { prefix: '192.0.2.0/24', nextHops: ['10.9.9.9'], asPath: '65010' },
      { prefix: '198.51.100.0/24', nextHops: ['10.9.9.8'] },
      { prefix: '2001:db8:5::/48', nextHops: ['2001:db8::9'] },
    ];
    expect(await call('POST', '/peer-routes', 200, routes)).toEqual({ injected: 3 });
    expect(await call('GET', '/peer-routes', 200)).toHaveLength(3);
    expect(await call('DELETE', '/peer-routes?prefix=192.0.2.0/24&prefix=198.51.100.0/24&table=inet.0', 200)).toEqual({
      withdrawn: 2,
    });
    expect(await call('DELETE', '/peer-routes', 200, [{ prefix: '2001:db8:5::/48' }])).toEqual({ withdrawn: 1 });
    expect(await call('GET', '/peer-routes', 200)).toEqual([]);
    expect(await call('POST', '/peer-routes', 400, [{ prefix: '192.0.2.0/24' }])).toHaveProperty('error');
  });

  it('DELETE /peer-routes refuses a selection given both ways, a table alone, and a bad query prefix', async () => {
    const both = await call('DELETE', '/peer-routes?prefix=192.0.2.0/24', 400, [{ prefix: '192.0.2.0/24' }]);
    expect(both).toEqual({ error: 'give the routes in the body or as query parameters, not both' });
    expect(await call('DELETE', '/peer-routes?table=inet.0', 400)).toEqual({
      error: 'query parameter "table" needs at least one "prefix"',
    });
    expect(await call('DELETE', '/peer-routes?prefix=192.0.2.1/24', 400)).toMatchObject({
      error: expect.stringMatching(/^query prefix "192\.0\.2\.1\/24": /),
    });
    expect(await call('DELETE', '/peer-routes?prefix=192.0.2.0/24&table=inet6.0', 400)).toMatchObject({
      error: expect.stringMatching(/^query table: inet6\.0 holds IPv6 routes/),
    });
  });

  it('POST /notify', async () => {
    const event = {
      topic: '/junos/events/kernel/interfaces/ifd/down/ge-0-0-1',
      event: { 'event-id': 'KERNEL_IFD_DOWN' },
    };
    expect(await call('POST', '/notify', 200, event)).toEqual({ published: event.topic });
    expect(await call('POST', '/notify', 400, { topic: '/junos/#', event: { 'event-id': 'X' } })).toHaveProperty(
      'error',
    );
  });

  it('POST /faults sets and clears faults, a route rejection among them', async () => {
    const faults = { latencyMs: 5, reject: { prefixes: ['10.66.0.0/16'], status: 'NEXTHOP_ADDRESS_INVALID' } };
    expect(await call('POST', '/faults', 200, faults)).toEqual({ faults });
    expect(await call('POST', '/faults', 200, {})).toEqual({ faults: {} });
    expect(await call('POST', '/faults', 400, { latencyMs: -1 })).toHaveProperty('error');
  });

  it('left no documented operation without a successful call', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path} 200`),
    );
    expect(documented.filter((operation) => !exercised.has(operation))).toEqual([]);
  });
});
