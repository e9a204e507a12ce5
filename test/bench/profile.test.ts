import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatProfile, summarizeProfile } from '../../bench/lib/profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
  scriptId: '0',
  columnNumber: 0,
});

/** A CPU profile: root → parse (2 ms self), root → (idle) (5 ms), root → parse again at another node (1 ms). */
const PROFILE = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
    { id: 2, callFrame: frame('parse', 'file:///repo/dist/src/intent/parse.js', 9) },
    { id: 3, callFrame: frame('(idle)') },
    { id: 4, callFrame: frame('parse', 'file:///repo/dist/src/intent/parse.js', 9) },
  ],
  samples: [2, 3, 2, 4],
  timeDeltas: [1000, 5000, 1000, 1000],
};

describe('summarizeProfile', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('sums self time per function over its call sites and leaves idle time out of the shares', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jetbridge-profile-'));
    dirs.push(dir);
    const file = join(dir, 'bridge.cpuprofile');
    writeFileSync(file, JSON.stringify(PROFILE));
    const summary = summarizeProfile(file, '/repo/');
    expect(summary).toEqual({
      busyMs: 3,
      idleMs: 5,
      top: [{ location: 'parse (dist/src/intent/parse.js:10)', selfMs: 3, percent: 100 }],
    });
    expect(formatProfile('bridge', summary)).toContain('parse (dist/src/intent/parse.js:10)');
  });
});
