/**
 * Remove and Get match semantics in both dialects, as the wire facts document
 * them: a cookie of 0 matches every path of the destination, `or_longer`
 * widens a remove to the prefixes inside, a `communities` list (regular
 * expressions allowed) restricts a match, and `operations_completed` counts
 * match entries rather than removed paths.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BgpPath, PathMatch } from '../../src/jet/model.js';
import {
  complianceDialects,
  JetTestClient,
  ROUTER_MODE,
  startTarget,
  uniqueClientId,
  type ComplianceTarget,
} from './jet-client.js';

/** One path per next hop, cookies from `firstCookie`, as an ECMP application programs them. */
function paths(prefix: string, count: number, firstCookie = 1n, extra: Partial<BgpPath> = {}): BgpPath[] {
  return Array.from({ length: count }, (_, i) => ({
    table: 'inet.0',
    prefix,
    length: 24,
    cookie: firstCookie + BigInt(i),
    nextHops: [`192.0.2.${i + 1}`],
    peerType: 'internal' as const,
    ...extra,
  }));
}

const destination = (prefix: string, length = 24): PathMatch => ({ table: 'inet.0', prefix, length });

describe.each(complianceDialects())('match semantics (%s)', (dialect) => {
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
  });

  async function ready(label: string): Promise<JetTestClient> {
    client = await JetTestClient.ready(target, dialect, uniqueClientId(label));
    return client;
  }

  /** Every path the client holds under 10.0.0.0/8, as `prefix#cookie`, sorted. */
  async function held(): Promise<string[]> {
    const replies = await client.get(destination('10.0.0.0', 8), { orLonger: true });
    return replies
      .flatMap((reply) => reply.routes)
      .map((r) => `${r.prefix}#${r.cookie}`)
      .sort();
  }

  it('removes every path of the destination with a cookie-0 match, counting one operation per match', async () => {
    await ready('cookie0');
    await client.add([...paths('10.70.0.0', 4), ...paths('10.70.1.0', 2, 10n), ...paths('10.70.2.0', 1, 20n)]);
    expect(await client.remove([destination('10.70.0.0')])).toMatchObject({
      status: 'SUCCESS',
      ok: true,
      completed: 1,
    });
    expect(await held()).toEqual(['10.70.1.0#10', '10.70.1.0#11', '10.70.2.0#20']);

    expect(await client.remove([destination('10.70.1.0'), { ...destination('10.70.2.0'), cookie: 0n }])).toMatchObject({
      status: 'SUCCESS',
      completed: 2,
    });
    expect(await held()).toEqual([]);
  });

  it('stops at a cookie-0 match that finds nothing, with operations_completed counting the matches before it', async () => {
    await ready('cookie0-abort');
    await client.add([...paths('10.71.0.0', 3), ...paths('10.71.2.0', 2)]);
    const reply = await client.remove([destination('10.71.0.0'), destination('10.71.1.0'), destination('10.71.2.0')]);
    expect(reply).toMatchObject({ status: 'ROUTE_NOT_FOUND', ok: false, completed: 1 });
    expect(await held()).toEqual(['10.71.2.0#1', '10.71.2.0#2']);
  });

  it('removes one path when the match names its cookie', async () => {
    await ready('cookie');
    await client.add(paths('10.72.0.0', 3));
    expect(await client.remove([{ ...destination('10.72.0.0'), cookie: 2n }])).toMatchObject({
      status: 'SUCCESS',
      completed: 1,
    });
    expect(await held()).toEqual(['10.72.0.0#1', '10.72.0.0#3']);
    expect(await client.remove([{ ...destination('10.72.0.0'), cookie: 2n }])).toMatchObject({
      status: 'ROUTE_NOT_FOUND',
      completed: 0,
    });
  });

  it('returns every path of the destination to a Get with cookie 0, one with a cookie', async () => {
    await ready('get-cookie0');
    await client.add(paths('10.73.0.0', 4));
    const all = (await client.get({ ...destination('10.73.0.0'), cookie: 0n })).flatMap((r) => r.routes);
    expect(all.map((r) => r.cookie).sort()).toEqual([1n, 2n, 3n, 4n]);
    const one = (await client.get({ ...destination('10.73.0.0'), cookie: 3n })).flatMap((r) => r.routes);
    expect(one.map((r) => r.nextHops)).toEqual([['192.0.2.3']]);
  });

  it('widens a remove to the prefixes inside with or_longer, counting match entries', async () => {
    await ready('orlonger');
    const inside = [
      ...paths('10.74.1.0', 2),
      ...paths('10.74.2.0', 3, 5n),
      ...paths('10.74.2.0', 1, 9n, { length: 25 }),
    ];
    await client.add([...inside, ...paths('10.75.0.0', 1), ...paths('10.76.0.0', 2)]);
    const reply = await client.remove([destination('10.74.0.0', 16), destination('10.76.0.0', 16)], true);
    expect(reply).toMatchObject({ status: 'SUCCESS', completed: 2 });
    expect(await held()).toEqual(['10.75.0.0#1']);
  });

  it('restricts a remove and a Get to the paths carrying the match communities, regular expressions allowed', async () => {
    await ready('communities');
    await client.add([
      ...paths('10.77.0.0', 2, 1n, { communities: ['65000:100', 'no-export'] }),
      ...paths('10.77.0.0', 1, 3n, { communities: ['65000:200'] }),
      ...paths('10.77.0.0', 1, 4n),
    ]);
    const cookies = async (matchCommunities: string[]) =>
      (await client.get({ ...destination('10.77.0.0'), matchCommunities }))
        .flatMap((r) => r.routes)
        .map((r) => r.cookie)
        .sort();
    expect(await cookies(['65000:.*'])).toEqual([1n, 2n, 3n]);
    expect(await cookies(['65000:1.*', 'no-export'])).toEqual([1n, 2n]);
    expect(await cookies(['65000:2..'])).toEqual([3n]);
    expect(await cookies(['65001:.*'])).toEqual([]);
    expect(await cookies([])).toEqual([1n, 2n, 3n, 4n]);

    expect(await client.remove([{ ...destination('10.77.0.0'), matchCommunities: ['65000:1[0-9]+'] }])).toMatchObject({
      status: 'SUCCESS',
      completed: 1,
    });
    expect(await held()).toEqual(['10.77.0.0#3', '10.77.0.0#4']);
    expect(await client.remove([{ ...destination('10.77.0.0'), matchCommunities: ['no-export'] }])).toMatchObject({
      status: 'ROUTE_NOT_FOUND',
      completed: 0,
    });
    expect(await client.remove([{ ...destination('10.77.0.0'), matchCommunities: [] }])).toMatchObject({
      status: 'SUCCESS',
      completed: 1,
    });
    expect(await held()).toEqual([]);
  });

  it.skipIf(ROUTER_MODE)('answers a communities entry that is no expression with COMMUNITY_LIST_INVALID', async () => {
    await ready('bad-community');
    await client.add(paths('10.78.0.0', 1, 1n, { communities: ['65000:100'] }));
    const bad = { ...destination('10.78.0.0'), matchCommunities: ['65000:(1'] };
    expect(await client.remove([bad])).toMatchObject({ status: 'COMMUNITY_LIST_INVALID', ok: false, completed: 0 });
    expect(await client.get(bad)).toEqual([expect.objectContaining({ status: 'COMMUNITY_LIST_INVALID', ok: false })]);
    expect(await held()).toEqual(['10.78.0.0#1']);
  });

  it.skipIf(ROUTER_MODE)("leaves other clients' paths of the destination alone on a cookie-0 remove", async () => {
    await ready('owner-a');
    const other = await JetTestClient.ready(target, dialect, uniqueClientId('owner-b'));
    try {
      expect(await other.add(paths('10.79.0.0', 1, 50n))).toMatchObject({ status: 'SUCCESS' });
      await client.add(paths('10.79.0.0', 2));
      expect(await client.remove([destination('10.79.0.0')])).toMatchObject({ status: 'SUCCESS', completed: 1 });
      const theirs = (await other.get(destination('10.79.0.0'))).flatMap((r) => r.routes);
      expect(theirs.map((r) => r.cookie)).toEqual([50n]);
      expect(await client.remove([destination('10.79.0.0')])).toMatchObject({ status: 'ROUTE_NOT_FOUND' });
    } finally {
      await other.cleanup();
      other.close();
    }
  });
});
