/**
 * The `jetbridge` command as users run it, for the CLI tests: one-shot commands
 * (`runCli`), long-running ones (`startCli`, for watch), and a bridge process
 * (`startBridge`) with its own config in a temporary directory, an emulated
 * device on free loopback ports, its HTTP endpoints on, and the broker it is given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/ports.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx compiles the sources at every start; a loaded 2-core machine needs a few seconds. */
const START_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 10_000;

export interface CliResult {
  /** The exit code; null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without JETBRIDGE_* overrides, so that the config file alone decides. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('JETBRIDGE_')));
}

function spawnCli(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: REPO_ROOT, env: cleanEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (!isRunning(child)) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** A running `jetbridge` process and what it has printed so far. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once `pattern` appears in stdout or stderr; rejects if the process exits first or it takes too long. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and resolves with the exit code; SIGKILL (and null) if it does not exit in time. */
  signal(signal: NodeJS.Signals): Promise<number | null>;
  /** The exit code once it exits by itself. */
  exited(): Promise<number | null>;
}

/** Starts `jetbridge <args>` and leaves it running. */
export function startCli(args: readonly string[]): CliProcess {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const printed = (pattern: RegExp | string) => (typeof pattern === 'string' ? (stdout + stderr).includes(pattern) : pattern.test(stdout + stderr));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async waitFor(pattern, timeoutMs = START_TIMEOUT_MS) {
      const deadline = Date.now() + timeoutMs;
      while (!printed(pattern)) {
        if (!isRunning(child)) throw new Error(`jetbridge ${args.join(' ')} exited before printing ${pattern}:\n${stdout}${stderr}`);
        if (Date.now() > deadline) throw new Error(`jetbridge ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms:\n${stdout}${stderr}`);
        await sleep(25);
      }
    },
    async signal(signal) {
      const exit = exitOf(child);
      if (isRunning(child)) child.kill(signal);
      const inTime = await Promise.race([exit.then(() => true), sleep(EXIT_TIMEOUT_MS, false, { ref: false })]);
      if (inTime) return exit;
      child.kill('SIGKILL');
      await exit;
      return null;
    },
    exited: () => exitOf(child),
  };
}

/** Runs `jetbridge <args>` to the end; a command that outlives `timeoutMs` is killed and the test fails. */
export async function runCli(args: readonly string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<CliResult> {
  const cli = startCli(args);
  const finished = await Promise.race([cli.exited().then(() => true), sleep(timeoutMs, false, { ref: false })]);
  if (!finished) {
    await cli.signal('SIGKILL');
    throw new Error(`jetbridge ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${cli.stdout()}${cli.stderr()}`);
  }
  return { code: await cli.exited(), stdout: cli.stdout(), stderr: cli.stderr() };
}

export interface BridgeOptions {
  /** Its one device. */
  device: string;
  /** The broker to use; omitted starts the embedded one on a free port. */
  broker?: { url: string };
  clientId: string;
}

export interface BridgeUnderTest {
  /** The config file, for the client commands' --config. */
  configFile: string;
  brokerUrl: string;
  /** The emulator's admin API: GET /routes lists what the device holds. */
  adminUrl: string;
  /** /metrics, /healthz and /readyz. */
  httpUrl: string;
  process: CliProcess;
  /** Starts it again on the same config (and so the same client id and state). */
  restart(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Stops it if running and removes its directory. */
  dispose(): Promise<void>;
}

/** The line `startBridge` logs once it is connected and subscribed. */
const READY_LINE = 'jetbridge is running';

/**
 * Writes a config for one emulated device and starts `jetbridge run` on it,
 * resolving once the bridge is subscribed.
 */
export async function startBridge(options: BridgeOptions): Promise<BridgeUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'jetbridge-cli-'));
  const [jetPort, adminPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const brokerUrl = options.broker?.url ?? `mqtt://127.0.0.1:${await freePort()}`;
  const config = {
    mqtt: { url: brokerUrl, embeddedBroker: options.broker === undefined, clientId: options.clientId, subscribe: 'devices' },
    devices: [{ name: options.device, address: `127.0.0.1:${jetPort}`, dialect: 'legacy', username: 'jet', password: 'jet' }],
    emulator: { enabled: true, users: { jet: 'jet' }, adminPort },
    http: { enabled: true, port: httpPort },
    state: { path: join(dir, 'state.db') },
    log: { level: 'info' },
  };
  const configFile = join(dir, 'bridge.config.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));

  let current: CliProcess | undefined;
  const launch = async (): Promise<void> => {
    current = startCli(['run', '--config', configFile]);
    await current.waitFor(READY_LINE);
  };
  const stop = async (): Promise<number | null> => (current && isRunning(current.child) ? current.signal('SIGTERM') : (current?.child.exitCode ?? null));
  try {
    await launch();
  } catch (error) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    configFile,
    brokerUrl,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    get process() {
      return current!;
    },
    restart: launch,
    stop,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface EmulatorRoute {
  table: string;
  prefix: string;
  nextHops: string[];
  owner: string;
}

/** The routes the emulated device holds, from its admin API. */
export async function emulatorRoutes(bridge: BridgeUnderTest): Promise<EmulatorRoute[]> {
  const response = await fetch(`${bridge.adminUrl}/routes`);
  if (!response.ok) throw new Error(`GET /routes answered ${response.status}`);
  return (await response.json()) as EmulatorRoute[];
}
