import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type AdminServer } from '../../src/emulator/admin-http.js';
import { JetEmulator } from '../../src/emulator/emulator.js';
import { connectLegacy, seedPaths, type LegacyClient } from './legacy-client.js';

const logger = pino({ level: 'silent' });
/** Near 2^64: a cookie a JSON number would round. */
const BIG_COOKIE_BASE = 0xffff_ffff_ffff_ff00n;

let emulator: JetEmulator;
let admin: AdminServer;
let client: LegacyClient;

/** One request to the admin API; `json` is left loosely typed because the assertions are what check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function http(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const init: RequestInit = { method, signal: AbortSignal.timeout(5_000) };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(`http://127.0.0.1:${admin.port}${path}`, init);
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  emulator = await JetEmulator.start({
    host: '127.0.0.1',
    port: 0,
    users: { jet: 'secret' },
    purgeTimeoutMs: 60_000,
    logger,
  });
  admin = await startAdminServer(emulator, { host: '127.0.0.1', port: 0, logger });
  client = await connectLegacy(emulator.port, { clientId: 'admin-test' });
  expect(await client.add([...seedPaths('10.123.0.0', BIG_COOKIE_BASE), ...seedPaths('10.123.1.0', 100n)])).toBe(
    'SUCCESS',
  );
});

afterAll(async () => {
  client?.close();
  await admin?.close();
  await emulator?.stop();
});

describe('GET /healthz', () => {
  it('answers ok with the gRPC port', async () => {
    expect(await http('GET', '/healthz')).toEqual({ status: 200, json: { status: 'ok', grpcPort: emulator.port } });
  });
});

describe('GET /routes', () => {
  it('lists every programmed path with its owner, prefix/length and the cookie as exact decimal text', async () => {
    const { status, json } = await http('GET', '/routes');
    expect(status).toBe(200);
    expect(json).toHaveLength(8);
    const first = json.find((r: { cookie: string }) => r.cookie === (BIG_COOKIE_BASE + 1n).toString());
    // Exactly these fields: nothing internal (such as the time `show route` dates it from).
    expect(first).toEqual({
      table: 'inet.0',
      prefix: '10.123.0.0/24',
      cookie: '18446744073709551361',
      nextHops: ['10.0.0.1'],
      localPref: 200,
      routePref: 10,
      peerType: 'internal',
      owner: 'admin-test',
    });
  });

  it('filters by prefix and owner', async () => {
    const byPrefix = await http('GET', '/routes?prefix=10.123.1.0/24');
    expect(byPrefix.json.map((r: { prefix: string }) => r.prefix)).toEqual(Array(4).fill('10.123.1.0/24'));
    expect((await http('GET', '/routes?owner=admin-test')).json).toHaveLength(8);
    expect((await http('GET', '/routes?owner=someone-else')).json).toEqual([]);
  });

  it('refuses a malformed prefix filter and unknown parameters', async () => {
    const bad = await http('GET', '/routes?prefix=10.123.1.1/24');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/^prefix: .*host bits set/);
    const unknown = await http('GET', '/routes?colour=blue');
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toContain('unknown query parameter "colour"');
  });
});

describe('GET /clients', () => {
  it('shows the logged-in client and its route count', async () => {
    const { status, json } = await http('GET', '/clients');
    expect(status).toBe(200);
    expect(json).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ clientId: 'admin-test', user: 'jet', dialect: 'legacy', connected: true, routes: 8 }),
      ]),
    );
  });
});

describe('peer routes', () => {
  it('injects intent-shaped routes, lists them and withdraws them', async () => {
    const injected = await http('POST', '/peer-routes', [
      { prefix: '10.9.0.0/16', nextHops: ['192.0.2.1'], localPref: 150, communities: ['65000:100'] },
      { prefix: '2001:db8::/32', nextHops: ['2001:db8::1'] },
    ]);
    expect(injected).toEqual({ status: 200, json: { injected: 2 } });
    const listed = await http('GET', '/peer-routes');
    expect(listed.json).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          table: 'inet.0',
          prefix: '10.9.0.0/16',
          nextHops: ['192.0.2.1'],
          localPref: 150,
          communities: ['65000:100'],
        }),
        expect.objectContaining({ table: 'inet6.0', prefix: '2001:db8::/32', nextHops: ['2001:db8::1'] }),
      ]),
    );
    expect(typeof listed.json[0].cookie).toBe('string');

    expect(await http('DELETE', '/peer-routes', [{ prefix: '10.9.0.0/16' }])).toEqual({
      status: 200,
      json: { withdrawn: 1 },
    });
    const after = await http('GET', '/peer-routes');
    expect(after.json.map((r: { prefix: string }) => r.prefix)).toEqual(['2001:db8::/32']);
    await http('DELETE', '/peer-routes', [{ prefix: '2001:db8::/32', table: 'inet6.0' }]);
    expect((await http('GET', '/peer-routes')).json).toEqual([]);
  });

  it.each([
    [
      'a bad next hop',
      [{ prefix: '10.9.0.0/16', nextHops: ['10.0.0.x'] }],
      /intents\[0\]\.nextHops\[0\]: .*10\.0\.0\.x/,
    ],
    ['a missing next hop list', [{ prefix: '10.9.0.0/16' }], /nextHops: is required/],
    ['an unknown field', [{ prefix: '10.9.0.0/16', nextHops: ['10.0.0.1'], colour: 'red' }], /colour: unknown field/],
    ['a withdraw', [{ action: 'withdraw', prefix: '10.9.0.0/16' }], /intents\[0\]\.action: .*DELETE \/peer-routes/],
    ['not JSON', '[{"prefix": ', /not JSON/],
    [
      'a table the router lacks',
      [{ prefix: '10.9.0.0/16', table: 'vrf9.inet.0', nextHops: ['10.0.0.1'] }],
      /^TABLE_INVALID: .*vrf9\.inet\.0/,
    ],
  ])('POST refuses %s with 400 naming the problem', async (_what, body, message) => {
    const { status, json } = await http('POST', '/peer-routes', body);
    expect(status).toBe(400);
    expect(json.error).toMatch(message);
    expect((await http('GET', '/peer-routes')).json).toEqual([]);
  });

  it.each([
    ['a malformed prefix', [{ prefix: '10.9.0.0/99' }], /^routes\[0\]\.prefix: /],
    [
      'a table of the other family',
      [{ prefix: '10.9.0.0/16', table: 'inet6.0' }],
      /^routes\[0\]\.table: inet6\.0 holds IPv6/,
    ],
    ['an object instead of an array', { prefix: '10.9.0.0/16' }, /expected an array/],
    ['an empty body', '', /body is empty/],
  ])('DELETE refuses %s with 400', async (_what, body, message) => {
    const { status, json } = await http('DELETE', '/peer-routes', body);
    expect(status).toBe(400);
    expect(json.error).toMatch(message);
  });
});

describe('POST /faults', () => {
  afterEach(async () => {
    await http('POST', '/faults', {});
  });

  it('makes route calls fail with UNAVAILABLE until cleared', async () => {
    expect(await http('POST', '/faults', { unavailable: true })).toEqual({
      status: 200,
      json: { faults: { unavailable: true } },
    });
    await expect(client.add(seedPaths('10.200.0.0', 1n))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    await http('POST', '/faults', {});
    expect(await client.add(seedPaths('10.200.0.0', 1n))).toBe('SUCCESS');
    expect(await client.remove(seedPaths('10.200.0.0', 1n))).toBe('SUCCESS');
  });

  it('answers route operations with TRY_AGAIN', async () => {
    await http('POST', '/faults', { tryAgain: true });
    expect(await client.add(seedPaths('10.201.0.0', 1n))).toBe('TRY_AGAIN');
    expect((await http('GET', '/routes?prefix=10.201.0.0/24')).json).toEqual([]);
  });

  it('refuses routes inside the reject prefixes with the chosen status, and {} clears', async () => {
    const reject = { prefixes: ['10.202.0.0/16'], status: 'NEXTHOP_ADDRESS_INVALID', ops: ['add'] };
    expect(await http('POST', '/faults', { reject })).toEqual({ status: 200, json: { faults: { reject } } });
    expect(await client.add(seedPaths('10.202.1.0', 1n))).toBe('NEXTHOP_ADDRESS_INVALID');
    expect((await http('GET', '/routes?prefix=10.202.1.0/24')).json).toEqual([]);
    await http('POST', '/faults', {});
    expect(await client.add(seedPaths('10.202.1.0', 1n))).toBe('SUCCESS');
    expect(await client.remove(seedPaths('10.202.1.0', 1n))).toBe('SUCCESS');
  });

  it.each([
    [{ prefixes: ['10.0.0.0/8'], status: 'NOPE' }, /^reject\.status: "NOPE" is not a JET status name/],
    [{ prefixes: ['10.0.0.1/8'], status: 'ROUTE_ADD_FAILED' }, /^reject\.prefixes\[0\]: /],
    [{ prefixes: [], status: 'ROUTE_ADD_FAILED' }, /^reject\.prefixes: /],
    [{ prefixes: ['10.0.0.0/8'], status: 'ROUTE_ADD_FAILED', ops: ['delete'] }, /^reject\.ops\[0\]: /],
    [{ prefixes: ['10.0.0.0/8'] }, /^reject\.status: /],
  ])('refuses the reject fault %j with 400 naming the field', async (reject, message) => {
    const { status, json } = await http('POST', '/faults', { reject });
    expect(status).toBe(400);
    expect(json.error).toMatch(message);
  });

  it('refuses bad fault settings naming the field', async () => {
    const wrongType = await http('POST', '/faults', { latencyMs: 'slow' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.error).toBe('latencyMs: expected a number, got string "slow"');
    const unknown = await http('POST', '/faults', { explode: true });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toBe('explode: unknown field');
  });

  it('drops client connections on request', async () => {
    const victim = await connectLegacy(emulator.port, { clientId: 'victim' });
    try {
      await http('POST', '/faults', { dropConnections: true });
      await expect
        .poll(
          async () =>
            (await http('GET', '/clients')).json.find((c: { clientId: string }) => c.clientId === 'victim')?.connected,
          {
            timeout: 5_000,
          },
        )
        .toBe(false);
    } finally {
      victim.close();
    }
  });
});

describe('POST /notify', () => {
  it('is refused when notifications are off', async () => {
    const { status, json } = await http('POST', '/notify', {
      topic: '/junos/events/syslog/X',
      event: { 'event-id': 'X' },
    });
    expect(status).toBe(409);
    expect(json.error).toContain('--notify-mqtt');
  });
});

describe('HTTP errors', () => {
  it('answers 404 for an unknown path, listing the endpoints', async () => {
    const { status, json } = await http('GET', '/nope');
    expect(status).toBe(404);
    expect(json.endpoints).toContain('/routes');
  });

  it('answers 405 for a wrong method', async () => {
    const { status, json } = await http('PUT', '/routes', []);
    expect(status).toBe(405);
    expect(json.error).toContain('use GET');
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const big = JSON.stringify([{ prefix: '10.9.0.0/16', nextHops: ['10.0.0.1'], asPath: 'x'.repeat(1024 * 1024) }]);
    const { status, json } = await http('POST', '/peer-routes', big);
    expect(status).toBe(413);
    expect(json.error).toContain('exceeds the limit');
  });
});
