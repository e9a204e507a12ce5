import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { inboxFileFor, SqliteInbox } from '../../src/state/inbox.js';

const dirs: string[] = [];
/** A file name in a fresh temporary folder, removed after the test. */
function tempFile(name = 'state.db-inbox'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'jetbridge-inbox-'));
  dirs.push(dir);
  return path.join(dir, name);
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SqliteInbox', () => {
  it('groups settlements and applies them on the next tick', async () => {
    const inbox = new SqliteInbox(tempFile());
    const seqs = Array.from({ length: 50 }, (_, i) =>
      inbox.put({ topic: 't', payload: Buffer.from(String(i)), qos: 1 }),
    );
    for (const s of seqs) inbox.settle(s);
    expect(inbox.pending()).toHaveLength(50);
    await new Promise((resolve) => setImmediate(resolve));
    expect(inbox.pending()).toHaveLength(0);
    inbox.close();
  });
});

describe('SqliteInbox file handling', () => {
  it('lives next to the state file', () => {
    expect(inboxFileFor('/var/lib/jetbridge/state.db')).toBe('/var/lib/jetbridge/state.db-inbox');
    expect(inboxFileFor(':memory:')).toBe(':memory:');
  });

  it('sets an unreadable file aside, says where and why, and starts empty', () => {
    const file = tempFile();
    writeFileSync(file, 'this is not an SQLite database, it is what a crash of the machine might leave'.repeat(100));
    const inbox = new SqliteInbox(file);
    expect(inbox.setAside?.movedTo).toMatch(/state\.db-inbox\.unreadable-\d+$/);
    expect(inbox.setAside?.reason).toMatch(/not a database/);
    expect(readFileSync(inbox.setAside!.movedTo, 'utf8')).toMatch(/^this is not an SQLite database/);
    expect(inbox.pending()).toEqual([]);
    inbox.put({ topic: 't', payload: Buffer.from('new'), qos: 1 });
    inbox.close();
  });

  it('refuses a file another inbox holds, and leaves that file alone', () => {
    const file = tempFile();
    const first = new SqliteInbox(file);
    first.put({ topic: 't', payload: Buffer.from('kept'), qos: 1 });
    try {
      expect(() => new SqliteInbox(file, { busyTimeoutMs: 0 })).toThrow(
        /inbox file .*state\.db-inbox is in use by another process/,
      );
    } finally {
      first.close();
    }
    const reopened = new SqliteInbox(file);
    expect(reopened.setAside).toBeUndefined();
    expect(reopened.pending().map((m) => m.payload.toString())).toEqual(['kept']);
    reopened.close();
  });

  it('takes over the requests an earlier version kept in the state file, in order, ahead of new ones', () => {
    const stateFile = tempFile('state.db');
    const old = new Database(stateFile);
    old.exec(
      'CREATE TABLE inbox (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL, response_topic TEXT, correlation_data BLOB)',
    );
    const insert = old.prepare(
      'INSERT INTO inbox (topic, payload, qos, response_topic, correlation_data) VALUES (?, ?, ?, ?, ?)',
    );
    insert.run('jet/r1/bgp/intent', Buffer.from('old-1'), 1, 'app/reply', Buffer.from('c1'));
    insert.run('jet/r1/bgp/intent', Buffer.from('old-2'), 2, null, null);
    old.close();

    const inbox = new SqliteInbox(inboxFileFor(stateFile));
    expect(inbox.adoptFrom(stateFile)).toBe(2);
    inbox.put({ topic: 'jet/r1/bgp/intent', payload: Buffer.from('new'), qos: 1 });
    expect(inbox.pending().map((m) => [m.payload.toString(), m.qos, m.responseTopic])).toEqual([
      ['old-1', 1, 'app/reply'],
      ['old-2', 2, undefined],
      ['new', 1, undefined],
    ]);
    expect(inbox.adoptFrom(stateFile)).toBe(0);
    inbox.close();
  });
});
