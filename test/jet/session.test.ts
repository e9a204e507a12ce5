/**
 * The device session against the real JET emulator over loopback gRPC, in
 * both dialects: the lifecycle (login, Initialize, hooks, ready/rebound), route
 * requests, and how it rides out dropped connections, purges, outages and
 * busy answers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import { generate } from 'selfsigned';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JetEmulator, type ClientEvent, type EmulatorOptions } from '../../src/emulator/emulator.js';
import { createOpCommandHandler } from '../../src/emulator/ops.js';
import { demoAppTls } from '../../src/jet/client/index.js';
import { DeviceUnavailableError, type DeviceState, type DeviceStatus } from '../../src/jet/device.js';
import type { BgpPath, DialectName, MonitorEntry } from '../../src/jet/model.js';
import { FencedError, JetDeviceSession, type JetDeviceSessionOptions } from '../../src/jet/session.js';
import { freePort } from '../helpers/ports.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const WAIT_MS = 8000;

/** A Secret-like password holder: the text only through `.value`. */
function secret(text: string) {
  return {
    get value() {
      return text;
    },
    toString: () => '***',
  };
}

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function emulator(options: Partial<EmulatorOptions> = {}): Promise<JetEmulator> {
  const started = await JetEmulator.start({
    host: '127.0.0.1',
    port: 0,
    dialects: 'both',
    users: { jet: 'secret' },
    purgeTimeoutMs: 60_000,
    logger,
    ...options,
  });
  cleanups.push(() => started.stop());
  return started;
}

function session(
  emu: JetEmulator,
  dialect: DialectName,
  options: Partial<JetDeviceSessionOptions> = {},
): JetDeviceSession {
  const s = new JetDeviceSession({
    device: 'r1',
    address: emu.address,
    dialect,
    username: 'jet',
    password: secret('secret'),
    clientId: `bridge-${dialect}`,
    rpcTimeoutMs: 2000,
    retry: { initialMs: 20, maxMs: 200, maxAttempts: 5 },
    unavailableBudgetMs: 5000,
    logger,
    ...options,
  });
  cleanups.push(() => s.stop());
  return s;
}

/** Every status the session reports from now on. */
function recordStates(status$: Observable<DeviceStatus>): DeviceState[] {
  const states: DeviceState[] = [];
  status$.subscribe((s) => states.push(s.state));
  return states;
}

function reach(s: JetDeviceSession, state: DeviceState, ms = WAIT_MS): Promise<DeviceStatus> {
  return firstValueFrom(
    s.status$.pipe(
      filter((st) => st.state === state),
      timeout(ms),
    ),
  );
}

function clientEvent(emu: JetEmulator, type: ClientEvent['type']): Promise<ClientEvent> {
  return new Promise((resolve) => {
    const listener = (event: ClientEvent) => {
      if (event.type !== type) return;
      emu.events.off('client', listener);
      resolve(event);
    };
    emu.events.on('client', listener);
  });
}

function path(i: number, extra: Partial<BgpPath> = {}): BgpPath {
  return {
    table: 'inet.0',
    prefix: `10.0.${i}.0`,
    length: 24,
    cookie: BigInt(i),
    nextHops: ['192.0.2.1'],
    peerType: 'internal',
    ...extra,
  };
}

const keyOf = (p: { prefix: string; length: number; cookie: bigint }) => `${p.prefix}/${p.length}#${p.cookie}`;
const ribKeys = (emu: JetEmulator) => emu.routes().map(keyOf).sort();

describe.each(['legacy', 'jnx'] as const)('JetDeviceSession (%s) against the emulator', (dialect) => {
  it('logs in, initializes, runs the hooks, then reports ready', async () => {
    const emu = await emulator();
    const s = session(emu, dialect);
    const states = recordStates(s.status$);
    const hookSaw: boolean[] = [];
    s.onInitialized(async (rebound) => {
      hookSaw.push(rebound);
      // A hook may program routes before the session serves anyone else.
      await s.oper('update', [path(1)]);
    });
    s.start();
    await reach(s, 'ready');
    expect(states).toEqual(['down', 'connecting', 'ready']);
    expect(hookSaw).toEqual([false]);
    expect(ribKeys(emu)).toEqual(['10.0.1.0/24#1']);
    expect(emu.clients()).toMatchObject([
      { clientId: `bridge-${dialect}`, user: 'jet', dialect, connected: true, initialized: true },
    ]);
  });

  it('adds, updates, gets and removes routes in the RIB', async () => {
    const emu = await emulator();
    const s = session(emu, dialect);
    s.start();
    await reach(s, 'ready');
    const high = path(2, { cookie: 2n ** 64n - 2n });
    expect(await s.oper('add', [path(1), high])).toEqual({ status: 'SUCCESS', code: 0, completed: 2 });
    expect(ribKeys(emu)).toEqual(['10.0.1.0/24#1', `10.0.2.0/24#${2n ** 64n - 2n}`]);

    // A JET refusal is an answer, not an exception.
    expect(await s.oper('add', [path(1)])).toEqual({ status: 'ROUTE_EXISTS', code: 17, completed: 0 });

    await s.oper('update', [path(1, { localPref: 250, communities: ['65000:1'] })]);
    expect(emu.routes().find((r) => r.cookie === 1n)).toMatchObject({ localPref: 250, communities: ['65000:1'] });

    const got = await s.get({ table: 'inet.0' });
    expect(got.map(keyOf).sort()).toEqual(ribKeys(emu));
    expect(got.find((p) => p.cookie === 1n)).toMatchObject({ localPref: 250, nextHops: ['192.0.2.1'] });
    expect(await s.get({ table: 'inet.0', prefix: '10.9.9.0', length: 24 })).toEqual([]);

    expect(
      await s.oper('remove', [{ table: 'inet.0', prefix: '10.0.2.0', length: 24, cookie: high.cookie }]),
    ).toMatchObject({ status: 'SUCCESS', completed: 1 });
    expect(ribKeys(emu)).toEqual(['10.0.1.0/24#1']);
    expect(await s.oper('remove', [high])).toMatchObject({ status: 'ROUTE_NOT_FOUND' });
  });

  it('reports a rejected login as down, without the password', async () => {
    const emu = await emulator();
    const s = session(emu, dialect, { password: secret('hunter2-wrong'), unavailableBudgetMs: 300 });
    s.start();
    const down = await firstValueFrom(
      s.status$.pipe(
        filter((st) => st.state === 'down' && st.error !== 'not started'),
        timeout(WAIT_MS),
      ),
    );
    expect(down.error).toContain('login rejected for user jet');
    expect(down.error).not.toContain('hunter2-wrong');

    // Requests wait out the budget, then say why the device is unavailable.
    const failure = await s.oper('add', [path(1)]).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DeviceUnavailableError);
    expect((failure as Error).message).toContain('login rejected for user jet');
    expect((failure as Error).message).not.toContain('hunter2-wrong');
    expect(emu.clients()).toEqual([]);
  });

  it('reconnects after the connection drops, rebinds its state and completes a request made meanwhile', async () => {
    const emu = await emulator();
    const s = session(emu, dialect);
    const hookSaw: boolean[] = [];
    s.onInitialized(async (rebound) => void hookSaw.push(rebound));
    s.start();
    await reach(s, 'ready');
    await s.oper('add', [path(1)]);
    const states = recordStates(s.status$);

    emu.dropConnections();
    await reach(s, 'connecting');
    const queued = s.oper('add', [path(2)]);
    await reach(s, 'rebound');
    expect(await queued).toMatchObject({ status: 'SUCCESS', completed: 1 });
    expect(states).toEqual(['ready', 'connecting', 'rebound']);
    expect(hookSaw).toEqual([false, true]);
    expect(ribKeys(emu)).toEqual(['10.0.1.0/24#1', '10.0.2.0/24#2']);
  });

  it('runs requests queued while the device was down in the order they were made', async () => {
    const emu = await emulator();
    const s = session(emu, dialect);
    s.start();
    await reach(s, 'ready');

    emu.setFaults({ unavailable: true });
    const first = s.oper('add', [path(1)]);
    await reach(s, 'down');
    const second = s.oper('remove', [path(1)]);
    const third = s.oper('add', [path(1, { localPref: 300 })]);
    emu.setFaults({});
    // Out of order, the remove or the second add would fail (ROUTE_NOT_FOUND / ROUTE_EXISTS).
    expect((await Promise.all([first, second, third])).map((o) => o.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    expect(emu.routes()).toMatchObject([{ cookie: 1n, localPref: 300 }]);
  });

  it('starts afresh (ready, hook told false) after the router restarts', async () => {
    const first = await JetEmulator.start({ host: '127.0.0.1', port: 0, users: { jet: 'secret' }, logger });
    cleanups.push(() => first.stop());
    const port = first.port;
    const s = session(first, dialect);
    const hookSaw: boolean[] = [];
    s.onInitialized(async (rebound) => void hookSaw.push(rebound));
    s.start();
    await reach(s, 'ready');
    await s.oper('add', [path(1)]);

    await first.stop();
    await reach(s, 'down');
    const second = await emulator({ port });
    await reach(s, 'ready');
    expect(hookSaw).toEqual([false, false]);
    expect(await s.oper('add', [path(1)])).toMatchObject({ status: 'SUCCESS' });
    expect(ribKeys(second)).toEqual(['10.0.1.0/24#1']);
  });

  it('treats calls that outlive their deadline as a lost connection and retries them', async () => {
    const emu = await emulator();
    const s = session(emu, dialect, { rpcTimeoutMs: 150 });
    s.start();
    await reach(s, 'ready');

    emu.setFaults({ latencyMs: 400 });
    // Update, not add: a timed-out call may still have been applied.
    const result = s.oper('update', [path(1)]);
    const down = await reach(s, 'down');
    expect(down.error).toContain('DEADLINE_EXCEEDED');
    emu.setFaults({});
    expect(await result).toMatchObject({ status: 'SUCCESS' });
    expect(ribKeys(emu)).toEqual(['10.0.1.0/24#1']);
  });

  it('comes back ready (not rebound) when the router purged its routes while it was away', async () => {
    const emu = await emulator({ purgeTimeoutMs: 100 });
    // Reconnect attempts farther apart than the purge timeout, so the purge can fire between them.
    const s = session(emu, dialect, { retry: { initialMs: 600, maxMs: 600, maxAttempts: 3 } });
    const hookSaw: boolean[] = [];
    s.onInitialized(async (rebound) => void hookSaw.push(rebound));
    s.start();
    await reach(s, 'ready');
    await s.oper('add', [path(1)]);

    // Initialize keeps failing while the route service is out, so the session stays away.
    emu.setFaults({ unavailable: true });
    const purged = clientEvent(emu, 'purged');
    emu.dropConnections();
    await purged;
    expect(emu.routes()).toEqual([]);
    emu.setFaults({});

    await reach(s, 'ready');
    expect(hookSaw).toEqual([false, false]);
  });

  it('retries through an outage of the route service and succeeds once it ends', async () => {
    const emu = await emulator();
    const s = session(emu, dialect);
    s.start();
    await reach(s, 'ready');

    emu.setFaults({ unavailable: true });
    const result = s.oper('add', [path(1)]);
    const down = await reach(s, 'down');
    expect(down.error).toContain('UNAVAILABLE');
    emu.setFaults({});
    expect(await result).toMatchObject({ status: 'SUCCESS', completed: 1 });
    expect(ribKeys(emu)).toEqual(['10.0.1.0/24#1']);
  });

  it('fails a request with DeviceUnavailableError once the outage outlasts the budget', async () => {
    const emu = await emulator();
    const s = session(emu, dialect, { unavailableBudgetMs: 400 });
    s.start();
    await reach(s, 'ready');

    emu.setFaults({ unavailable: true });
    const failure = await s.oper('add', [path(1)]).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DeviceUnavailableError);
    expect((failure as Error).message).toMatch(/^device r1 unavailable: .*UNAVAILABLE/);
    expect(emu.routes()).toEqual([]);
  });

  it('retries a busy answer, and returns it as-is after retry.maxAttempts', async () => {
    const emu = await emulator();
    const busy = dialect === 'legacy' ? 'TRY_AGAIN' : 'REQUEST_NOT_DONE';
    const s = session(emu, dialect, { retry: { initialMs: 50, maxMs: 100, maxAttempts: 3 } });
    s.start();
    await reach(s, 'ready');

    emu.setFaults({ tryAgain: true });
    expect(await s.oper('add', [path(1)])).toMatchObject({ status: busy, completed: 0 });

    const retried = s.oper('add', [path(2)]);
    setTimeout(() => emu.setFaults({}), 30);
    expect(await retried).toMatchObject({ status: 'SUCCESS', completed: 1 });
    expect(ribKeys(emu)).toEqual(['10.0.2.0/24#2']);
  });

  it('streams peer routes: the full set, end-of-rib, changes, and the full set again after a reconnect', async () => {
    const emu = await emulator();
    const peers = [path(1), path(2), path(3)];
    emu.injectPeerRoutes(peers);
    const s = session(emu, dialect);
    s.start();
    const entries: MonitorEntry[] = [];
    const subscription = s.monitor().subscribe((e) => entries.push(e));
    cleanups.push(async () => subscription.unsubscribe());
    const seen = () => entries.map((e) => (e.path ? `${e.op} ${keyOf(e.path)}` : e.op));
    const fullSet = ['update 10.0.1.0/24#1', 'update 10.0.2.0/24#2', 'update 10.0.3.0/24#3', 'end-of-rib'];

    await vi.waitFor(() => expect(seen()).toEqual(fullSet), { timeout: WAIT_MS });
    expect(entries[0]!.path).toMatchObject(peers[0]!);

    emu.injectPeerRoutes([path(4)]);
    emu.withdrawPeerRoutes([{ prefix: '10.0.1.0', length: 24 }]);
    const changes = ['update 10.0.4.0/24#4', 'remove 10.0.1.0/24#1'];
    await vi.waitFor(() => expect(seen()).toEqual([...fullSet, ...changes]), { timeout: WAIT_MS });

    emu.dropConnections();
    const again = ['update 10.0.2.0/24#2', 'update 10.0.3.0/24#3', 'update 10.0.4.0/24#4', 'end-of-rib'];
    await vi.waitFor(() => expect(seen()).toEqual([...fullSet, ...changes, ...again]), { timeout: WAIT_MS });
  });

  it('runs operational commands and turns a refusal into an error with the router message', async () => {
    const emu = await emulator({ hostname: 'lab-r1' });
    emu.opCommand = createOpCommandHandler(emu, { hostname: 'lab-r1', version: '23.4R1' });
    const s = session(emu, dialect);
    s.start();
    await reach(s, 'ready');
    expect(await s.opCommand('show version', 'text')).toContain('lab-r1');
    await expect(s.opCommand('', 'text')).rejects.toThrow(/no command given/);
  });

  it('withdraws its routes on stop with cleanup, and completes its streams', async () => {
    const emu = await emulator();
    const s = session(emu, dialect);
    s.start();
    await reach(s, 'ready');
    await s.oper('add', [path(1), path(2)]);
    let statusDone = false;
    s.status$.subscribe({ complete: () => (statusDone = true) });

    await s.stop({ cleanup: true });
    expect(emu.routes()).toEqual([]);
    expect(statusDone).toBe(true);
    await expect(s.oper('add', [path(3)])).rejects.toBeInstanceOf(DeviceUnavailableError);
  });
});

describe('JetDeviceSession closing under a request', () => {
  it('fails a request whose connection closed before it was sent as unavailable, not with a channel error', async () => {
    const emu = await emulator();
    const s = session(emu, 'legacy');
    s.start();
    await reach(s, 'ready');
    // The request has its connection but has not sent yet when the channel closes.
    const pending = s.oper('update', [path(1)]);
    const stopped = s.stop();
    await expect(pending).rejects.toBeInstanceOf(DeviceUnavailableError);
    await stopped;
  });
});

describe('JetDeviceSession onInitialized hooks', () => {
  it('retries the setup when a hook fails, and serves only once the hooks pass', async () => {
    const emu = await emulator();
    const s = session(emu, 'jnx');
    let calls = 0;
    s.onInitialized(async () => {
      calls += 1;
      if (calls === 1) throw new Error('replay store not loaded');
    });
    s.start();
    const down = await reach(s, 'down');
    expect(down.error).toBe('onInitialized hook failed: replay store not loaded');
    // The failed attempt's connection was closed, so its state is rebound on the next one.
    await reach(s, 'rebound');
    expect(calls).toBe(2);
  });
});

describe('JetDeviceSession without a router', () => {
  it('lets at most maxQueued requests wait, and refuses the rest at once', async () => {
    const s = new JetDeviceSession({
      device: 'r9',
      address: `127.0.0.1:${await freePort()}`,
      dialect: 'jnx',
      username: 'jet',
      password: secret('secret'),
      clientId: 'c',
      rpcTimeoutMs: 500,
      retry: { initialMs: 20, maxMs: 100, maxAttempts: 2 },
      unavailableBudgetMs: 300,
      maxQueued: 1,
      logger,
    });
    cleanups.push(() => s.stop());
    s.start();
    const waiting = s.oper('add', [path(1)]).catch((err: unknown) => err);
    const refused = await s.oper('add', [path(2)]).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(DeviceUnavailableError);
    expect((refused as Error).message).toContain('1 requests already waiting');
    // The one that waited gives up after the budget, with the connection error as the reason.
    expect(String(await waiting)).toMatch(/device r9 unavailable: .*ECONNREFUSED/);
  });

  it('rejects non-positive timing options by name', () => {
    expect(
      () =>
        new JetDeviceSession({
          device: 'r1',
          address: '127.0.0.1:1',
          dialect: 'jnx',
          username: 'jet',
          password: secret('x'),
          clientId: 'c',
          rpcTimeoutMs: 0,
          retry: { initialMs: 10, maxMs: 100, maxAttempts: 2 },
          unavailableBudgetMs: 1000,
          logger,
        }),
    ).toThrow('rpcTimeoutMs must be a positive number, got 0');
  });
});

describe('JetDeviceSession over TLS', () => {
  async function tlsFiles(caName = 'ca.crt'): Promise<{ dir: string; serverCert: string; serverKey: string }> {
    const pems = await generate([{ name: 'commonName', value: 'router.example' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'router.example' }] },
      ],
      clientCertificate: { cn: 'jetbridge', keyType: 'ec', algorithm: 'sha256' },
    });
    const dir = await mkdtemp(join(tmpdir(), 'jetbridge-tls-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, caName), pems.cert);
    await writeFile(join(dir, 'client.crt'), pems.clientcert!);
    await writeFile(join(dir, 'client.key'), pems.clientprivate!);
    return { dir, serverCert: pems.cert, serverKey: pems.private };
  }

  it('connects with mutual TLS when the server name is overridden to match the certificate', async () => {
    const { dir, serverCert, serverKey } = await tlsFiles();
    const emu = await emulator({ tls: { cert: serverCert, key: serverKey, ca: serverCert, requireClientCert: true } });
    const s = session(emu, 'jnx', { tls: demoAppTls(dir, 'router.example') });
    s.start();
    await reach(s, 'ready');
    expect(await s.oper('add', [path(1)])).toMatchObject({ status: 'SUCCESS' });
  });

  it("reads the Go demo app's CA.crt in the demo layout", async () => {
    const { dir, serverCert, serverKey } = await tlsFiles('CA.crt');
    expect(demoAppTls(dir).caFile).toBe(join(dir, 'CA.crt'));
    const emu = await emulator({ tls: { cert: serverCert, key: serverKey, ca: serverCert, requireClientCert: true } });
    const s = session(emu, 'legacy', { tls: demoAppTls(dir, 'router.example') });
    s.start();
    await reach(s, 'ready');
    expect(await s.oper('add', [path(1)])).toMatchObject({ status: 'SUCCESS' });
  });

  it('refuses the router when its certificate does not name the address dialled', async () => {
    const { dir, serverCert, serverKey } = await tlsFiles();
    const emu = await emulator({ tls: { cert: serverCert, key: serverKey, ca: serverCert, requireClientCert: true } });
    const { serverName: _none, ...withoutOverride } = demoAppTls(dir);
    const s = session(emu, 'jnx', { tls: withoutOverride });
    s.start();
    const down = await firstValueFrom(
      s.status$.pipe(
        filter((st) => st.state === 'down' && st.error !== 'not started'),
        timeout(WAIT_MS),
      ),
    );
    expect(down.error).toMatch(/UNAVAILABLE.*does not match certificate/);
  });

  it('names the TLS file it cannot read', () => {
    expect(
      () =>
        new JetDeviceSession({
          device: 'r1',
          address: '127.0.0.1:1',
          dialect: 'jnx',
          username: 'jet',
          password: secret('x'),
          clientId: 'c',
          tls: { caFile: '/nonexistent/ca.crt' },
          rpcTimeoutMs: 1000,
          retry: { initialMs: 10, maxMs: 100, maxAttempts: 2 },
          unavailableBudgetMs: 1000,
          logger,
        }),
    ).toThrow(/tls\.caFile: cannot read \/nonexistent\/ca\.crt/);
  });
});

describe('JetDeviceSession fencing', () => {
  it('sends nothing while fenced, and serves again once the fence lifts', async () => {
    const emu = await emulator();
    let fenced: string | undefined;
    const s = session(emu, 'legacy', { fence: () => fenced });
    s.start();
    await reach(s, 'ready');
    const requests: string[] = [];
    emu.events.on('request', (event: { op?: string }) => requests.push(String(event.op)));

    fenced = 'lease lost';
    await expect(s.oper('add', [path(1)])).rejects.toThrow(FencedError);
    await expect(s.get({ table: 'inet.0' })).rejects.toThrow(/fenced: lease lost/);
    expect(requests).toEqual([]);
    expect(ribKeys(emu)).toEqual([]);

    fenced = undefined;
    await s.oper('add', [path(1)]);
    expect(ribKeys(emu)).toEqual([keyOf(path(1))]);
    expect(requests).toHaveLength(1);
  });

  it('does not log in while fenced', async () => {
    const emu = await emulator();
    const s = session(emu, 'legacy', { fence: () => 'not the owner' });
    s.start();
    await reach(s, 'down');
    expect(emu.clients()).toEqual([]);
  });
});
