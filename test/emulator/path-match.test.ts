/** The communities part of a JET match as a pure filter over paths. */
import { describe, expect, it } from 'vitest';
import { MAX_COMMUNITY_PATTERN_CHARS, PathSelection } from '../../src/emulator/path-match.js';
import { Rejection } from '../../src/emulator/validation.js';

function selection(communities: string[]): PathSelection {
  const compiled = PathSelection.of(communities);
  if (compiled instanceof Rejection) throw new Error(compiled.message);
  return compiled;
}

describe('PathSelection', () => {
  const tagged = { communities: ['65000:100', 'no-export', 'target:65000:1'] };
  const plain = {};

  it('admits every path, with or without communities, when the list is empty or absent', () => {
    for (const empty of [PathSelection.of(), PathSelection.of([])]) {
      expect(empty).toBeInstanceOf(PathSelection);
      expect((empty as PathSelection).restricts).toBe(false);
      expect((empty as PathSelection).admits(tagged)).toBe(true);
      expect((empty as PathSelection).admits(plain)).toBe(true);
    }
  });

  it('admits a path only when every entry matches one of its communities', () => {
    expect(selection(['65000:100']).admits(tagged)).toBe(true);
    expect(selection(['65000:100', 'no-export']).admits(tagged)).toBe(true);
    expect(selection(['65000:100', 'no-advertise']).admits(tagged)).toBe(false);
    expect(selection(['65000:100']).admits(plain)).toBe(false);
  });

  it('reads entries as regular expressions over the whole community', () => {
    expect(selection(['65000:1.*']).admits(tagged)).toBe(true);
    expect(selection(['target:.*']).admits(tagged)).toBe(true);
    expect(selection(['65000:1']).admits(tagged)).toBe(false);
    expect(selection(['5000:100']).admits(tagged)).toBe(false);
    expect(selection(['65000:(100|200)']).admits({ communities: ['65000:200'] })).toBe(true);
  });

  it.each([
    [['65000:(1'], /communities\[0\]: "65000:\(1" is neither a community nor a regular expression/],
    [['65000:100', ''], /communities\[1\]: is empty/],
    [['x'.repeat(MAX_COMMUNITY_PATTERN_CHARS + 1)], /communities\[0\]: is 257 characters long/],
  ])('refuses %j with COMMUNITY_LIST_INVALID naming the entry', (communities, message) => {
    const refused = PathSelection.of(communities);
    expect(refused).toBeInstanceOf(Rejection);
    expect(refused).toMatchObject({ status: 'COMMUNITY_LIST_INVALID', message: expect.stringMatching(message) });
  });
});
