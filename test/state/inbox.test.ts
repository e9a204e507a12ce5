import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteInbox } from '../../src/state/inbox.js';

describe('SqliteInbox', () => {
  const dirs: string[] = [];
  const tempFile = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jetbridge-inbox-'));
    dirs.push(dir);
    return path.join(dir, 'state.db');
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('keeps unsettled messages across a reopen, in arrival order, with MQTT 5 reply details', () => {
    const file = tempFile();
    const inbox = new SqliteInbox(file);
    const a = inbox.put({ topic: 'jet/r1/bgp/intent', payload: Buffer.from('{"prefix":"10.0.0.0/24"}'), qos: 1, responseTopic: 'app/reply', correlationData: Buffer.from('c1') });
    const b = inbox.put({ topic: 'jet/r1/bgp/intent', payload: Buffer.from('second'), qos: 1 });
    inbox.put({ topic: 'jet/r1/bgp/intent', payload: Buffer.from('third'), qos: 2 });
    inbox.settle(b);
    inbox.close();

    const reopened = new SqliteInbox(file);
    const pending = reopened.pending();
    expect(pending.map((m) => m.payload.toString())).toEqual(['{"prefix":"10.0.0.0/24"}', 'third']);
    expect(pending[0]).toMatchObject({ seq: a, responseTopic: 'app/reply', correlationData: Buffer.from('c1'), qos: 1 });
    expect(pending[1].responseTopic).toBeUndefined();
    reopened.close();
  });

  it('serves pending messages in arrival order after the newest one was settled and more arrived', async () => {
    const inbox = new SqliteInbox(tempFile());
    inbox.put({ topic: 't', payload: Buffer.from('first'), qos: 1 });
    const second = inbox.put({ topic: 't', payload: Buffer.from('second'), qos: 1 });
    inbox.settle(second);
    inbox.flush();
    inbox.put({ topic: 't', payload: Buffer.from('third'), qos: 1 });
    inbox.put({ topic: 't', payload: Buffer.from('fourth'), qos: 1 });
    expect(inbox.pending().map((m) => m.payload.toString())).toEqual(['first', 'third', 'fourth']);
    inbox.close();
  });

  it('groups settlements and applies them on the next tick', async () => {
    const inbox = new SqliteInbox(tempFile());
    const seqs = Array.from({ length: 50 }, (_, i) => inbox.put({ topic: 't', payload: Buffer.from(String(i)), qos: 1 }));
    seqs.forEach((s) => inbox.settle(s));
    expect(inbox.pending()).toHaveLength(50);
    await new Promise((resolve) => setImmediate(resolve));
    expect(inbox.pending()).toHaveLength(0);
    inbox.close();
  });
});
