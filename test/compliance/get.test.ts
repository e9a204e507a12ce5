/**
 * Get (BgpRouteGet / RouteGet) streaming in both dialects: batch sizes chosen
 * by the server or the client, selectors, and the answers for bad selectors and
 * empty results.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  complianceDialects,
  hostRoutes,
  JetTestClient,
  ROUTER_MODE,
  startTarget,
  uniqueClientId,
  type ComplianceTarget,
} from './jet-client.js';

const ROUTES = 5_000;
const everything = { table: 'inet.0', prefix: '10.200.0.0', length: 16 };

describe.each(complianceDialects())('Get (%s)', (dialect) => {
  let target: ComplianceTarget;
  let client: JetTestClient;

  beforeAll(async () => {
    target = await startTarget();
    client = await JetTestClient.ready(target, dialect, uniqueClientId('get'));
    const routes = hostRoutes(ROUTES);
    for (let i = 0; i < ROUTES; i += 1000) {
      expect(await client.add(routes.slice(i, i + 1000))).toMatchObject({ status: 'SUCCESS', completed: 1000 });
    }
  });
  afterAll(async () => {
    await client.cleanup();
    client.close();
    await target.stop();
  });

  it('streams 5000 routes in server-sized replies of at most 1000 when route_count is 0', async () => {
    const replies = await client.get(everything, { orLonger: true });
    expect(replies.every((r) => r.status === 'SUCCESS' && r.ok)).toBe(true);
    expect(replies.every((r) => r.routes.length > 0 && r.routes.length <= 1000)).toBe(true);
    const routes = replies.flatMap((r) => r.routes);
    expect(routes).toHaveLength(ROUTES);
    expect(new Set(routes.map((r) => r.cookie)).size).toBe(ROUTES);
    if (!ROUTER_MODE) expect(replies.map((r) => r.routes.length)).toEqual([1000, 1000, 1000, 1000, 1000]);
  });

  it("honours the client's route_count per reply", async () => {
    const replies = await client.get(everything, { orLonger: true, routeCount: 300 });
    const sizes = replies.map((r) => r.routes.length);
    expect(sizes.every((n) => n <= 300)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(ROUTES);
    expect(replies).toHaveLength(Math.ceil(ROUTES / 300));
  });

  it('refuses a route_count above 1000 with ROUTE_COUNT_INVALID', async () => {
    const replies = await client.get(everything, { orLonger: true, routeCount: 1001 });
    expect(replies).toEqual([expect.objectContaining({ status: 'ROUTE_COUNT_INVALID', ok: false, routes: [] })]);
  });

  it('selects one destination exactly, or one path by cookie', async () => {
    const [sample] = hostRoutes(1);
    const exact = (await client.get({ table: 'inet.0', prefix: sample!.prefix, length: 32 })).flatMap((r) => r.routes);
    expect(exact).toEqual([
      expect.objectContaining({ prefix: sample!.prefix, length: 32, cookie: sample!.cookie, nextHops: ['192.0.2.1'] }),
    ]);

    const byCookie = (
      await client.get({ table: 'inet.0', prefix: sample!.prefix, length: 32, cookie: 12345n })
    ).flatMap((r) => r.routes);
    expect(byCookie).toEqual([]);
    // Without or_longer a covering prefix matches only itself, not the routes inside it.
    expect((await client.get(everything)).flatMap((r) => r.routes)).toEqual([]);
  });

  it('answers an empty result without routes (emulator: one ROUTE_NOT_FOUND reply)', async () => {
    const replies = await client.get({ table: 'inet.0', prefix: '10.250.0.0', length: 16 }, { orLonger: true });
    expect(replies.flatMap((r) => r.routes)).toEqual([]);
    if (!ROUTER_MODE) expect(replies).toEqual([expect.objectContaining({ status: 'ROUTE_NOT_FOUND', ok: false })]);
  });

  it('answers bad selectors with the matching status', async () => {
    const [badTable] = await client.get({ table: 'nosuch.inet.0' });
    expect(badTable).toMatchObject({ status: 'TABLE_INVALID', ok: false, routes: [] });
    const [tooLong] = await client.get({ table: 'inet.0', prefix: '10.0.0.0', length: 40 });
    expect(tooLong).toMatchObject({ status: 'PREFIX_LEN_TOO_LONG', ok: false });
    const [hostBits] = await client.get({ table: 'inet.0', prefix: '10.0.0.1', length: 8 });
    expect(hostBits).toMatchObject({ status: 'PREFIX_INVALID', ok: false });
  });
});
