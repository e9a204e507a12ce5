import { describe, expect, it } from 'vitest';
import type { Intent } from '../../src/intent/intent.js';
import { intentToPaths } from '../../src/intent/route-key.js';
import type { BgpPath } from '../../src/jet/model.js';
import { desiredPaths, diffIntent, isEmptyDiff } from '../../src/state/diff.js';

const intent = (overrides: Partial<Intent> = {}): Intent => ({
  action: 'announce',
  table: 'inet.0',
  family: 'inet',
  prefix: '10.1.0.0',
  length: 24,
  nextHops: ['192.0.2.1'],
  attributes: { localPref: 200 },
  ...overrides,
});

/** What ProgrammedPaths holds for one destination. */
function programmedOf(paths: BgpPath[]): readonly BgpPath[] {
  return [...paths];
}

describe('diffIntent', () => {
  it('adds every desired path when nothing is programmed', () => {
    const desired = intentToPaths('r1', intent({ nextHops: ['192.0.2.1', '192.0.2.2'] }));
    expect(diffIntent(undefined, desired)).toEqual({ add: desired, modify: [], remove: [] });
  });

  it('is empty when the programmed paths carry the same next hops and attributes', () => {
    const programmed = programmedOf(intentToPaths('r1', intent()));
    const diff = diffIntent(programmed, intentToPaths('r1', intent()));
    expect(isEmptyDiff(diff)).toBe(true);
  });

  it('treats spellings the router cannot tell apart as equal (no flags, no communities)', () => {
    const programmed = programmedOf(intentToPaths('r1', intent()));
    const same = intentToPaths('r1', intent({ attributes: { localPref: 200, noExport: false, communities: [] } }));
    expect(isEmptyDiff(diffIntent(programmed, same))).toBe(true);
  });

  it('modifies a path whose attributes changed', () => {
    const programmed = programmedOf(intentToPaths('r1', intent()));
    const desired = intentToPaths('r1', intent({ attributes: { localPref: 300 } }));
    expect(diffIntent(programmed, desired)).toEqual({ add: [], modify: desired, remove: [] });
  });

  it('adds the new next hop and removes the vanished one', () => {
    const old = intentToPaths('r1', intent({ nextHops: ['192.0.2.1'] }));
    const desired = intentToPaths('r1', intent({ nextHops: ['192.0.2.2'] }));
    expect(diffIntent(programmedOf(old), desired)).toEqual({ add: desired, modify: [], remove: old });
  });

  it('removes every programmed path on withdraw (null)', () => {
    const old = intentToPaths('r1', intent({ nextHops: ['192.0.2.1', '192.0.2.2'] }));
    expect(diffIntent(programmedOf(old), null)).toEqual({ add: [], modify: [], remove: old });
  });

  it('has nothing to do for a withdraw of a destination never programmed', () => {
    expect(isEmptyDiff(diffIntent(undefined, null))).toBe(true);
  });
});

describe('desiredPaths', () => {
  const both = intentToPaths('r1', intent({ nextHops: ['192.0.2.1', '192.0.2.2'] }));

  it('is the paths of the intent for an announce', () => {
    expect(desiredPaths('r1', intent(), undefined)).toEqual(intentToPaths('r1', intent()));
  });

  it('is null for a withdraw without next hops', () => {
    expect(desiredPaths('r1', intent({ action: 'withdraw', nextHops: [] }), programmedOf(both))).toBeNull();
  });

  it('keeps the programmed paths a withdraw does not name', () => {
    const withdraw = intent({ action: 'withdraw', nextHops: ['192.0.2.2'], attributes: {} });
    expect(desiredPaths('r1', withdraw, programmedOf(both))).toEqual([both[0]]);
  });

  it('derives cookies per device, so another device`s paths are not the same', () => {
    const [path] = desiredPaths('r2', intent(), undefined)!;
    expect(path!.cookie).not.toBe(intentToPaths('r1', intent())[0]!.cookie);
  });
});
