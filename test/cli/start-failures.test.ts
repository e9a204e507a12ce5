/**
 * `jetbridge run` when it cannot start: it exits by itself with a one-line reason
 * and a non-zero code, and leaves nothing behind: the ports it had bound are free
 * again and the state file can be opened by the next bridge.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inboxFileFor, SqliteInbox } from '../../src/state/inbox.js';
import pg from 'pg';
import { runCli, startCli, writeBridgeConfig } from '../helpers/bridge-process.js';
import { freePort } from '../helpers/ports.js';
import { createTestDatabase } from '../helpers/postgres.js';

const TEST_TIMEOUT = { timeout: 60_000 };

/** Holds a TCP port on 127.0.0.1 until closed; what another process on that port would do. */
async function holdPort(port = 0): Promise<Server & { port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('listening socket has no port');
  return Object.assign(server, { port: address.port });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Whether `port` can be bound again, i.e. the bridge let go of it. */
async function isFree(port: number): Promise<boolean> {
  try {
    await close(await holdPort(port));
    return true;
  } catch {
    return false;
  }
}

interface World {
  dir: string;
  brokerPort: number;
  jetPort: number;
  adminPort: number;
  httpPort: number;
  statePath: string;
  config(overrides?: { mqtt?: object; http?: object; state?: object }): object;
}

let world: World;
beforeEach(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jetbridge-start-'));
  const [brokerPort, jetPort, adminPort, httpPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const statePath = join(dir, 'state.db');
  world = {
    dir,
    brokerPort,
    jetPort,
    adminPort,
    httpPort,
    statePath,
    config: (overrides = {}) => ({
      mqtt: {
        url: `mqtt://127.0.0.1:${brokerPort}`,
        embeddedBroker: true,
        clientId: 'start-failure',
        ...overrides.mqtt,
      },
      devices: [{ name: 'r1', address: `127.0.0.1:${jetPort}`, dialect: 'legacy', username: 'jet', password: 'jet' }],
      emulator: { enabled: true, users: { jet: 'jet' }, adminPort },
      http: { enabled: true, port: httpPort, ...overrides.http },
      state: { path: statePath, ...overrides.state },
      log: { level: 'info' },
    }),
  };
});
afterEach(() => rm(world.dir, { recursive: true, force: true }));

/** Runs the bridge on `config` to its end (runCli fails the test if it hangs). */
async function run(config: object): Promise<{ code: number | null; reason: string }> {
  const file = await writeBridgeConfig(world.dir, config);
  const { code, stderr } = await runCli(['run', '--config', file]);
  const lines = stderr.trim().split('\n');
  return { code, reason: lines.at(-1) ?? '' };
}

/** Nothing of the failed bridge is left: its ports are free and its state file opens. */
async function expectNothingLeft(ports: number[]): Promise<void> {
  for (const port of ports) expect(await isFree(port), `port ${port} is free again`).toBe(true);
  const inbox = new SqliteInbox(inboxFileFor(world.statePath), { busyTimeoutMs: 0 });
  inbox.put({ topic: 't', payload: Buffer.from('next bridge'), qos: 1 });
  inbox.close();
}

describe('jetbridge run exits when it cannot start', () => {
  it('the HTTP port is taken: exit 4, naming http.port', TEST_TIMEOUT, async () => {
    const taken = await holdPort(world.httpPort);
    try {
      const { code, reason } = await run(world.config());
      expect(reason).toBe(`jetbridge: cannot start: http.port: port ${world.httpPort} on 127.0.0.1 is already in use`);
      expect(code).toBe(4);
    } finally {
      await close(taken);
    }
    await expectNothingLeft([world.brokerPort, world.jetPort, world.adminPort]);
  });

  it("the emulator's port is taken: exit 4, naming the device", TEST_TIMEOUT, async () => {
    const taken = await holdPort(world.jetPort);
    try {
      const { code, reason } = await run(world.config());
      expect(reason).toBe(
        `jetbridge: cannot start: emulator of device r1 (its address): port ${world.jetPort} on 127.0.0.1 is already in use`,
      );
      expect(code).toBe(4);
    } finally {
      await close(taken);
    }
    await expectNothingLeft([world.brokerPort, world.httpPort]);
  });

  it('the broker refuses the bridge: exit 3, naming mqtt.url', TEST_TIMEOUT, async () => {
    const broker = await Aedes.createBroker({
      authenticate: (_client, _user, _password, done) => done(null, false),
    });
    const server = await holdPort(world.brokerPort);
    server.removeAllListeners('connection');
    server.on('connection', broker.handle);
    try {
      const { code, reason } = await run(world.config({ mqtt: { embeddedBroker: false, protocolVersion: 4 } }));
      expect(reason).toMatch(
        new RegExp(
          `^jetbridge: cannot start: mqtt.url: the broker at 127.0.0.1:${world.brokerPort} refused the bridge: `,
        ),
      );
      expect(code).toBe(3);
    } finally {
      await close(server);
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    }
    await expectNothingLeft([world.jetPort, world.adminPort, world.httpPort]);
  });

  it('another bridge holds the state: exit 4, naming state.path', TEST_TIMEOUT, async () => {
    const other = new SqliteInbox(inboxFileFor(world.statePath));
    other.put({ topic: 't', payload: Buffer.from('held'), qos: 1 });
    try {
      const { code, reason } = await run(world.config());
      expect(reason).toMatch(/^jetbridge: cannot start: state\.path: the inbox file .*state\.db-inbox is in use/);
      expect(code).toBe(4);
    } finally {
      other.close();
    }
    await expectNothingLeft([world.brokerPort, world.jetPort, world.adminPort, world.httpPort]);
  });

  it('a TLS file cannot be read: exit 2, naming the setting and the file', TEST_TIMEOUT, async () => {
    const missing = join(world.dir, 'no-such-ca.crt');
    const { code, reason } = await run(world.config({ mqtt: { tls: { ca: missing } } }));
    expect(reason).toMatch(
      new RegExp(`^jetbridge: cannot start: mqtt\\.tls\\.ca: cannot read ${missing.replace(/\./g, '\\.')}: ENOENT`),
    );
    expect(code).toBe(2);
    await expectNothingLeft([world.brokerPort, world.jetPort, world.adminPort, world.httpPort]);
  });

  it('a TLS certificate is not PEM: exit 2, naming the setting', TEST_TIMEOUT, async () => {
    const [cert, key] = [join(world.dir, 'client.crt'), join(world.dir, 'client.key')];
    await writeFile(cert, 'not a certificate\n');
    await writeFile(key, 'not a key\n');
    const { code, reason } = await run(world.config({ mqtt: { tls: { cert, key } } }));
    expect(reason).toMatch(/^jetbridge: cannot start: mqtt\.tls: the files are not a usable PEM set: /);
    expect(code).toBe(2);
    await expectNothingLeft([world.brokerPort, world.jetPort, world.adminPort, world.httpPort]);
  });
});

describe('jetbridge run with its state in PostgreSQL', () => {
  it('the database cannot be reached: exit 3, naming state.url', TEST_TIMEOUT, async () => {
    const url = `postgres://postgres@127.0.0.1:${await freePort()}/jetbridge`;
    const { code, reason } = await run(world.config({ state: { url } }));
    expect(reason).toMatch(/^jetbridge: cannot start: state\.url: cannot use the PostgreSQL state at /);
    expect(code).toBe(3);
    await expectNothingLeft([world.brokerPort, world.jetPort, world.adminPort, world.httpPort]);
  });

  it('the database connection ends while running: it stops and exits 3 with the reason', TEST_TIMEOUT, async () => {
    const database = await createTestDatabase('state_lost');
    const cli = startCli([
      'run',
      '--config',
      await writeBridgeConfig(world.dir, world.config({ state: { url: database.url } })),
    ]);
    try {
      await cli.waitFor('jetbridge is running');
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ ended: boolean }>(
          'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        expect(rows.map((r) => r.ended)).toEqual([true]);
      } finally {
        await admin.end();
      }
      expect(await cli.exited()).toBe(3);
      expect(cli.output()).toContain('lost the connection to the PostgreSQL state');
      expect(cli.stderr().trim().split('\n').at(-1)).toMatch(
        /^jetbridge: stopped: the PostgreSQL state connection ended: /,
      );
    } finally {
      await cli.signal('SIGKILL');
      await database.drop();
    }
    await expectNothingLeft([world.brokerPort, world.jetPort, world.adminPort, world.httpPort]);
  });
});
