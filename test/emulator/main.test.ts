import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CliExit } from '../../src/cli/exit.js';
import {
  readTlsDir,
  registerEmulatorCommand,
  startEmulatorStack,
  type EmulatorCommandOptions,
} from '../../src/emulator/main.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { connectLegacy, seedPaths } from './legacy-client.js';

const logger = pino({ level: 'silent' });

/** Parses `args` as `jetbridge emulator ...` and returns what the command would run with. */
async function parse(...args: string[]): Promise<EmulatorCommandOptions> {
  let parsed: EmulatorCommandOptions | undefined;
  const program = new Command('jetbridge')
    .version('1.2.3')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerEmulatorCommand(program, async (options) => {
    parsed = options;
  });
  await program.parseAsync(['emulator', ...args], { from: 'user' });
  return parsed!;
}

async function parseError(...args: string[]): Promise<Error> {
  try {
    await parse(...args);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`parsing ${args.join(' ')} succeeded`);
}

describe('jetbridge emulator options', () => {
  it('has defaults a newcomer can run with', async () => {
    expect(await parse()).toEqual({
      host: '127.0.0.1',
      port: 32767,
      dialect: 'both',
      users: { jet: 'secret' },
      purgeTimeoutSeconds: 120,
      maxConnections: 5,
      tables: [],
      adminPort: 8181,
      notifyTopicRoot: '/junos/events',
      hostname: 'jet-emulator',
      logLevel: 'info',
      version: '1.2.3',
    });
  });

  it('reads every option', async () => {
    const options = await parse(
      '--port',
      '40000',
      '--dialect',
      'jnx',
      '--user',
      'alice:pw',
      '--user',
      'bob:a:b',
      '--purge-timeout',
      '0.25',
      '--max-connections',
      '30',
      '--table',
      'vrf1.inet.0',
      '--admin-port',
      '0',
      '--tls-dir',
      '/etc/jet',
      '--notify-mqtt',
      'mqtt://127.0.0.1:1884',
      '--hostname',
      'r1',
      '--host',
      '0.0.0.0',
      '--log-level',
      'debug',
    ); // prettier-ignore
    expect(options).toMatchObject({
      host: '0.0.0.0',
      port: 40000,
      dialect: 'jnx',
      users: { alice: 'pw', bob: 'a:b' },
      purgeTimeoutSeconds: 0.25,
      maxConnections: 30,
      tables: ['vrf1.inet.0'],
      adminPort: 0,
      tlsDir: '/etc/jet',
      notifyMqtt: 'mqtt://127.0.0.1:1884',
      hostname: 'r1',
      logLevel: 'debug',
    });
  });

  it('turns the admin API off with --no-admin', async () => {
    expect((await parse('--no-admin')).adminPort).toBe(false);
  });

  it.each([
    [['--port', '70000'], /--port.*70000.*0\.\.65535/],
    [['--port', 'abc'], /--port.*0\.\.65535/],
    [['--user', 'jet'], /--user.*user:password/],
    [['--user', ':secret'], /--user.*user:password/],
    [['--dialect', 'grpc'], /--dialect.*Allowed choices are both, legacy, jnx/],
    [['--purge-timeout', '-1'], /--purge-timeout.*seconds/],
    [['--max-connections', '31'], /--max-connections.*1\.\.30/],
    [['--notify-mqtt', 'http://x'], /--notify-mqtt.*unsupported scheme http:/],
    [['--log-level', 'loud'], /--log-level.*Allowed choices/],
  ])('refuses %j', async (args, message) => {
    const error = await parseError(...args);
    expect(error).toBeInstanceOf(CommanderError);
    expect(error.message).toMatch(message);
  });

  it('refuses a user given twice', async () => {
    const error = await parseError('--user', 'jet:a', '--user', 'jet:b');
    expect(error).toBeInstanceOf(CliExit);
    expect(error.message).toContain('--user jet is given more than once');
  });

  it('documents its options in --help', async () => {
    let help = '';
    const program = new Command('jetbridge').exitOverride().configureOutput({ writeOut: (text) => (help += text) });
    registerEmulatorCommand(program, async () => {});
    await expect(program.parseAsync(['emulator', '--help'], { from: 'user' })).rejects.toMatchObject({ exitCode: 0 });
    for (const option of [
      '--port',
      '--dialect',
      '--user',
      '--purge-timeout',
      '--admin-port',
      '--tls-dir',
      '--notify-mqtt',
      '--log-level',
    ]) {
      expect(help).toContain(option);
    }
    expect(help).toContain('Not a router');
  });
});

describe('readTlsDir', () => {
  it('reads the server pair, and with ca.crt requires client certificates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jet-tls-'));
    try {
      await writeFile(join(dir, 'server.crt'), 'CERT');
      await writeFile(join(dir, 'server.key'), 'KEY');
      expect(readTlsDir(dir)).toEqual({ cert: Buffer.from('CERT'), key: Buffer.from('KEY') });
      await writeFile(join(dir, 'ca.crt'), 'CA');
      expect(readTlsDir(dir)).toEqual({
        cert: Buffer.from('CERT'),
        key: Buffer.from('KEY'),
        ca: Buffer.from('CA'),
        requireClientCert: true,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("accepts the Go demo app's CA.crt as the CA", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jet-tls-'));
    try {
      await writeFile(join(dir, 'server.crt'), 'CERT');
      await writeFile(join(dir, 'server.key'), 'KEY');
      await writeFile(join(dir, 'CA.crt'), 'UPPER CA');
      expect(readTlsDir(dir)).toMatchObject({ ca: Buffer.from('UPPER CA'), requireClientCert: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jet-tls-'));
    try {
      await writeFile(join(dir, 'server.crt'), 'CERT');
      expect(() => readTlsDir(dir)).toThrow(/--tls-dir .*: cannot read server\.key \(ENOENT\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('startEmulatorStack', () => {
  it('serves gRPC, operational commands, the admin API and notifications, and stop() closes them all', async () => {
    const broker = await startMosquitto();
    try {
      const stack = await startEmulatorStack({
        emulator: { host: '127.0.0.1', port: 0, users: { jet: 'secret' } },
        admin: { host: '127.0.0.1', port: 0 },
        notify: { url: broker.url },
        hostname: 'r1',
        version: '9.9.9',
        logger,
      });
      const admin = `http://127.0.0.1:${stack.admin!.port}`;
      const client = await connectLegacy(stack.emulator.port, { clientId: 'stack-test' });
      try {
        expect(stack.notifier).toBeDefined();
        expect(await client.add(seedPaths('10.123.0.0', 10n))).toBe('SUCCESS');

        const version = await client.opCommand('show version', 'text');
        expect(version.data).toContain('Hostname: r1');
        expect(version.data).toContain('Junos: 9.9.9');
        const routes = await client.opCommand('show route protocol bgp-static', 'text');
        expect(routes.data).toContain('inet.0: 1 destinations, 4 routes (1 active, 0 holddown, 0 hidden)');
        expect(routes.data).toMatch(/^10\.123\.0\.0\/24 +\*\[BGP-Static\/10\]/m);

        const rib = (await (
          await fetch(`${admin}/routes`, { signal: AbortSignal.timeout(5_000) })
        ).json()) as unknown[];
        expect(rib).toHaveLength(4);
        await expect.poll(() => stack.notifier!.stats().published, { timeout: 5_000 }).toBe(4);
      } finally {
        client.close();
        await stack.stop();
      }
      await expect(fetch(`${admin}/healthz`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
      await expect(listenOn(stack.emulator.port)).resolves.toBeUndefined();
    } finally {
      await broker.stop();
    }
  }, 20_000);

  it('stops the emulator again when the notifier cannot start', async () => {
    const port = await freePort();
    const unreachable = `mqtt://127.0.0.1:${await freePort()}`;
    await expect(
      startEmulatorStack({
        emulator: { host: '127.0.0.1', port, users: { jet: 'secret' } },
        notify: { url: unreachable },
        hostname: 'r1',
        version: '1',
        logger,
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    await expect(listenOn(port)).resolves.toBeUndefined();
  });
});

/** Binds and releases `port` on loopback: resolves only if nothing else holds it. */
function listenOn(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

describe('the emulator process', () => {
  it('logs where it listens and exits with code 0 on SIGTERM', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/emulator-cli.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fixture, 'emulator', '--port', '0', '--admin-port', '0', '--user', 'jet:pw'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, JETBRIDGE_LOG_LEVEL: 'info' },
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const startLine = () =>
        stderr
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { msg: string; adminPort?: number; grpcPort?: number })
          .find((entry) => entry.msg.includes('not a router'));
      await expect.poll(startLine, { timeout: 15_000, interval: 100 }).toBeDefined();
      const { adminPort, grpcPort } = startLine()!;
      expect(grpcPort).toBeGreaterThan(0);
      const health = await fetch(`http://127.0.0.1:${adminPort}/healthz`, { signal: AbortSignal.timeout(5_000) });
      expect(await health.json()).toEqual({ status: 'ok', grpcPort });

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('emulator stack stopped; exiting');
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
