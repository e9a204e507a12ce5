import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BgpPath } from '../../src/jet/model.js';
import { SqliteProgrammedStore } from '../../src/state/store.js';
import { ThreadedProgrammedStore } from '../../src/state/threaded-store.js';

const base: BgpPath = {
  table: 'inet.0',
  prefix: '10.1.0.0',
  length: 24,
  cookie: 2n ** 64n - 5n,
  nextHops: ['10.0.0.1'],
  localPref: 200,
};
const paths = (n: number): BgpPath[] =>
  Array.from({ length: n }, (_, i) => ({ ...base, prefix: `10.${i >> 8}.${i & 255}.0`, cookie: BigInt(i + 1) }));
const byCookie = (a: BgpPath, b: BgpPath) => Number(a.cookie - b.cookie);

describe('ThreadedProgrammedStore', { timeout: 20_000 }, () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jetbridge-threaded-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('commits batches in the order they were made, and the file holds them after close', async () => {
    const file = path.join(tempDir(), 'state.db');
    const store = await ThreadedProgrammedStore.open(file);
    const all = paths(300);
    // Not awaited one by one: the thread must keep their order.
    await Promise.all([
      store.apply('r1', all, []),
      store.apply('r1', [{ ...all[0]!, localPref: 10 }], all.slice(1, 100)),
      store.apply('r2', [base], []),
    ]);
    expect((await store.load('r1')).sort(byCookie)).toEqual([{ ...all[0]!, localPref: 10 }, ...all.slice(100)]);
    await store.close();

    const direct = new SqliteProgrammedStore(file);
    expect(direct.load('r1')).toHaveLength(201);
    expect(direct.load('r2')).toEqual([base]);
    direct.close();
  });

  it('refuses to open a state file that cannot be created, saying which and why', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'not-a-folder'), '');
    await expect(ThreadedProgrammedStore.open(path.join(dir, 'not-a-folder', 'state.db'))).rejects.toThrow(
      /cannot open the state file .*not-a-folder\/state\.db: /,
    );
  });

  it('rejects requests made after close instead of losing them silently', async () => {
    const store = await ThreadedProgrammedStore.open(path.join(tempDir(), 'state.db'));
    await store.close();
    await expect(store.apply('r1', [base], [])).rejects.toThrow(/closed|exited/);
    await store.close();
  });
});
