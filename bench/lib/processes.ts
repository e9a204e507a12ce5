/**
 * The bench's child processes (broker, emulator, bridges, peers): started with
 * their output in log files, tracked in one group, and stopped however the
 * bench ends: normally, on an error, or on Ctrl-C / SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ChildSpec {
  /** Shown in errors. */
  name: string;
  command: string;
  args: string[];
  /** stdout and stderr go here. */
  logFile: string;
  /** Open a Node IPC channel (for children that report with process.send). */
  ipc?: boolean;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it never started (for example a missing binary). */
  error?: Error;
}

/** How long a child may take to exit after SIGTERM before it gets SIGKILL (a bridge drains its work first). */
const STOP_GRACE_MS = 10_000;
/** The same when the bench was interrupted: the person at the terminal is waiting. */
const ABORT_GRACE_MS = 2000;

export class BenchChild {
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | undefined;

  constructor(
    readonly spec: ChildSpec,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      const settle = (status: ExitStatus): void => {
        this.status ??= status;
        resolve(this.status);
      };
      child.once('exit', (code, signal) => settle({ code, signal }));
      // A process that could not be spawned reports 'error' and never 'exit'.
      child.once('error', (error) => {
        if (child.pid === undefined) settle({ code: null, signal: null, error });
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.spec.name} has no process id: it did not start`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.status === undefined;
  }

  /** The last `lines` lines of its log (or why it did not start), for error messages. */
  logTail(lines = 20): string {
    const error = this.status?.error as NodeJS.ErrnoException | undefined;
    if (error?.code === 'ENOENT') return `cannot start ${this.spec.command}: it is not installed or not on PATH`;
    if (error) return `cannot start ${this.spec.command}: ${error.message}`;
    try {
      return readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM (so a profiled child writes its profile), then SIGKILL after `graceMs`. */
  async stop(graceMs = STOP_GRACE_MS): Promise<ExitStatus> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const inTime = await Promise.race([this.exited.then(() => true), sleep(graceMs, false, { ref: false })]);
      if (!inTime) this.child.kill('SIGKILL');
    }
    return this.exited;
  }

  /** The next IPC message `accept` returns a value for; fails if the child exits or `timeoutMs` passes. */
  nextMessage<T>(accept: (message: unknown) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        outcome();
      };
      const onMessage = (message: unknown): void => {
        const value = accept(message);
        if (value !== undefined) finish(() => resolve(value));
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`${this.spec.name} sent no report within ${timeoutMs} ms:\n${this.logTail()}`)),
          ),
        timeoutMs,
      );
      this.child.on('message', onMessage);
      void this.exited.then(() =>
        finish(() =>
          reject(new Error(`${this.spec.name} exited while the bench waited for its report:\n${this.logTail()}`)),
        ),
      );
    });
  }
}

/** Every child the bench started, stopped newest first. */
export class ChildGroup {
  private readonly children: BenchChild[] = [];
  private aborting: Promise<void> | undefined;

  /** Whether abort() was called: the bench was interrupted. */
  get aborted(): boolean {
    return this.aborting !== undefined;
  }

  start(spec: ChildSpec): BenchChild {
    const log = openSync(spec.logFile, 'a');
    try {
      const child = spawn(spec.command, spec.args, {
        stdio: spec.ipc ? ['ignore', log, log, 'ipc'] : ['ignore', log, log],
      });
      const managed = new BenchChild(spec, child);
      this.children.push(managed);
      return managed;
    } finally {
      closeSync(log);
    }
  }

  /** Stops one child and forgets it once it has exited. */
  async stop(child: BenchChild, graceMs?: number): Promise<ExitStatus> {
    const status = await child.stop(graceMs);
    const index = this.children.indexOf(child);
    if (index >= 0) this.children.splice(index, 1);
    return status;
  }

  /** Stops every child, newest first (bridges before the broker they use); after abort(), waits for it. */
  async stopAll(): Promise<void> {
    if (this.aborting) return this.aborting;
    while (this.children.length > 0) await this.stop(this.children[this.children.length - 1]!);
  }

  /** Interrupted: SIGTERM to every child at once, SIGKILL to those still running after `graceMs`. */
  abort(graceMs = ABORT_GRACE_MS): Promise<void> {
    this.aborting ??= Promise.all([...this.children].map((child) => this.stop(child, graceMs))).then(() => undefined);
    return this.aborting;
  }

  /** SIGKILL for whatever still runs: the last resort in a synchronous 'exit' handler. */
  killAllNow(): void {
    for (const managed of this.children) if (managed.running) managed.child.kill('SIGKILL');
  }
}

/**
 * Polls `check` until it answers true. Fails early with the child's log when
 * the child exits, or after `timeoutMs`.
 */
export async function untilReady(
  child: BenchChild,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running) throw new Error(`${child.spec.name} exited before ${what}:\n${child.logTail()}`);
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`${child.spec.name}: no ${what} within ${timeoutMs} ms:\n${child.logTail()}`);
}

/**
 * Stops every child however the bench ends. Ctrl-C and SIGTERM abort the group
 * and exit with 130 / 143; the synchronous 'exit' handler kills what is left.
 */
export function stopChildrenOnExit(group: ChildGroup): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals, code: number): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\nbench: ${signal}, stopping child processes\n`);
    process.exitCode = code;
    void group.abort().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  process.once('exit', () => group.killAllNow());
}
