/**
 * Monitor / Subscribe streams of peer-learned routes, in both dialects: the
 * full set, then END_OF_RIBS, then changes; one stream per client; Unregister
 * and Refresh. Tests that need routes learned from a peer use the emulator's
 * control API and are skipped against a router.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorEntry } from '../../src/jet/model.js';
import {
  complianceDialects,
  hostRoutes,
  JetTestClient,
  ROUTER_MODE,
  startTarget,
  statusName,
  uniqueClientId,
  type ComplianceTarget,
} from './jet-client.js';

const isEndOfRibs = (entries: MonitorEntry[]) => entries.some((e) => e.op === 'end-of-rib');
const countEndOfRibs = (entries: MonitorEntry[]) => entries.filter((e) => e.op === 'end-of-rib').length;

describe.each(complianceDialects())('Monitor / Subscribe (%s)', (dialect) => {
  let target: ComplianceTarget;
  let client: JetTestClient;

  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await target.stop();
  });
  afterEach(async () => {
    await client.cleanup().catch(() => undefined);
    client.close();
    target.emulator?.withdrawPeerRoutes(target.emulator.peerRoutes());
  });

  it('refuses a stream before Initialize with NOT_INITIALIZED, and a route_count above 1000', async () => {
    client = JetTestClient.open(target, dialect, uniqueClientId('mon-init'));
    await client.login();
    const early = client.subscribe();
    await early.ended;
    expect(early.replies).toEqual([expect.objectContaining({ status: 'NOT_INITIALIZED', ok: false, entries: [] })]);

    await client.initialize();
    const greedy = client.subscribe(1001);
    await greedy.ended;
    expect(greedy.replies).toEqual([expect.objectContaining({ status: 'ROUTE_COUNT_INVALID', ok: false })]);
  });

  it('sends the full set before END_OF_RIBS, then allows one stream per client', async () => {
    client = await JetTestClient.ready(target, dialect, uniqueClientId('mon-one'));
    const stream = client.subscribe();
    const initial = await stream.until(isEndOfRibs);
    const eor = initial.findIndex((e) => e.op === 'end-of-rib');
    expect(initial.slice(0, eor).every((e) => e.op === 'update' && e.path !== undefined)).toBe(true);

    const second = client.subscribe();
    await second.ended;
    expect(second.replies).toEqual([
      expect.objectContaining({ status: statusName(dialect, 'ALREADY_REGISTERED'), ok: false, entries: [] }),
    ]);

    expect(await client.unsubscribe()).toMatchObject({ status: 'SUCCESS', ok: true });
    expect((await stream.ended).code).toBe(0);
    expect(await client.unsubscribe()).toMatchObject({ status: statusName(dialect, 'NOT_REGISTERED'), ok: false });
    expect(await client.refresh()).toMatchObject({ status: statusName(dialect, 'NOT_REGISTERED'), ok: false });
  });

  it.skipIf(ROUTER_MODE)(
    'streams peer routes: initial set in route_count batches, END_OF_RIBS, updates, removals',
    async () => {
      const emulator = target.emulator!;
      const learned = hostRoutes(2500, { secondOctet: 90 });
      emulator.injectPeerRoutes(learned);
      client = await JetTestClient.ready(target, dialect, uniqueClientId('mon-peer'));
      const stream = client.subscribe(1000);

      const initial = await stream.until(isEndOfRibs);
      expect(stream.replies.map((r) => r.entries.length)).toEqual([1000, 1000, 500, 1]);
      expect(stream.replies.every((r) => r.status === 'SUCCESS')).toBe(true);
      expect(initial.slice(0, 2500).map((e) => e.path?.prefix)).toEqual(learned.map((p) => p.prefix));
      expect(initial[2500]).toEqual({ op: 'end-of-rib' });

      // A programmed route is not an echo source: only peer-learned changes follow.
      await client.add(hostRoutes(1, { secondOctet: 91 }));
      emulator.injectPeerRoutes([{ ...learned[0]!, localPref: 250 }]);
      emulator.withdrawPeerRoutes([{ prefix: learned[1]!.prefix, length: 32 }]);
      const all = await stream.until((entries) => entries.length >= 2503);
      expect(all.slice(2501)).toEqual([
        { op: 'update', path: expect.objectContaining({ prefix: learned[0]!.prefix, localPref: 250 }) },
        { op: 'remove', path: expect.objectContaining({ prefix: learned[1]!.prefix }) },
      ]);
    },
  );

  it.skipIf(ROUTER_MODE)('delivers everything, in order, to a reader that stops reading for a while', async () => {
    const learned = hostRoutes(20_000, { secondOctet: 93 });
    target.emulator!.injectPeerRoutes(learned);
    client = await JetTestClient.ready(target, dialect, uniqueClientId('mon-slow'));
    const stream = client.subscribe(50);
    stream.pause();
    await new Promise((resolve) => setTimeout(resolve, 200));
    target.emulator!.withdrawPeerRoutes(learned.slice(0, 10));
    stream.resume();
    const entries = await stream.until((all) => all.length >= 20_011);
    expect(entries.slice(0, 20_000).map((e) => e.path?.prefix)).toEqual(learned.map((p) => p.prefix));
    expect(entries[20_000]).toEqual({ op: 'end-of-rib' });
    expect(entries.slice(20_001).map((e) => `${e.op} ${e.path?.prefix}`)).toEqual(
      learned.slice(0, 10).map((p) => `remove ${p.prefix}`),
    );
  });

  it.skipIf(ROUTER_MODE)('re-sends the full set and END_OF_RIBS on Refresh', async () => {
    target.emulator!.injectPeerRoutes(hostRoutes(3, { secondOctet: 92 }));
    client = await JetTestClient.ready(target, dialect, uniqueClientId('mon-refresh'));
    const stream = client.subscribe();
    await stream.until(isEndOfRibs);
    expect(await client.refresh()).toMatchObject({ status: 'SUCCESS', ok: true });
    const entries = await stream.until((all) => countEndOfRibs(all) === 2);
    expect(entries.map((e) => e.op)).toEqual([
      'update',
      'update',
      'update',
      'end-of-rib',
      'update',
      'update',
      'update',
      'end-of-rib',
    ]);
  });

  it.skipIf(ROUTER_MODE)('ends the stream at Cleanup', async () => {
    client = await JetTestClient.ready(target, dialect, uniqueClientId('mon-cleanup'));
    const stream = client.subscribe();
    await stream.until(isEndOfRibs);
    await client.cleanup();
    expect((await stream.ended).code).toBe(0);
  });
});
