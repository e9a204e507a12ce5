/**
 * The `jetbridge` command as a child process (run from the sources through tsx,
 * with no JETBRIDGE_* overrides): one-shot commands (`runCli`), long-running ones
 * (`startCli`), and a bridge (`bridgeProcess`) that a test can stop, kill -9 as a
 * crash would, and start again on the same config, state file and MQTT client id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx compiles the sources at every start; a loaded 2-core machine needs a few seconds. */
const START_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 10_000;
/** The line `startBridge` logs once it is connected and subscribed. */
const READY_LINE = 'jetbridge is running';

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
  /** stdout and stderr interleaved in the order they arrived. */
  output(): string;
  /** Resolves once `pattern` appears in stdout or stderr; rejects if the process exits first or it takes too long. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and resolves with the exit code; SIGKILL (and null) if it does not exit in time. */
  signal(signal: NodeJS.Signals): Promise<number | null>;
  /** The exit code once it exits by itself. */
  exited(): Promise<number | null>;
}

/** Starts `jetbridge <args>` and leaves it running. */
export function startCli(args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: REPO_ROOT,
    env: cleanEnvironment(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    output += chunk.toString();
  });
  const printed = (pattern: RegExp | string) =>
    typeof pattern === 'string' ? output.includes(pattern) : pattern.test(output);
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => output,
    async waitFor(pattern, timeoutMs = START_TIMEOUT_MS) {
      const deadline = Date.now() + timeoutMs;
      while (!printed(pattern)) {
        if (!isRunning(child))
          throw new Error(`jetbridge ${args.join(' ')} exited before printing ${pattern}:\n${output}`);
        if (Date.now() > deadline)
          throw new Error(`jetbridge ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms:\n${output}`);
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
    throw new Error(`jetbridge ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${cli.output()}`);
  }
  return { code: await cli.exited(), stdout: cli.stdout(), stderr: cli.stderr() };
}

/** Writes `config` as `bridge.config.json` in `dir` and returns its path. */
export async function writeBridgeConfig(dir: string, config: unknown): Promise<string> {
  const configFile = join(dir, 'bridge.config.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  return configFile;
}

/** `jetbridge run --config <file>`, started and stopped as often as a test likes. */
export interface BridgeProcess {
  /** Starts the bridge and waits until it serves; rejects if it exits first or takes too long. */
  start(): Promise<void>;
  /** SIGKILL now: no drain, no `offline`, no flush of anything in memory. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit code (the graceful shutdown); SIGKILL (and null) if it hangs. */
  stop(): Promise<number | null>;
  /** Everything every run of the process wrote to stdout and stderr, in order, each run after a `--- start n` line. */
  output(): string;
  /** How many times the process has been started. */
  readonly starts: number;
  /** The latest run; undefined before the first start. */
  readonly process: CliProcess | undefined;
}

export function bridgeProcess(configFile: string): BridgeProcess {
  const runs: CliProcess[] = [];
  const current = (): CliProcess | undefined => runs.at(-1);

  return {
    async start() {
      const running = current();
      if (running && isRunning(running.child)) throw new Error('the bridge process is already running');
      const run = startCli(['run', '--config', configFile]);
      runs.push(run);
      await run.waitFor(READY_LINE);
    },
    async kill() {
      const running = current();
      if (running && isRunning(running.child)) await running.signal('SIGKILL');
    },
    async stop() {
      const running = current();
      if (!running) return null;
      return isRunning(running.child) ? running.signal('SIGTERM') : running.child.exitCode;
    },
    output: () => runs.map((run, n) => `--- start ${n + 1}\n${run.output()}`).join(''),
    get starts() {
      return runs.length;
    },
    get process() {
      return current();
    },
  };
}
