/**
 * The bridge as a separate operating-system process (`jetbridge run --config f`,
 * through tsx), so a test can `kill -9` it as a crash would and start it again on
 * the same config, state file and MQTT client id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx compiles the sources on start; a loaded 2-core machine needs a few seconds. */
const READY_TIMEOUT_MS = 20_000;
const EXIT_TIMEOUT_MS = 10_000;
/** The line `startBridge` logs once it is connected and subscribed. */
const READY_LINE = 'jetbridge is running';

export interface BridgeProcess {
  /** Starts the bridge and waits until it serves; rejects if it exits first or takes too long. */
  start(): Promise<void>;
  /** SIGKILL now: no drain, no `offline`, no flush of anything in memory. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit code (the graceful shutdown); SIGKILL if it hangs. */
  stop(): Promise<number | null>;
  /** Everything every run of the process wrote to stdout and stderr, in order. */
  output(): string;
  /** How many times the process has been started. */
  readonly starts: number;
}

/** The environment without JETBRIDGE_* overrides, so the config file alone decides. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('JETBRIDGE_')));
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function exited(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export function bridgeProcess(configFile: string): BridgeProcess {
  let output = '';
  let child: ChildProcess | undefined;
  let starts = 0;

  async function start(): Promise<void> {
    if (child && isRunning(child)) throw new Error('the bridge process is already running');
    starts += 1;
    output += `--- start ${starts}\n`;
    const started = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', '--config', configFile], {
      cwd: REPO_ROOT,
      env: cleanEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const firstLine = output.length;
    while (!output.includes(READY_LINE, firstLine)) {
      if (!isRunning(started)) throw new Error(`the bridge exited during startup:\n${output.slice(firstLine)}`);
      if (Date.now() > deadline) throw new Error(`the bridge was not ready within ${READY_TIMEOUT_MS} ms:\n${output.slice(firstLine)}`);
      await sleep(25);
    }
  }

  async function kill(): Promise<void> {
    if (!child || !isRunning(child)) return;
    const done = exited(child);
    child.kill('SIGKILL');
    await done;
  }

  async function stop(): Promise<number | null> {
    if (!child) return null;
    const running = child;
    if (isRunning(running)) {
      const done = exited(running);
      running.kill('SIGTERM');
      const inTime = await Promise.race([done.then(() => true), sleep(EXIT_TIMEOUT_MS, false, { ref: false })]);
      if (!inTime) await kill();
    }
    return running.exitCode;
  }

  return {
    start,
    kill,
    stop,
    output: () => output,
    get starts() {
      return starts;
    },
  };
}
