import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { BgpPath } from '../../src/jet/model.js';
import { SqliteProgrammedStore } from '../../src/state/store.js';

const path1: BgpPath = {
  table: 'inet.0',
  prefix: '10.1.0.0',
  length: 24,
  cookie: 2n ** 64n - 3n,
  nextHops: ['10.0.0.1'],
  localPref: 200,
  communities: ['65000:1'],
};
const path2: BgpPath = { ...path1, cookie: 7n, nextHops: ['10.0.0.2'] };

describe('SqliteProgrammedStore', () => {
  const dirs: string[] = [];
  const tempFile = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jetbridge-store-'));
    dirs.push(dir);
    return path.join(dir, 'nested', 'state.db');
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('loads rows written whole by earlier versions (key fields and decimal cookie inside the JSON)', () => {
    const file = tempFile();
    new SqliteProgrammedStore(file).close();
    const db = new Database(file);
    const old = { ...path1, cookie: path1.cookie.toString() };
    db.prepare('INSERT INTO programmed (device, path_key, path) VALUES (?, ?, ?)').run(
      'r1',
      `inet.0|10.1.0.0/24|${path1.cookie}`,
      JSON.stringify(old),
    );
    db.close();

    const store = new SqliteProgrammedStore(file);
    store.apply('r1', [path2], []);
    expect(store.load('r1').sort((a, b) => Number(a.cookie - b.cookie))).toEqual([path2, path1]);
    store.close();
  });
});

describe('SqliteProgrammedStore under kill -9', () => {
  it('leaves a readable store holding only whole batches', async () => {
    const { spawn } = await import('node:child_process');
    const dir = mkdtempSync(path.join(tmpdir(), 'jetbridge-kill-'));
    const file = path.join(dir, 'state.db');
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/store-writer.ts'), file],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let committed = -1;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('writer made no progress')), 15_000);
        child.stdout!.on('data', (chunk: Buffer) => {
          const lines = chunk.toString().trim().split('\n');
          committed = Number(lines[lines.length - 1]);
          if (committed >= 20) {
            clearTimeout(timer);
            child.kill('SIGKILL');
            resolve();
          }
        });
      });
      await new Promise((resolve) => child.once('exit', resolve));

      const store = new SqliteProgrammedStore(file);
      const loaded = store.load('r1');
      store.close();
      expect(loaded.length % 100).toBe(0);
      expect(loaded.length / 100).toBeGreaterThanOrEqual(committed + 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
