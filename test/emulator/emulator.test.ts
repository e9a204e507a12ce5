/**
 * The emulator's own API: options, inspection (routes, clients, events), peer
 * routes, the dialect switch, the configuration RPCs and shutdown. What a JET
 * client sees is covered by test/compliance.
 */
import * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LoginClient } from '../../src/gen/authentication_service.js';
import { AuthenticationClient } from '../../src/gen/jnx_authentication_service.js';
import { StatusCode } from '../../src/gen/jnx_common_base_types.js';
import {
  ManagementClient,
  type ConfigSetResponse,
  type EphemeralConfigSetResponse,
} from '../../src/gen/jnx_management_service.js';
import {
  JunosRpcResponseTypes,
  ManagementRpcApiClient,
  type OperationFormatType,
  type GetEphemeralConfigResponse,
} from '../../src/gen/management_service.js';
import {
  CONNECTION_WINDOW_BYTES,
  JetEmulator,
  PeerRouteError,
  STREAM_WINDOW_BYTES,
  type ClientEvent,
  type EmulatorOptions,
  type RequestEvent,
  type RouteEvent,
} from '../../src/emulator/emulator.js';
import {
  hostRoutes,
  JetTestClient,
  TEST_PASSWORD,
  TEST_USER,
  type ComplianceTarget,
} from '../compliance/jet-client.js';

const silent = pino({ level: 'silent' });
const running: JetEmulator[] = [];

async function start(options: Partial<EmulatorOptions> = {}): Promise<JetEmulator> {
  const emulator = await JetEmulator.start({ users: { [TEST_USER]: TEST_PASSWORD }, logger: silent, ...options });
  running.push(emulator);
  return emulator;
}

function targetOf(emulator: JetEmulator): ComplianceTarget {
  return {
    address: emulator.address,
    user: TEST_USER,
    password: TEST_PASSWORD,
    credentials: grpc.credentials.createInsecure(),
    channelOptions: {},
    emulator,
    stop: () => emulator.stop(),
  };
}

function unary<Res>(invoke: (cb: (error: grpc.ServiceError | null, reply: Res) => void) => void): Promise<Res> {
  return new Promise((resolve, reject) => invoke((error, reply) => (error ? reject(error) : resolve(reply))));
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.stop()));
});

describe('JetEmulator HTTP/2 flow control', () => {
  it('grants each connection and stream windows of megabytes, as a router does, not 64 KiB', async () => {
    const emulator = await start();
    const session = http2.connect(`http://${emulator.address}`);
    try {
      // Node's defaults come in the first SETTINGS frame; the emulator's follow at once.
      await vi.waitFor(
        () => {
          expect(session.remoteSettings.initialWindowSize).toBe(STREAM_WINDOW_BYTES);
          expect(session.state.remoteWindowSize).toBe(CONNECTION_WINDOW_BYTES);
        },
        { timeout: 2000 },
      );
    } finally {
      session.destroy();
    }
  });
});

describe('JetEmulator.start', () => {
  it.each([
    ['maxConnections above 30', { maxConnections: 31 }, /maxConnections 31 is not 1\.\.30/],
    ['a negative port', { port: -1 }, /port -1/],
    ['a negative purge timeout', { purgeTimeoutMs: -5 }, /purgeTimeoutMs/],
    ['an unknown dialect', { dialects: 'both-ish' as 'both' }, /dialects must be/],
    [
      'mutual TLS without a CA',
      { tls: { cert: 'c', key: 'k', requireClientCert: true } },
      /requireClientCert needs tls\.ca/,
    ],
    [
      'a certificate that is not PEM',
      { tls: { cert: 'not a certificate', key: 'not a key' } },
      /tls: the certificate, key or CA cannot be used/,
    ],
    ['a password that is not a string', { users: { jet: 5 as unknown as string } }, /users\["jet"\]/],
  ])('refuses %s', async (_what, options, message) => {
    await expect(start(options)).rejects.toThrow(message);
  });

  it('refuses a port that is taken', async () => {
    const first = await start();
    await expect(start({ port: first.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('listens on a free loopback port and reports its address', async () => {
    const emulator = await start();
    expect(emulator.port).toBeGreaterThan(0);
    expect(emulator.address).toBe(`127.0.0.1:${emulator.port}`);
    expect(emulator.hostname).toBe('jet-emulator');
  });
});

describe('inspection and events', () => {
  it('reports programmed routes with their owner, as events and in routes()', async () => {
    const emulator = await start();
    const events: RouteEvent[] = [];
    emulator.events.on('route', (event: RouteEvent) => events.push(event));
    const client = await JetTestClient.ready(targetOf(emulator), 'legacy', 'c-routes');
    try {
      await client.add(hostRoutes(2));
      await client.oper('update', [{ ...hostRoutes(1)[0]!, localPref: 9 }]);
      await client.remove(hostRoutes(1));
      expect(events.map((e) => `${e.op} ${e.path.prefix} ${e.path.owner}`)).toEqual([
        'add 10.200.0.0 c-routes',
        'add 10.200.0.1 c-routes',
        'modify 10.200.0.0 c-routes',
        'delete 10.200.0.0 c-routes',
      ]);
      expect(emulator.routes()).toEqual([
        expect.objectContaining({ prefix: '10.200.0.1', length: 32, owner: 'c-routes' }),
      ]);
    } finally {
      client.close();
    }
  });

  it('emits one request event per route request, with its size and outcome', async () => {
    const emulator = await start();
    const events: RequestEvent[] = [];
    emulator.events.on('request', (event: RequestEvent) => events.push(event));
    const client = await JetTestClient.ready(targetOf(emulator), 'jnx', 'c-requests');
    try {
      await client.add(hostRoutes(3));
      await client.add(hostRoutes(2));
      await client.remove(hostRoutes(3));
      expect(events).toEqual([
        { clientId: 'c-requests', op: 'add', size: 3, status: 'SUCCESS', completed: 3 },
        { clientId: 'c-requests', op: 'add', size: 2, status: 'ROUTE_EXISTS', completed: 0 },
        { clientId: 'c-requests', op: 'remove', size: 3, status: 'SUCCESS', completed: 3 },
      ]);
    } finally {
      client.close();
    }
  });

  it('lists clients with their state, and emits client events', async () => {
    const emulator = await start({ purgeTimeoutMs: 60_000 });
    const events: ClientEvent[] = [];
    emulator.events.on('client', (event: ClientEvent) => events.push(event));
    const target = targetOf(emulator);

    const refused = JetTestClient.open(target, 'jnx', 'c-bad');
    await refused.login(TEST_USER, 'wrong');
    refused.close();
    await expect.poll(() => events.map((e) => e.type)).toEqual(['connected', 'login-failed', 'disconnected']);

    const client = await JetTestClient.ready(target, 'jnx', 'c-list');
    await client.add(hostRoutes(3));
    expect(emulator.clients()).toEqual([
      { clientId: 'c-list', user: TEST_USER, dialect: 'jnx', connected: true, initialized: true, routes: 3 },
    ]);

    client.close();
    await expect.poll(() => emulator.clients()[0]?.connected).toBe(false);
    const [dropped] = emulator.clients();
    expect(dropped).toMatchObject({ clientId: 'c-list', connected: false, initialized: false, routes: 3 });
    expect(Date.parse(dropped!.purgeAt!)).toBeGreaterThan(Date.now());

    expect(events.map((e) => e.type)).toEqual([
      'connected',
      'login-failed',
      'disconnected',
      'connected',
      'login',
      'initialized',
      'disconnected',
    ]);
    expect(events[5]).toEqual({ type: 'initialized', clientId: 'c-list', rebound: false, routes: 0 });
  });

  it('shares one RIB between the dialects', async () => {
    const emulator = await start();
    const legacy = await JetTestClient.ready(targetOf(emulator), 'legacy', 'c-legacy');
    const jnx = await JetTestClient.ready(targetOf(emulator), 'jnx', 'c-jnx');
    try {
      expect(await legacy.add(hostRoutes(1))).toMatchObject({ status: 'SUCCESS' });
      expect(await jnx.add(hostRoutes(1))).toMatchObject({ status: 'ROUTE_EXISTS' });
      expect(await jnx.add(hostRoutes(1, { cookieBase: 99n }))).toMatchObject({ status: 'SUCCESS' });
      expect(
        emulator
          .routes()
          .map((r) => r.owner)
          .sort(),
      ).toEqual(['c-jnx', 'c-legacy']);
    } finally {
      legacy.close();
      jnx.close();
    }
  });

  it('serves only the dialect it is asked to', async () => {
    const emulator = await start({ dialects: 'legacy' });
    const jnx = new AuthenticationClient(emulator.address, grpc.credentials.createInsecure());
    try {
      await expect(
        unary((cb) => jnx.login({ username: TEST_USER, password: TEST_PASSWORD, clientId: 'x', groupId: '' }, cb)),
      ).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
      const legacy = await JetTestClient.ready(targetOf(emulator), 'legacy', 'c-only');
      legacy.close();
    } finally {
      jnx.close();
    }
  });
});

describe('peer routes', () => {
  it('learns routes with a default cookie of 0 and forgets them by destination', async () => {
    const emulator = await start();
    emulator.injectPeerRoutes([{ table: 'inet.0', prefix: '10.5.0.0', length: 16, nextHops: ['192.0.2.7'] }]);
    emulator.injectPeerRoutes([
      { table: 'inet6.0', prefix: '2001:DB8::', length: 32, nextHops: ['2001:db8::7'], cookie: 4n },
    ]);
    expect(emulator.peerRoutes()).toEqual([
      expect.objectContaining({ prefix: '10.5.0.0', cookie: 0n }),
      expect.objectContaining({ prefix: '2001:db8::', cookie: 4n }),
    ]);
    emulator.withdrawPeerRoutes([{ prefix: '2001:db8:0::', length: 32 }]);
    expect(emulator.peerRoutes().map((r) => r.prefix)).toEqual(['10.5.0.0']);
  });

  it('refuses a route the router would refuse, learning none of the batch', async () => {
    const emulator = await start();
    const good = { table: 'inet.0', prefix: '10.5.0.0', length: 16, nextHops: ['192.0.2.7'] };
    const bad = { ...good, prefix: '10.5.0.1' };
    expect(() => emulator.injectPeerRoutes([good, bad])).toThrow(PeerRouteError);
    expect(() => emulator.injectPeerRoutes([good, bad])).toThrow(/peer route 1 \(10\.5\.0\.1\/16\).*host bits/);
    expect(emulator.peerRoutes()).toEqual([]);
    expect(() => emulator.withdrawPeerRoutes([{ prefix: '10.5.0.0', length: 40 }])).toThrow(/peer route key 0/);
  });
});

describe('management configuration RPCs', () => {
  it('answers configuration changes with a failure that says why (legacy)', async () => {
    const emulator = await start();
    const login = new LoginClient(emulator.address, grpc.credentials.createInsecure());
    const management = new ManagementRpcApiClient(emulator.address, grpc.credentials.createInsecure(), {
      channelOverride: login.getChannel(),
    });
    try {
      await expect(
        unary((cb) =>
          management.executeCfgCommand(
            { requestId: 1n, textConfig: 'set system host-name x', loadType: 0, commit: undefined },
            cb,
          ),
        ),
      ).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
      await unary((cb) =>
        login.loginCheck({ userName: TEST_USER, password: TEST_PASSWORD, clientId: 'cfg', groupId: '' }, cb),
      );
      const cfg = await unary((cb) =>
        management.executeCfgCommand(
          { requestId: 7n, textConfig: 'set system host-name x', loadType: 0, commit: undefined },
          cb,
        ),
      );
      expect(cfg).toMatchObject({
        requestId: 7n,
        status: JunosRpcResponseTypes.NOK,
        message: expect.stringMatching(/not supported/),
      });
      const get = await unary<GetEphemeralConfigResponse>((cb) =>
        management.getEphemeralConfig(
          {
            requestId: 8n,
            encoding: 0,
            ephConfigRequests: [{ operationId: 'a', path: '/configuration' }],
            ephInstanceName: '',
            mergeView: false,
          },
          cb,
        ),
      );
      expect(get.response).toEqual([
        expect.objectContaining({ operationId: 'a', status: JunosRpcResponseTypes.UNSUPPORTED_PATH }),
      ]);

      emulator.opCommand = () => ({ ok: true, data: 'never' });
      const unknownFormat = await new Promise<Array<{ status: number; message: string }>>((resolve, reject) => {
        const replies: Array<{ status: number; message: string }> = [];
        const call = management.executeOpCommand({
          requestId: 1n,
          cliCommand: 'show version',
          outFormat: 9 as OperationFormatType,
        });
        call.on('data', (reply: { status: number; message: string }) => replies.push(reply));
        call.on('end', () => resolve(replies));
        call.on('error', reject);
      });
      expect(unknownFormat).toEqual([
        expect.objectContaining({ status: JunosRpcResponseTypes.NOK, message: 'unknown out_format' }),
      ]);
    } finally {
      login.close();
    }
  });

  it('answers configuration changes with a FAILURE status (jnx)', async () => {
    const emulator = await start();
    const auth = new AuthenticationClient(emulator.address, grpc.credentials.createInsecure());
    const management = new ManagementClient(emulator.address, grpc.credentials.createInsecure(), {
      channelOverride: auth.getChannel(),
    });
    try {
      await unary((cb) =>
        auth.login({ username: TEST_USER, password: TEST_PASSWORD, clientId: 'cfg', groupId: '' }, cb),
      );
      const set = await unary<ConfigSetResponse>((cb) =>
        management.configSet({ textConfig: 'set system host-name x', loadType: 0, commit: undefined }, cb),
      );
      expect(set.status).toMatchObject({ code: StatusCode.FAILURE, message: expect.stringMatching(/not supported/) });
      const eph = await unary<EphemeralConfigSetResponse>((cb) =>
        management.ephemeralConfigSet(
          { configOperations: [], instanceName: '', validateConfig: false, loadOnly: false },
          cb,
        ),
      );
      expect(eph.status?.code).toBe(StatusCode.FAILURE);
    } finally {
      auth.close();
    }
  });
});

describe('stop', () => {
  it('closes client connections and frees the port; a second stop is harmless', async () => {
    const emulator = await start();
    const client = await JetTestClient.ready(targetOf(emulator), 'legacy', 'c-stop');
    try {
      await emulator.stop();
      await emulator.stop();
      await expect(client.add(hostRoutes(1))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      const again = await start({ port: emulator.port });
      expect(again.port).toBe(emulator.port);
    } finally {
      client.close();
    }
  });
});
