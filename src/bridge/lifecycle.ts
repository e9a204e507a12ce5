/**
 * Start-up in order, shut-down in reverse: each long-lived part is started by a
 * step that leaves a closer on a stack. When a later step throws, the closers of
 * the parts already started run last-in first-out, so a bridge that cannot start
 * leaves no socket, thread, timer or file lock behind and its process can exit.
 */
import type { Logger } from 'pino';

/** Why the bridge could not start, for the command line to pick an exit code. */
export type StartFailureKind =
  /** The config names something unusable (a TLS file that cannot be read, say). */
  | 'config'
  /** A port or the state file is held by another process. */
  | 'in-use'
  /** The MQTT broker could not be reached or refused the bridge. */
  | 'unreachable'
  /** A stop was asked for before start-up had finished. */
  | 'stopped';

/** A start-up failure with a one-line reason that names the setting or resource. */
export class StartFailure extends Error {
  constructor(
    readonly kind: StartFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StartFailure';
  }
}

/** The error's message, or its text when it is not an Error. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A Node.js system error's fields, of the error itself or the first of its causes that has a code. */
export function systemError(error: unknown): { code?: string; port?: number } {
  for (let e = error; e instanceof Error; e = e.cause) {
    const { code, port } = e as { code?: unknown; port?: unknown };
    if (typeof code === 'string') return { code, ...(typeof port === 'number' && { port }) };
  }
  return {};
}

type Closer = () => Promise<void> | void;

/** The closers of the parts started so far; `close()` runs them newest first, once. */
export class CloserStack {
  private readonly closers: Array<{ name: string; close: Closer }> = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** Starts a part and remembers how to stop it; nothing is remembered when `start` throws. */
  async start<T>(name: string, start: () => Promise<T> | T, stop: (part: T) => Promise<void> | void): Promise<T> {
    if (this.closing) throw new StartFailure('stopped', `stopped before ${name} was started`);
    const part = await start();
    this.closers.push({ name, close: () => stop(part) });
    return part;
  }

  /** Remembers a closer for something already started. */
  defer(name: string, close: Closer): void {
    this.closers.push({ name, close });
  }

  /** Runs every closer newest first; a closer that throws is logged and the rest still run. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (let closer = this.closers.pop(); closer; closer = this.closers.pop()) {
        try {
          await closer.close();
        } catch (error) {
          this.logger.warn({ part: closer.name, err: errorText(error) }, 'stopping a part failed');
        }
      }
    })();
    return this.closing;
  }
}
