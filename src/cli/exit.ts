/** Exit codes scripts can rely on; documented in the README. */
export const ExitCode = {
  Ok: 0,
  /** The request was answered, but not every route succeeded. */
  Failed: 1,
  /** Bad usage or an invalid config file. */
  Usage: 2,
  /** The broker or the bridge could not be reached, or did not answer in time. */
  Unreachable: 3,
  /** `run`: a port or the state file is in use by another process. */
  InUse: 4,
} as const;

/** The exit codes as the client commands' help lists them. */
export const EXIT_CODES_HELP = [
  '',
  'Exit codes:',
  '  0  done (send, apply: every route succeeded; watch: stopped by Ctrl-C)',
  '  1  the bridge answered with a failure (send, apply: not every route succeeded)',
  '  2  bad usage, an invalid intent or routes file, or an invalid config',
  '  3  the broker could not be reached, or the bridge did not answer in time',
].join('\n');

export class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Stops the command with a message on stderr and the given exit code. */
export function fail(code: number, message: string): never {
  throw new CliExit(code, message);
}
