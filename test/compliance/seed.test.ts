/**
 * The seed scenario, in both dialects: the exchange the 2018 demo applications
 * performed against a router, and the first thing a JET peer must get right.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BgpPath, PathKey } from '../../src/jet/model.js';
import { complianceDialects, JetTestClient, startTarget, uniqueClientId, type ComplianceTarget } from './jet-client.js';

/** 10.123.0.0/24 and 10.123.1.0/24, four paths each: next hops 10.0.0.1..4, one cookie per next hop. */
function seedPaths(): BgpPath[] {
  return ['10.123.0.0', '10.123.1.0'].flatMap((prefix, p) =>
    [1, 2, 3, 4].map((n) => ({
      table: 'inet.0',
      prefix,
      length: 24,
      cookie: BigInt(p * 10 + n),
      nextHops: [`10.0.0.${n}`],
      localPref: 200,
      routePref: 10,
      peerType: 'internal' as const,
    })),
  );
}

const keys = (paths: BgpPath[]): PathKey[] =>
  paths.map(({ table, prefix, length, cookie }) => ({ table, prefix, length, cookie }));

describe.each(complianceDialects())('seed scenario (%s)', (dialect) => {
  let target: ComplianceTarget;

  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await target.stop();
  });

  it('adds, refuses a duplicate add, removes, and refuses a second remove', async () => {
    const client = JetTestClient.open(target, dialect, uniqueClientId('seed'));
    try {
      expect((await client.login()).ok).toBe(true);
      expect((await client.initialize()).status).toBe('SUCCESS');
      const paths = seedPaths();

      const added = await client.add(paths);
      expect(added).toMatchObject({ status: 'SUCCESS', ok: true, completed: 8 });
      if (target.emulator) {
        const programmed = target.emulator.routes();
        expect(programmed).toHaveLength(8);
        expect(programmed.every((r) => r.localPref === 200 && r.routePref === 10)).toBe(true);
        expect(new Set(programmed.map((r) => r.nextHops[0]))).toEqual(
          new Set(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']),
        );
      }

      const again = await client.add(paths);
      expect(again).toMatchObject({ status: 'ROUTE_EXISTS', ok: false, completed: 0 });

      expect(await client.remove(keys(paths))).toMatchObject({ status: 'SUCCESS', completed: 8 });
      if (target.emulator) expect(target.emulator.routes()).toHaveLength(0);

      expect(await client.remove(keys(paths))).toMatchObject({ status: 'ROUTE_NOT_FOUND', ok: false, completed: 0 });
      expect((await client.cleanup()).status).toBe('SUCCESS');
    } finally {
      client.close();
    }
  });
});
