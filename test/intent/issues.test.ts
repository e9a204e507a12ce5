import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeValue, formatPath, issueLines, issueMessage } from '../../src/intent/issues.js';

function lines(schema: z.ZodType, value: unknown, base = ''): string[] {
  const result = schema.safeParse(value, { error: issueMessage });
  return result.success ? [] : issueLines(result.error.issues, base);
}

describe('formatPath', () => {
  it('writes indexes in brackets and names with dots', () => {
    expect(formatPath('', ['intents', 3, 'nextHops', 1])).toBe('intents[3].nextHops[1]');
    expect(formatPath('intents[2]', ['localPref'])).toBe('intents[2].localPref');
    expect(formatPath('', [0])).toBe('[0]');
    expect(formatPath('users', ['odd key'])).toBe('users["odd key"]');
  });
});

describe('describeValue', () => {
  it('says what was received, briefly', () => {
    expect(describeValue('x')).toBe('string "x"');
    expect(describeValue(1.5)).toBe('number 1.5');
    expect(describeValue(Number.POSITIVE_INFINITY)).toBe('Infinity (out of range)');
    expect(describeValue(null)).toBe('null');
    expect(describeValue([])).toBe('an array');
    expect(describeValue({})).toBe('an object');
    expect(describeValue(undefined)).toBe('nothing');
    expect(describeValue('y'.repeat(500)).length).toBeLessThan(100);
  });
});

describe('issueLines', () => {
  const schema = z.strictObject({
    name: z.string().min(1),
    port: z.int().min(1).max(65535),
    tags: z.array(z.string()).max(2).optional(),
    mode: z.enum(['a', 'b', 'c']).optional(),
  });

  it('gives one line per problem, naming the field', () => {
    expect(lines(schema, { name: '', port: 70000, tags: ['x', 'y', 'z'], mode: 'd', extra: 1, other: 2 })).toEqual([
      'name: must not be empty',
      'port: must be at most 65535, got number 70000',
      'tags: must have at most 2 items (got 3)',
      'mode: expected one of "a", "b", "c", got string "d"',
      'extra: unknown field',
      'other: unknown field',
    ]);
  });

  it('says a missing field is required and names wrong types', () => {
    expect(lines(schema, { port: 'http' })).toEqual([
      'name: is required',
      'port: expected a number, got string "http"',
    ]);
    expect(lines(schema, 'nope')).toEqual(['expected an object, got string "nope"']);
  });

  it('prefixes every path with the base', () => {
    expect(lines(schema, { name: 'x', port: 1.5 }, 'devices[0]')).toEqual([
      'devices[0].port: expected an integer, got number 1.5',
    ]);
  });

  it('keeps a message the schema gives itself', () => {
    expect(lines(z.string().regex(/^a/, { error: 'must start with a' }), 'b')).toEqual(['must start with a']);
  });
});
