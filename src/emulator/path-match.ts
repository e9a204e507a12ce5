/**
 * JET match semantics beyond the destination (remove and get), as the wire
 * facts document them: a cookie of 0 is "not evaluated" (every path of the
 * destination), and a non-empty `communities` list admits only paths carrying
 * those communities, each entry a community or a regular expression. Pure: the
 * route programmer turns a wire match into a {@link PathSelection} here and
 * asks it about each candidate path.
 */
import type { PathAttributes } from '../jet/model.js';
import { Rejection } from './validation.js';

/** Longest community entry accepted: a match list entry is a short pattern, not a program. */
export const MAX_COMMUNITY_PATTERN_CHARS = 256;

/**
 * One match entry's filter over paths. An entry matches a community when the
 * whole community text matches it (`65000:1.*` admits `65000:100`, not
 * `165000:1`); a path is admitted when every entry matches one of its
 * communities. No entries admits every path, with or without communities.
 */
export class PathSelection {
  private constructor(
    private readonly patterns: readonly RegExp[],
    readonly communities: readonly string[],
  ) {}

  /** The filter of a match's communities list, or COMMUNITY_LIST_INVALID naming the entry. */
  static of(communities: readonly string[] = []): PathSelection | Rejection<'COMMUNITY_LIST_INVALID'> {
    const patterns: RegExp[] = [];
    for (const [i, entry] of communities.entries()) {
      const pattern = communityPattern(entry);
      if (typeof pattern === 'string') return new Rejection('COMMUNITY_LIST_INVALID', `communities[${i}]: ${pattern}`);
      patterns.push(pattern);
    }
    return new PathSelection(patterns, communities);
  }

  /** True when the match restricts by communities at all. */
  get restricts(): boolean {
    return this.patterns.length > 0;
  }

  admits(path: PathAttributes): boolean {
    const carried = path.communities ?? [];
    return this.patterns.every((pattern) => carried.some((community) => pattern.test(community)));
  }
}

/** An entry as an anchored expression, or why it is not usable. */
function communityPattern(entry: string): RegExp | string {
  if (entry === '') return 'is empty';
  if (entry.length > MAX_COMMUNITY_PATTERN_CHARS) {
    return `is ${entry.length} characters long; at most ${MAX_COMMUNITY_PATTERN_CHARS} are accepted`;
  }
  try {
    return new RegExp(`^(?:${entry})$`);
  } catch (error) {
    return `${JSON.stringify(entry)} is neither a community nor a regular expression (${(error as Error).message})`;
  }
}
