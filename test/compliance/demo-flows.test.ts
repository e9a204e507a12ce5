/**
 * The 2018 JET demo applications' flows, replayed message for message against
 * the target (classic API, which is what they speak): the Python jroutes_bgp
 * script's add and rerun, and the Go bgp_static_routes app's `-verb add` of
 * `routes.toml` followed by `-verb del`, which removes with one cookie-0 match
 * per prefix. Each run of a demo is a new process: a new connection that logs
 * in under the same client id and Initializes, without Cleanup at the end.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BgpPath } from '../../src/jet/model.js';
import { complianceDialects, JetTestClient, startTarget, uniqueClientId, type ComplianceTarget } from './jet-client.js';

const ROUTES_TOML = new URL('../../examples/routes/routes.toml', import.meta.url);

/** The demo apps' fixed attributes: internal peer, local preference 200, route preference 10, empty AS path. */
function demoPath(prefix: string, length: number, nextHop: string, cookie: bigint): BgpPath {
  return {
    table: 'inet.0',
    prefix,
    length,
    cookie,
    nextHops: [nextHop],
    peerType: 'internal',
    localPref: 200,
    routePref: 10,
    asPath: '',
  };
}

interface DemoRoutesFile {
  route: Array<{ prefix: string; length: number; nexthops: string[] }>;
}

describe.skipIf(!complianceDialects().includes('legacy'))('2018 demo app flows (legacy)', () => {
  let target: ComplianceTarget;

  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await target.stop();
  });

  /** One run of a demo: connect, log in, Initialize (fresh or rebound), act, disconnect without Cleanup. */
  async function run<T>(clientId: string, act: (client: JetTestClient) => Promise<T>): Promise<T> {
    const client = JetTestClient.open(target, 'legacy', clientId);
    try {
      expect(await client.login()).toMatchObject({ ok: true });
      expect((await client.initialize()).ok).toBe(true);
      return await act(client);
    } finally {
      client.close();
    }
  }

  async function cleanup(clientId: string): Promise<void> {
    await run(clientId, async (client) => client.cleanup());
  }

  it('Python jroutes_bgp: adds 2 prefixes x 4 next hops (cookies from 12345678 per prefix); a rerun answers code 17', async () => {
    const clientId = uniqueClientId('jroutes');
    const nextHops = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    const routes = ['10.123.0.0', '10.123.1.0'].flatMap((prefix) =>
      nextHops.map((hop, i) => demoPath(prefix, 24, hop, 12345678n + BigInt(i))),
    );
    try {
      expect(await run(clientId, (client) => client.add(routes))).toMatchObject({ code: 0, completed: 8 });
      const rerun = await run(clientId, (client) => client.add(routes));
      expect(rerun).toMatchObject({ status: 'ROUTE_EXISTS', code: 17, completed: 0 });
    } finally {
      await cleanup(clientId);
    }
  });

  it('Go bgp_static_routes: -verb add of routes.toml, then -verb del with one cookie-0 match per prefix leaves nothing', async () => {
    const clientId = uniqueClientId('go-demo');
    const file = parse(readFileSync(ROUTES_TOML, 'utf8')) as unknown as DemoRoutesFile;
    let cookie = 12345678n;
    const routes = file.route.flatMap((r) =>
      r.nexthops.map((hop) => {
        cookie += 1n;
        return demoPath(r.prefix, r.length, hop, cookie);
      }),
    );
    const matches = file.route.map((r) => ({ table: 'inet.0', prefix: r.prefix, length: r.length, cookie: 0n }));
    const everything = { table: 'inet.0', prefix: '10.123.0.0', length: 16 };
    try {
      expect(await run(clientId, (client) => client.add(routes))).toMatchObject({ status: 'SUCCESS', completed: 8 });
      const programmed = await run(clientId, (client) => client.get(everything, { orLonger: true }));
      expect(programmed.flatMap((r) => r.routes)).toHaveLength(8);

      const del = await run(clientId, (client) => client.remove(matches));
      expect(del).toMatchObject({ status: 'SUCCESS', code: 0, completed: 2 });
      const left = await run(clientId, (client) => client.get(everything, { orLonger: true }));
      expect(left.flatMap((r) => r.routes)).toEqual([]);
    } finally {
      await cleanup(clientId);
    }
  });
});
