/**
 * What the bridge does with route intents, end to end: MQTT in, JET to the
 * emulator, results back. One suite, run by routes-mosquitto.test.ts against
 * Mosquitto (MQTT 5) and by routes-embedded.test.ts against the embedded
 * broker (MQTT 3.1.1), for each JET dialect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../src/jet/model.js';
import { pathCookie } from '../../src/intent/route-key.js';
import type { ResultMessage } from '../../src/mqtt/results.js';
import type { QueryAnswer } from '../../src/pipeline/query.js';
import {
  body,
  makeTestConfig,
  RequestTap,
  startTestBridge,
  type BrokerChoice,
  type Received,
  type TestBridge,
} from './harness.js';

/**
 * Long enough that a hundred messages published back to back reach the bridge
 * inside one window even on a busy machine (they arrived within 4-24 ms here);
 * every intent waits this long.
 */
const DEBOUNCE_MS = 200;

const ATTRIBUTES = {
  localPref: 200,
  routePref: 10,
  med: 5,
  asPath: '65001 65002',
  communities: ['65000:100', '65000:200'],
};

/** `count` distinct /24 prefixes, from 10.<second>.0.0/24 on. */
function prefixes(count: number, second: number): string[] {
  return Array.from({ length: count }, (_, i) => `10.${second + (i >> 8)}.${i & 255}.0/24`);
}

export function describeRouteScenarios(brokerName: string, broker: () => BrokerChoice): void {
  describe.each(DIALECTS)(`the bridge with the %s dialect, on ${brokerName}`, (dialect) => {
    let t: TestBridge;
    let tap: RequestTap;

    beforeAll(async () => {
      // A prefix per dialect: the dialects' bridges may share a broker.
      const config = await makeTestConfig({
        broker: broker(),
        devices: [{ name: 'r1', dialect }],
        topicPrefix: `${dialect}/jet`,
        pipeline: { debounceMs: DEBOUNCE_MS },
      });
      t = await startTestBridge(config);
      tap = new RequestTap(t.emulator());
      await t.ready();
    });

    afterAll(async () => {
      tap?.close();
      await t?.stop();
    });

    it('announces a route as one path per next hop, with its attributes and stable cookies', async () => {
      const result = await t.request({
        id: 'announce-1',
        prefix: '10.1.1.0/24',
        nextHops: ['10.0.0.1', '10.0.0.2'],
        ...ATTRIBUTES,
      });

      expect(result).toMatchObject({ id: 'announce-1', ok: true, device: 'r1' });
      expect(result.results).toEqual([
        expect.objectContaining({
          prefix: '10.1.1.0/24',
          action: 'announce',
          status: 'SUCCESS',
          added: 2,
          modified: 0,
          removed: 0,
          unchanged: false,
        }),
      ]);
      const routes = t.routes('10.1.1.0/24');
      expect(routes.map((r) => r.nextHops)).toEqual(expect.arrayContaining([['10.0.0.1'], ['10.0.0.2']]));
      expect(routes).toHaveLength(2);
      for (const route of routes) {
        expect(route).toMatchObject({ table: 'inet.0', owner: 'jetbridge-r1', ...ATTRIBUTES });
        expect(route.cookie).toBe(pathCookie('r1', 'inet.0', '10.1.1.0', 24, route.nextHops[0]!));
      }
    });

    it('answers a repeated announce as unchanged without a JET request', async () => {
      const intent = { prefix: '10.1.2.0/24', nextHops: ['10.0.0.1'], localPref: 150 };
      await t.request({ id: 'repeat-1', ...intent });
      const before = await t.jetRequests('update');
      const changes = tap.sizes.length;

      const result = await t.request({ id: 'repeat-2', ...intent });

      expect(result.results[0]).toMatchObject({
        status: 'SUCCESS',
        unchanged: true,
        added: 0,
        modified: 0,
        removed: 0,
      });
      expect((await t.jetRequests('update')).count).toBe(before.count);
      expect((await t.jetRequests('remove')).count).toBe(0);
      expect(tap.since(changes)).toEqual([]);
      expect(t.routes('10.1.2.0/24')).toHaveLength(1);
    });

    it('adds the new next hop and removes the vanished one when the next hops change', async () => {
      await t.request({ id: 'hops-1', prefix: '10.1.3.0/24', nextHops: ['10.0.0.1', '10.0.0.2'] });

      const result = await t.request({ id: 'hops-2', prefix: '10.1.3.0/24', nextHops: ['10.0.0.2', '10.0.0.3'] });

      expect(result.results[0]).toMatchObject({
        status: 'SUCCESS',
        added: 1,
        modified: 0,
        removed: 1,
        unchanged: false,
      });
      expect(
        t
          .routes('10.1.3.0/24')
          .map((r) => r.nextHops[0])
          .sort(),
      ).toEqual(['10.0.0.2', '10.0.0.3']);
    });

    it('modifies every path when the attributes change', async () => {
      await t.request({ id: 'attrs-1', prefix: '10.1.4.0/24', nextHops: ['10.0.0.1', '10.0.0.2'], localPref: 100 });

      const result = await t.request({
        id: 'attrs-2',
        prefix: '10.1.4.0/24',
        nextHops: ['10.0.0.1', '10.0.0.2'],
        localPref: 300,
        med: 7,
      });

      expect(result.results[0]).toMatchObject({ status: 'SUCCESS', added: 0, modified: 2, removed: 0 });
      const routes = t.routes('10.1.4.0/24');
      expect(routes).toHaveLength(2);
      for (const route of routes) expect(route).toMatchObject({ localPref: 300, med: 7 });
    });

    it('withdraws every path it programmed for the prefix', async () => {
      await t.request({ id: 'withdraw-1', prefix: '10.1.5.0/24', nextHops: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] });

      const result = await t.request({ id: 'withdraw-2', action: 'withdraw', prefix: '10.1.5.0/24' });

      expect(result).toMatchObject({ id: 'withdraw-2', ok: true });
      expect(result.results[0]).toMatchObject({ action: 'withdraw', status: 'SUCCESS', removed: 3 });
      expect(t.routes('10.1.5.0/24')).toEqual([]);
    });

    it('programs an array of 2,000 intents in two JET requests of 1,000 routes, and withdraws them in two more', async () => {
      const targets = prefixes(2000, 100);
      const wanted = new Set(targets);
      const inRange = () =>
        t
          .emulator()
          .routes()
          .filter((r) => wanted.has(`${r.prefix}/${r.length}`)).length;
      const updates = await t.jetRequests('update');
      const removes = await t.jetRequests('remove');
      const changes = tap.sizes.length;

      const announced = await t.request(
        targets.map((prefix, i) => ({ id: `bulk-${i}`, prefix, nextHops: ['10.0.0.1'] })),
        { match: (r) => r.results.length === 2000 },
      );

      expect(announced.ok).toBe(true);
      expect(announced.results.every((r, i) => r.id === `bulk-${i}` && r.status === 'SUCCESS' && r.added === 1)).toBe(
        true,
      );
      expect(inRange()).toBe(2000);
      const afterUpdates = await t.jetRequests('update');
      expect(afterUpdates.count - updates.count).toBe(2);
      expect(afterUpdates.routes - updates.routes).toBe(2000);
      // Both requests are in the (500, 1000] bucket: neither is smaller than 501 nor larger than 1000.
      expect(afterUpdates.atMost(1000) - updates.atMost(1000)).toBe(2);
      expect(afterUpdates.atMost(500) - updates.atMost(500)).toBe(0);
      expect(tap.since(changes)).toEqual([1000, 1000]);

      const withdrawn = await t.request(
        targets.map((prefix) => ({ action: 'withdraw', prefix })),
        { match: (r) => r.results.length === 2000 && r.results[0]!.action === 'withdraw' },
      );

      expect(withdrawn.ok).toBe(true);
      expect(withdrawn.results.every((r) => r.removed === 1)).toBe(true);
      expect(inRange()).toBe(0);
      const afterRemoves = await t.jetRequests('remove');
      expect(afterRemoves.count - removes.count).toBe(2);
      expect(afterRemoves.routes - removes.routes).toBe(2000);
      expect(tap.since(changes)).toEqual([1000, 1000, 1000, 1000]);
    });

    it('coalesces a flapping prefix within the window into one JET request; the others are SUPERSEDED by the winner', async () => {
      const prefix = '10.1.6.0/24';
      const flaps = Array.from({ length: 100 }, (_, i) =>
        i === 99
          ? { id: 'flap-99', prefix, nextHops: ['10.0.0.9'] }
          : i % 2 === 1
            ? { id: `flap-${i}`, action: 'withdraw', prefix }
            : { id: `flap-${i}`, prefix, nextHops: [`10.0.0.${1 + ((i / 2) % 2)}`] },
      );
      const updates = await t.jetRequests('update');
      const removes = await t.jetRequests('remove');
      const changes = tap.sizes.length;
      const since = t.client.mark();
      const resultTopic = t.topics.intentResult('r1');

      // Back to back, not one at a time: they must reach the bridge inside one window.
      await Promise.all(flaps.map((intent) => t.client.publish(t.topics.intent('r1'), intent)));
      const answerTo = (id: string) => (m: Received) => m.topic === resultTopic && body<ResultMessage>(m).id === id;
      const results = await Promise.all(
        flaps.map(async ({ id }) => body<ResultMessage>(await t.client.next(answerTo(id), since))),
      );

      const superseded = results.slice(0, 99).map((r) => r.results[0]);
      expect(superseded.every((r) => r?.status === 'SUPERSEDED' && r.supersededBy === 'flap-99')).toBe(true);
      expect(results[99]!.results[0]).toMatchObject({ status: 'SUCCESS', added: 1 });
      expect((await t.jetRequests('update')).count - updates.count).toBe(1);
      expect((await t.jetRequests('remove')).count - removes.count).toBe(0);
      expect(tap.since(changes)).toEqual([1]);
      expect(t.routes(prefix).map((r) => r.nextHops)).toEqual([['10.0.0.9']]);
    });

    it('answers bgp/get with the routes the device reports', async () => {
      await t.request({ id: 'get-1', prefix: '10.1.7.0/24', nextHops: ['10.0.0.1', '10.0.0.2'], localPref: 250 });
      const since = t.client.mark();
      const answerTopic = t.topics.getResult('r1');

      await t.client.publish(t.topics.get('r1'), { id: 'query-1', prefix: '10.1.7.0/24' });

      const answer = body<QueryAnswer>(await t.client.next((m) => m.topic === answerTopic, since));
      expect(answer).toMatchObject({ id: 'query-1', ok: true, device: 'r1' });
      const expected = t.routes('10.1.7.0/24').map((r) => ({
        prefix: '10.1.7.0/24',
        table: 'inet.0',
        nextHops: r.nextHops,
        cookie: r.cookie.toString(),
        localPref: 250,
      }));
      expect(expected).toHaveLength(2);
      expect(answer.routes).toEqual(expect.arrayContaining(expected.map((route) => expect.objectContaining(route))));
      expect(answer.routes).toHaveLength(2);
    });
  });
}
