/**
 * Turns zod issues into one-line messages that name the field and say why, such
 * as `intents[3].localPref: must be at most 4294967295, got 1099511627776`.
 * Shared by the intent parser, the route policy and the configuration loader
 * so users see one style of error everywhere.
 */
import type { z } from 'zod';
import { quote } from './syntax.js';

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['intents', 3, 'nextHops', 1]` → `intents[3].nextHops[1]`, appended to `base`. */
export function formatPath(base: string, path: readonly PathKey[]): string {
  let text = base;
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) text += text === '' ? key : `.${key}`;
    else text += `[${quote(String(key))}]`;
  }
  return text;
}

/** A short description of a value for "got ..." in messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `string ${quote(value)}`;
    case 'number':
      return Number.isFinite(value) ? `number ${value}` : `${value} (out of range)`;
    case 'boolean':
      return `boolean ${value}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

const ARTICLE_TYPES: Readonly<Record<string, string>> = {
  int: 'an integer',
  array: 'an array',
  object: 'an object',
  number: 'a number',
  string: 'a string',
  boolean: 'a boolean (true or false)',
};

function sizeOf(input: unknown): string {
  return typeof input === 'string' || Array.isArray(input) ? ` (got ${input.length})` : '';
}

type RawIssue = z.core.$ZodRawIssue;

function boundMessage(issue: RawIssue & { code: 'too_big' | 'too_small' }): string {
  const big = issue.code === 'too_big';
  const bound = big ? issue.maximum : issue.minimum;
  const exclusive = issue.inclusive === false;
  const word = big ? (exclusive ? 'less than' : 'at most') : exclusive ? 'more than' : 'at least';
  switch (issue.origin) {
    case 'string':
      if (!big && Number(bound) === 1) return 'must not be empty';
      return `must be ${word} ${bound} characters long${sizeOf(issue.input)}`;
    case 'array':
    case 'set':
      if (!big && Number(bound) === 1) return 'must not be empty';
      return `must have ${word} ${bound} items${sizeOf(issue.input)}`;
    default:
      return `must be ${word} ${bound}, got ${describeValue(issue.input)}`;
  }
}

/**
 * A zod error map giving the "why" of an issue in this project's words (the
 * field name is added by issueLines). Pass it per parse, `{ error: issueMessage }`;
 * a schema's own `error` option still wins, so fields can say something more specific.
 */
export const issueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      const expected = ARTICLE_TYPES[issue.expected] ?? issue.expected;
      return `expected ${expected}, got ${describeValue(issue.input)}`;
    }
    case 'too_big':
    case 'too_small':
      return boundMessage(issue);
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      const expected = values.length <= 2 ? values.join(' or ') : `one of ${values.join(', ')}`;
      return `expected ${expected}, got ${describeValue(issue.input)}`;
    }
    default:
      return undefined;
  }
};

/**
 * One line per problem: `<path>: <message>`. An object with unknown keys gives
 * one line per key, naming the key as the field. `base` prefixes every path;
 * `label` may dress a path up (the config loader adds where a value came from).
 */
export function issueLines(
  issues: readonly Issue[],
  base = '',
  label: (path: string) => string = (path) => path,
): string[] {
  const line = (path: string, message: string) => (path === '' ? message : `${label(path)}: ${message}`);
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(line(formatPath(base, [...issue.path, key]), 'unknown field'));
    } else {
      lines.push(line(formatPath(base, issue.path), issue.message));
    }
  }
  return lines;
}
