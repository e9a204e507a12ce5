/**
 * The convergence suite in CI: a bounded number of random schedules (model.ts,
 * schedule.ts) from a printed seed, plus the reconcile-refusal case written out.
 * More schedules, or a replay: `npm run test:convergence -- --runs N --seed S`.
 */
import { describe, expect, it } from 'vitest';
import { runSuite } from './suite.js';
import { World } from './world.js';

const RUNS = Number(process.env.CONVERGENCE_RUNS ?? 25);
const SEED = Number(process.env.CONVERGENCE_SEED ?? Math.floor(Math.random() * 2 ** 31));

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('convergence', () => {
  it('retries and reports a path the rebooted router refuses while the bridge reconciles', {
    timeout: 30_000,
  }, async () => {
    const world = await World.create();
    try {
      world.send({
        id: 'a',
        prefix: '10.0.1.0/24',
        payload: { id: 'a', prefix: '10.0.1.0/24', nextHops: ['192.0.2.1'] },
      });
      await until(() => world.unanswered().length === 0, 'the announce to be answered');
      world.setReject({ prefixes: ['10.0.1.0/24'], status: 'NEXTHOP_ADDRESS_INVALID' });
      await world.rebootRouter();
      await world.serving();
      expect(world.unreconciledPaths()).toBe(1);
      expect(world.routerPaths()).toEqual([]);
      world.setReject(undefined);
      await until(() => world.unreconciledPaths() === 0, 'the retry to succeed');
      expect(world.routerPaths().map((p) => `${p.prefix}/${p.length} via ${p.nextHops[0]}`)).toEqual([
        '10.0.1.0/24 via 192.0.2.1',
      ]);
      expect(world.recordedPaths()).toHaveLength(1);
    } finally {
      await world.close();
    }
  });

  it(`converges in ${RUNS} random schedules (seed ${SEED})`, { timeout: 180_000 }, async () => {
    console.log(
      `convergence: ${RUNS} schedules, seed ${SEED}; replay: npm run test:convergence -- --runs ${RUNS} --seed ${SEED}`,
    );
    const report = await runSuite({ runs: RUNS, seed: SEED });
    const { figures } = report;
    console.log(
      `convergence: schedules ${figures.schedules}, intents ${figures.intents}, faults injected ${figures.faults}, divergences ${figures.divergences} (${report.seconds.toFixed(0)} s)`,
    );
    expect(report.failures).toEqual([]);
  });
});
