/**
 * Add / Modify / Update / Remove as a JET peer must answer them, in both
 * dialects: request-size limits, first-error abort with operations_completed,
 * key semantics, or_longer removal and every validation status.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BgpPath, PathKey } from '../../src/jet/model.js';
import {
  complianceDialects,
  hostRoutes,
  JetTestClient,
  ROUTER_MODE,
  setDestPrefix,
  startTarget,
  uniqueClientId,
  type ComplianceTarget,
  type OperReply,
  type WireEntry,
} from './jet-client.js';

function path(prefix: string, length: number, overrides: Partial<BgpPath> = {}): BgpPath {
  return {
    table: prefix.includes(':') ? 'inet6.0' : 'inet.0',
    prefix,
    length,
    cookie: 1n,
    nextHops: [prefix.includes(':') ? '2001:db8::1' : '192.0.2.1'],
    peerType: 'internal',
    ...overrides,
  };
}

const keyOf = ({ table, prefix, length, cookie }: PathKey): PathKey => ({ table, prefix, length, cookie });

/** A failed reply says so in both dialects: jnx `status.code` FAILURE with a message, legacy a non-SUCCESS enum. */
function expectRefused(reply: OperReply, status: string, completed = 0): void {
  expect(reply).toMatchObject({ status, ok: false, completed });
}

describe.each(complianceDialects())('route operations (%s)', (dialect) => {
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

  async function ready(label = 'ops'): Promise<JetTestClient> {
    client = await JetTestClient.ready(target, dialect, uniqueClientId(label));
    return client;
  }

  it('refuses route calls before Initialize with NOT_INITIALIZED, and a second Initialize with ALREADY_INITIALIZED', async () => {
    client = JetTestClient.open(target, dialect, uniqueClientId('init'));
    expect((await client.login()).ok).toBe(true);
    expectRefused(await client.add([path('10.60.0.0', 24)]), 'NOT_INITIALIZED');
    expectRefused(await client.remove([keyOf(path('10.60.0.0', 24))]), 'NOT_INITIALIZED');
    const [getReply] = await client.get({ table: 'inet.0' });
    expect(getReply).toMatchObject({ status: 'NOT_INITIALIZED', ok: false, routes: [] });

    expect(await client.initialize()).toMatchObject({ status: 'SUCCESS', ok: true, routes: 0 });
    expect(await client.initialize()).toMatchObject({ status: 'ALREADY_INITIALIZED', ok: false });
  });

  it('takes 1000 routes in one request, refuses 1001 with TOO_MANY_OPS and none with NO_OP', async () => {
    await ready('limits');
    expect(await client.add(hostRoutes(1000))).toMatchObject({ status: 'SUCCESS', ok: true, completed: 1000 });

    const tooMany = hostRoutes(1001, { secondOctet: 201 });
    expectRefused(await client.add(tooMany), 'TOO_MANY_OPS');
    const [probe] = await client.get({ table: 'inet.0', prefix: '10.201.0.0', length: 16 }, { orLonger: true });
    expect(probe?.routes ?? []).toEqual([]);

    expectRefused(await client.add([]), 'NO_OP');
    expectRefused(await client.remove([]), 'NO_OP');
    expectRefused(await client.remove(hostRoutes(1001).map(keyOf)), 'TOO_MANY_OPS');
  });

  it('applies routes in order and stops at the first error, reporting operations_completed', async () => {
    await ready('abort');
    const batch = [path('10.61.0.0', 24), path('10.61.1.0', 24), path('10.61.2.0', 33), path('10.61.3.0', 24)];
    expectRefused(await client.add(batch), 'PREFIX_LEN_TOO_LONG', 2);

    const programmed = (
      await client.get({ table: 'inet.0', prefix: '10.61.0.0', length: 16 }, { orLonger: true })
    ).flatMap((r) => r.routes);
    expect(programmed.map((r) => r.prefix).sort()).toEqual(['10.61.0.0', '10.61.1.0']);

    // The same abort applies to Remove: the missing key stops the request after one removal.
    const removal = [keyOf(batch[0]!), keyOf(path('10.61.9.0', 24)), keyOf(batch[1]!)];
    expectRefused(await client.remove(removal), 'ROUTE_NOT_FOUND', 1);
  });

  it('keys paths by table, prefix, length and cookie: Add, Modify and Update semantics', async () => {
    await ready('keys');
    const first = path('10.62.0.0', 24, { cookie: 7n, localPref: 100 });
    expect(await client.oper('modify', [first])).toMatchObject({ status: 'ROUTE_NOT_FOUND', completed: 0 });
    expect(await client.add([first])).toMatchObject({ status: 'SUCCESS', completed: 1 });
    expect(await client.add([{ ...first, cookie: 8n, nextHops: ['192.0.2.2'] }])).toMatchObject({ status: 'SUCCESS' });
    expectRefused(await client.add([first]), 'ROUTE_EXISTS');

    expect(await client.oper('modify', [{ ...first, localPref: 300 }])).toMatchObject({
      status: 'SUCCESS',
      completed: 1,
    });
    expect(await client.oper('update', [{ ...first, cookie: 9n, nextHops: ['192.0.2.3'] }])).toMatchObject({
      status: 'SUCCESS',
    });
    expect(await client.oper('update', [{ ...first, localPref: 400 }])).toMatchObject({ status: 'SUCCESS' });

    const routes = (await client.get({ table: 'inet.0', prefix: '10.62.0.0', length: 24 })).flatMap((r) => r.routes);
    expect(routes.map((r) => r.cookie).sort()).toEqual([7n, 8n, 9n]);
    expect(routes.find((r) => r.cookie === 7n)?.localPref).toBe(400);
  });

  it('programs IPv6 routes into inet6.0 and reports them in canonical form', async () => {
    await ready('v6');
    const v6 = path('2001:DB8:1::', 48, { nextHops: ['2001:DB8::A'] });
    expect(await client.add([v6])).toMatchObject({ status: 'SUCCESS', completed: 1 });
    const [reply] = await client.get({ table: 'inet6.0', prefix: '2001:db8:1::', length: 48 });
    expect(reply?.routes).toEqual([
      expect.objectContaining({ prefix: '2001:db8:1::', length: 48, nextHops: ['2001:db8::a'] }),
    ]);
  });

  it('removes every path of the caller under a prefix with or_longer', async () => {
    await ready('orlonger');
    const under = [
      path('10.63.0.0', 16),
      path('10.63.1.0', 24),
      path('10.63.1.128', 25, { cookie: 2n }),
      path('10.63.1.128', 25, { cookie: 3n }),
    ];
    const outside = path('10.64.0.0', 24);
    expect(await client.add([...under, outside])).toMatchObject({ status: 'SUCCESS', completed: 5 });

    expect(await client.remove([{ table: 'inet.0', prefix: '10.63.0.0', length: 16 }], true)).toMatchObject({
      status: 'SUCCESS',
      completed: 1,
    });
    const left = (await client.get({ table: 'inet.0' })).flatMap((r) => r.routes);
    expect(left.map((r) => `${r.prefix}/${r.length}`)).toEqual(['10.64.0.0/24']);

    expectRefused(await client.remove([{ table: 'inet.0', prefix: '10.63.0.0', length: 16 }], true), 'ROUTE_NOT_FOUND');
  });

  it.skipIf(ROUTER_MODE)(
    'shares the RIB between clients: another client cannot add, modify or remove a path it does not own',
    async () => {
      await ready('owner-a');
      const owned = path('10.65.0.0', 24);
      expect(await client.add([owned])).toMatchObject({ status: 'SUCCESS' });
      const other = await JetTestClient.ready(target, dialect, uniqueClientId('owner-b'));
      try {
        expectRefused(await other.add([owned]), 'ROUTE_EXISTS');
        expectRefused(await other.oper('update', [owned]), 'ROUTE_EXISTS');
        expectRefused(await other.oper('modify', [owned]), 'ROUTE_NOT_FOUND');
        expectRefused(await other.remove([keyOf(owned)]), 'ROUTE_NOT_FOUND');
        expect((await other.get({ table: 'inet.0' })).flatMap((r) => r.routes)).toEqual([]);
      } finally {
        await other.cleanup();
        other.close();
      }
    },
  );

  describe('validation statuses', () => {
    const noPrefix = (entry: WireEntry) => setDestPrefix(entry, undefined);
    const labeledPrefix = (entry: WireEntry) => setDestPrefix(entry, { labeledInet: { addrString: '10.66.0.0' } });
    const cases: Array<[string, string, BgpPath, ((entry: WireEntry) => void)?]> = [
      ['host bits set', 'PREFIX_INVALID', path('10.66.1.1', 24)],
      ['an address that is not one', 'PREFIX_INVALID', path('10.66.1', 24)],
      [
        'an IPv6 address in the inet field',
        'PREFIX_INVALID',
        path('10.66.0.0', 24),
        (e) => setDestPrefix(e, { inet: { addrString: '2001:db8::' } }),
      ],
      ['no destination prefix', 'PREFIX_INVALID', path('10.66.0.0', 24), noPrefix],
      ['a labeled-inet prefix', 'PREFIX_INVALID', path('10.66.0.0', 24), labeledPrefix],
      ['an IPv4 length above 32', 'PREFIX_LEN_TOO_LONG', path('10.66.0.0', 33)],
      ['an IPv6 length above 128', 'PREFIX_LEN_TOO_LONG', path('2001:db8::', 129)],
      [
        'a next hop that is not an address',
        'NEXTHOP_ADDRESS_INVALID',
        path('10.66.0.0', 24, { nextHops: ['gateway'] }),
      ],
      [
        'an IPv6 next hop on an IPv4 route',
        'NEXTHOP_ADDRESS_INVALID',
        path('10.66.0.0', 24, { nextHops: ['2001:db8::1'] }),
      ],
      ['no next hop', 'NEXTHOP_ADDRESS_INVALID', path('10.66.0.0', 24, { nextHops: [] })],
      ['an unknown table', 'TABLE_INVALID', path('10.66.0.0', 24, { table: 'nosuch.inet.0' })],
      ['an IPv6 route in inet.0', 'TABLE_INVALID', path('2001:db8::', 32, { table: 'inet.0' })],
      [
        'a malformed community',
        'COMMUNITY_LIST_INVALID',
        path('10.66.0.0', 24, { communities: ['65000:100', 'bogus'] }),
      ],
      ['a community value out of range', 'COMMUNITY_LIST_INVALID', path('10.66.0.0', 24, { communities: ['65536:1'] })],
      ['an unbalanced AS path', 'ASPATH_INVALID', path('10.66.0.0', 24, { asPath: '65000 {65001' })],
      ['an AS path with a word in it', 'ASPATH_INVALID', path('10.66.0.0', 24, { asPath: '65000 abc' })],
    ];

    it.each(cases)('answers %s with %s', async (_what, status, route, tweak) => {
      await ready('invalid');
      const reply = await client.oper('add', [route], tweak);
      expectRefused(reply, status);
      if (dialect === 'jnx') expect(reply.message).not.toBe('');
    });

    it.skipIf(ROUTER_MODE)('answers more than 64 next hops with NEXTHOP_ECMP_LIMIT', async () => {
      await ready('ecmp');
      const hops = Array.from({ length: 65 }, (_, i) => `192.0.2.${i + 1}`);
      expectRefused(await client.add([path('10.66.0.0', 24, { nextHops: hops })]), 'NEXTHOP_ECMP_LIMIT');
    });

    it('accepts the community and AS path forms routers use', async () => {
      await ready('valid-attrs');
      const route = path('10.67.0.0', 24, {
        communities: ['65000:100', 'no-export', 'no-advertise', 'target:65000:1'],
        asPath: '65001 65002 [65003 65004] (65005 65006)',
        med: 50,
      });
      expect(await client.add([route])).toMatchObject({ status: 'SUCCESS', ok: true });
      const [reply] = await client.get({ table: 'inet.0', prefix: '10.67.0.0', length: 24 });
      expect(reply?.routes[0]).toMatchObject({ communities: route.communities, asPath: route.asPath, med: 50 });
    });
  });
});
