/** Exit codes scripts can rely on; documented in the README. */
export const ExitCode = {
  Ok: 0,
  /** The request was answered, but not every route succeeded. */
  Failed: 1,
  /** Bad usage or an invalid config file. */
  Usage: 2,
  /** The broker or the bridge could not be reached, or did not answer in time. */
  Unreachable: 3,
} as const;

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
