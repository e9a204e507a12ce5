import { setImmediate as tick } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import type { BgpPath, MonitorEntry } from '../../src/jet/model.js';
import { Connection } from '../../src/emulator/clients.js';
import { PeerRouteFeed, type MonitorSink } from '../../src/emulator/monitor.js';

/** A sink the test controls: it can report the transport full and release it later. */
class FakeSink implements MonitorSink {
  readonly batches: MonitorEntry[][] = [];
  closed = false;
  full = false;
  private release: (() => void) | undefined;

  write(entries: MonitorEntry[]): boolean {
    if (this.closed) throw new Error('write after end');
    this.batches.push(entries);
    return !this.full;
  }

  drained(): Promise<void> {
    return new Promise((resolve) => {
      this.release = resolve;
    });
  }

  /** The transport took everything: the writer may go on. */
  async drain(): Promise<void> {
    this.full = false;
    this.release?.();
    await tick();
  }

  end(): void {
    this.closed = true;
  }

  /** Each batch as `op prefix` strings. */
  get shape(): string[][] {
    return this.batches.map((batch) =>
      batch.map((e) => (e.path ? `${e.op} ${e.path.prefix}${e.path.localPref ? `@${e.path.localPref}` : ''}` : e.op)),
    );
  }
}

function peer(i: number, localPref?: number): BgpPath {
  const path: BgpPath = { table: 'inet.0', prefix: `10.9.0.${i}`, length: 32, cookie: 0n, nextHops: ['192.0.2.1'] };
  if (localPref !== undefined) path.localPref = localPref;
  return path;
}

describe('PeerRouteFeed', () => {
  let feed: PeerRouteFeed;
  const connection = new Connection(1, '127.0.0.1:1', () => undefined);

  beforeEach(() => {
    feed = new PeerRouteFeed();
  });

  it('sends the full set in batches, END_OF_RIBS in a reply of its own, then changes in order', async () => {
    feed.inject([peer(1), peer(2), peer(3)]);
    const sink = new FakeSink();
    expect(feed.subscribe('c1', connection, 2, sink)).toBe('SUCCESS');
    await tick();
    expect(sink.shape).toEqual([['update 10.9.0.1', 'update 10.9.0.2'], ['update 10.9.0.3'], ['end-of-rib']]);

    feed.inject([peer(4)]);
    feed.withdraw([{ table: 'inet.0', prefix: '10.9.0.1', length: 32 }]);
    await tick();
    expect(sink.shape.slice(3)).toEqual([['update 10.9.0.4'], ['remove 10.9.0.1']]);
    expect(feed.routes().map((r) => r.prefix)).toEqual(['10.9.0.2', '10.9.0.3', '10.9.0.4']);
  });

  it('sends only END_OF_RIBS when nothing was learned', async () => {
    const sink = new FakeSink();
    feed.subscribe('c1', connection, 1000, sink);
    await tick();
    expect(sink.shape).toEqual([['end-of-rib']]);
  });

  it('stops writing while the transport is full and coalesces changes per path until it drains', async () => {
    feed.inject([peer(1), peer(2)]);
    const sink = new FakeSink();
    sink.full = true;
    feed.subscribe('c1', connection, 10, sink);
    await tick();
    expect(sink.shape).toEqual([['update 10.9.0.1', 'update 10.9.0.2']]);

    for (let pref = 1; pref <= 100; pref++) feed.inject([peer(1, pref)]);
    feed.inject([peer(3)]);
    feed.withdraw([{ table: 'inet.0', prefix: '10.9.0.3', length: 32 }]);
    await tick();
    expect(sink.batches).toHaveLength(1);

    await sink.drain();
    expect(sink.shape.slice(1)).toEqual([['end-of-rib'], ['update 10.9.0.1@100', 'remove 10.9.0.3']]);
  });

  it('re-sends the full set and END_OF_RIBS on refresh, folding in queued changes', async () => {
    feed.inject([peer(1)]);
    const sink = new FakeSink();
    feed.subscribe('c1', connection, 10, sink);
    await tick();
    sink.full = true;
    feed.inject([peer(2)]);
    await tick();
    feed.inject([peer(1, 7)]);
    expect(feed.refresh('c1')).toBe(true);
    await sink.drain();
    await sink.drain();
    expect(sink.shape).toEqual([
      ['update 10.9.0.1'],
      ['end-of-rib'],
      ['update 10.9.0.2'],
      ['update 10.9.0.1@7', 'update 10.9.0.2'],
      ['end-of-rib'],
    ]);
  });

  it('allows one open stream per client, and a new one once it ended', async () => {
    const first = new FakeSink();
    feed.subscribe('c1', connection, 10, first);
    expect(feed.subscribe('c1', connection, 10, new FakeSink())).toBe('ALREADY_REGISTERED');
    expect(feed.subscribe('c2', connection, 10, new FakeSink())).toBe('SUCCESS');

    expect(feed.unsubscribe('c1')).toBe(true);
    expect(first.closed).toBe(true);
    expect(feed.unsubscribe('c1')).toBe(false);
    expect(feed.refresh('c1')).toBe(false);

    const again = new FakeSink();
    expect(feed.subscribe('c1', connection, 10, again)).toBe('SUCCESS');
    again.closed = true; // the client went away
    expect(feed.subscribe('c1', connection, 10, new FakeSink())).toBe('SUCCESS');
  });

  it('replaces a stream the client id left on an older connection', () => {
    const older = new FakeSink();
    feed.subscribe('c1', connection, 10, older);
    const newer = new Connection(3, '127.0.0.1:3', () => undefined);
    expect(feed.subscribe('c1', newer, 10, new FakeSink())).toBe('SUCCESS');
    expect(older.closed).toBe(true);
  });

  it('ends the streams of a closed connection and writes nothing more to them', async () => {
    const other = new Connection(2, '127.0.0.1:2', () => undefined);
    const mine = new FakeSink();
    const theirs = new FakeSink();
    feed.subscribe('c1', connection, 10, mine);
    feed.subscribe('c2', other, 10, theirs);
    await tick();
    feed.dropConnection(connection);
    feed.inject([peer(1)]);
    await tick();
    expect(mine.closed).toBe(true);
    expect(mine.shape).toEqual([['end-of-rib']]);
    expect(theirs.shape).toEqual([['end-of-rib'], ['update 10.9.0.1']]);
  });
});
