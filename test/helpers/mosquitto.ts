/**
 * A real Mosquitto broker for tests: its own configuration in a temporary directory,
 * a free loopback port, and controls to stop, kill and restart it on the same port.
 * Needs the `mosquitto` binary (Debian package `mosquitto`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isListening } from '../../src/mqtt/embedded-broker.js';
import { freePort } from './ports.js';

export interface MosquittoOptions {
  /** Lines appended to the generated mosquitto.conf. */
  extraConfig?: string[];
  /** Keep sessions and retained messages across restart() (saved on SIGTERM). */
  persistence?: boolean;
}

export interface RunningMosquitto {
  url: string;
  port: number;
  /** SIGTERM, then SIGKILL if it has not exited in time; removes its directory. */
  stop(): Promise<void>;
  /** SIGKILL now, as in a crash; restart() brings it back. */
  kill(): void;
  /** Stops it (if running) and starts it again on the same port and configuration. */
  restart(): Promise<void>;
  /** Everything it printed so far. */
  log(): string;
}

const STARTUP_TIMEOUT_MS = 5000;
const EXIT_TIMEOUT_MS = 5000;

export async function startMosquitto(options: MosquittoOptions = {}): Promise<RunningMosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'jetbridge-mosquitto-'));
  const port = await freePort();
  const configPath = join(dir, 'mosquitto.conf');
  await writeFile(configPath, configText(port, dir, options));

  let output = '';
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const started = spawn('mosquitto', ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await untilAccepting(started, port, () => output);
  };
  const halt = async (): Promise<void> => {
    if (child && isRunning(child)) await terminate(child);
  };

  try {
    await launch();
  } catch (error) {
    await halt();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
    kill() {
      if (child && isRunning(child)) child.kill('SIGKILL');
    },
    async restart() {
      await halt();
      await launch();
    },
    log: () => output,
  };
}

function configText(port: number, dir: string, { extraConfig = [], persistence = false }: MosquittoOptions): string {
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    // Mosquitto drops QoS 1/2 messages beyond 1000 queued per client by default.
    'max_queued_messages 1000000',
    'max_inflight_messages 0',
    'log_dest stderr',
    'connection_messages true',
    `persistence ${persistence}`,
    `persistence_location ${dir}/`,
  ];
  // Started as root, mosquitto switches to the `mosquitto` user, which cannot write here.
  if (process.getuid?.() === 0) lines.push('user root');
  return [...lines, ...extraConfig, ''].join('\n');
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Waits until the port accepts connections; fails if mosquitto is missing or exits. */
async function untilAccepting(child: ChildProcess, port: number, output: () => string): Promise<void> {
  let failure: Error | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure =
      error.code === 'ENOENT'
        ? new Error('mosquitto is not installed: run `apt-get install mosquitto`')
        : new Error(`cannot start mosquitto: ${error.message}`);
  });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (failure) throw failure;
    if (!isRunning(child)) throw new Error(`mosquitto exited during startup:\n${output()}`);
    if (await isListening('127.0.0.1', port, 200)) return;
    await sleep(25);
  }
  throw new Error(`mosquitto did not accept connections on port ${port} within ${STARTUP_TIMEOUT_MS} ms:\n${output()}`);
}

async function terminate(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const inTime = await Promise.race([exited.then(() => true), sleep(EXIT_TIMEOUT_MS, false, { ref: false })]);
  if (!inTime) {
    child.kill('SIGKILL');
    await exited;
  }
}
