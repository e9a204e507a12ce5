/**
 * Secrets (passwords) from the configuration. A secret is written as a literal
 * string, as `"${ENV_NAME}"` (the whole string) to read an environment
 * variable, or as `{"file": "path"}` to read a file (trailing newline trimmed).
 * It is resolved once at load time into a Secret, whose text is reachable only
 * through `.value`: converting it to a string, to JSON or inspecting it gives
 * "[redacted]", so a secret cannot slip into a log line, a JSON result or an
 * error message by accident.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret text. Read it only where it is handed to a library that needs it. */
  get value(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * Resolves a secret as written in the configuration. Throws an Error whose
 * message says what is wrong (unset variable, unreadable file, wrong type)
 * without ever including secret text. Relative file paths resolve against
 * `baseDir`.
 */
export function resolveSecret(spec: unknown, env: Environment, baseDir: string): Secret {
  if (spec instanceof Secret) return spec;
  if (typeof spec === 'string') {
    const reference = ENV_REFERENCE.exec(spec);
    if (!reference) return new Secret(spec);
    const name = reference[1]!;
    const value = env[name];
    if (value === undefined) throw new Error(`environment variable ${name} is not set`);
    return new Secret(value);
  }
  if (typeof spec === 'object' && spec !== null && !Array.isArray(spec)) {
    const keys = Object.keys(spec);
    const file = (spec as { file?: unknown }).file;
    if (keys.length === 1 && typeof file === 'string' && file !== '') {
      return readSecretFile(path.resolve(baseDir, file));
    }
  }
  // Say nothing about the value itself: it may be the secret, mistyped.
  throw new Error('expected a string, "${ENV_NAME}" or {"file": "path"}');
}

function readSecretFile(file: string): Secret {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new Error(`cannot read secret file ${file} (${code})`);
  }
  return new Secret(text.replace(/\r?\n$/, ''));
}
