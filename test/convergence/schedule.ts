/**
 * Random schedules for the convergence suite, and running one: announce and
 * withdraw intents over four prefixes (so each changes many times), between
 * faults that come and go. After the last step every fault is cleared, the
 * bridge is started if it is down, and once it is quiescent the invariant is
 * checked:
 * - every intent has an answer;
 * - for every prefix the router holds exactly what the model derives from the
 *   answers (model.ts);
 * - the bridge's durable record equals the router.
 *
 * A schedule is a plain array of steps, so fast-check prints a failing one
 * readably and shrinks it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { Logger } from 'pino';
import type { RouteOperation } from '../../src/jet/model.js';
import { expectedState, type ModelIntent, type ModelPath } from './model.js';
import { World } from './world.js';

export const PREFIXES = ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '10.0.4.0/24'] as const;
const NEXT_HOPS = ['192.0.2.1', '192.0.2.2', '192.0.2.3'] as const;
const LOCAL_PREFS = [100, 200] as const;
const REJECT_STATUSES = ['NEXTHOP_ADDRESS_INVALID', 'ROUTE_ADD_FAILED', 'TABLE_NOT_READY'] as const;
/** How long a schedule may take to settle after its last step. */
const QUIESCE_MS = 15_000;

export type Step =
  | { do: 'announce'; prefix: string; nextHop: string; localPref: number }
  | { do: 'withdraw'; prefix: string }
  | { do: 'pause'; ms: number }
  | { do: 'crash'; downMs: number }
  | { do: 'reboot-router' }
  | { do: 'drop-connections' }
  | { do: 'unavailable'; on: boolean }
  | { do: 'try-again'; on: boolean }
  | { do: 'latency'; ms: number }
  | { do: 'reject'; prefixes: string[]; ops: RouteOperation[]; status: string }
  | { do: 'reject-off' }
  | { do: 'reject-during-reconcile'; prefixes: string[]; status: string };

const prefix = fc.constantFrom(...PREFIXES);
const someOf = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });

export const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      do: fc.constant('announce' as const),
      prefix,
      nextHop: fc.constantFrom(...NEXT_HOPS),
      localPref: fc.constantFrom(...LOCAL_PREFS),
    }),
  },
  { weight: 3, arbitrary: fc.record({ do: fc.constant('withdraw' as const), prefix }) },
  { weight: 5, arbitrary: fc.record({ do: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 100 }) }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('crash' as const), downMs: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 2, arbitrary: fc.constant({ do: 'reboot-router' as const }) },
  { weight: 1, arbitrary: fc.constant({ do: 'drop-connections' as const }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('unavailable' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('try-again' as const), on: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({ do: fc.constant('latency' as const), ms: fc.constantFrom(0, 0, 5, 30) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      do: fc.constant('reject' as const),
      prefixes: someOf(PREFIXES),
      ops: someOf<RouteOperation>(['add', 'update', 'remove']),
      status: fc.constantFrom(...REJECT_STATUSES),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ do: 'reject-off' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      do: fc.constant('reject-during-reconcile' as const),
      prefixes: someOf(PREFIXES),
      status: fc.constantFrom(...REJECT_STATUSES),
    }),
  },
);

export const scheduleArbitrary = fc.array(stepArbitrary, { minLength: 4, maxLength: 40 });

/** Totals over the schedules run, for the report. */
export class Figures {
  schedules = 0;
  intents = 0;
  faults = 0;
  divergences = 0;
  /** Answers by status. */
  readonly statuses = new Map<string, number>();
}

const FAULT_STEPS = new Set<Step['do']>([
  'crash',
  'reboot-router',
  'drop-connections',
  'unavailable',
  'try-again',
  'latency',
  'reject',
  'reject-off',
  'reject-during-reconcile',
]);

/** Runs one schedule in a fresh world and checks the invariant; throws what diverged. */
export async function runSchedule(steps: readonly Step[], figures: Figures, logger?: Logger): Promise<void> {
  figures.schedules += 1;
  const world = await World.create(logger);
  const intents: Array<{ model: Omit<ModelIntent, 'answer'>; id: string }> = [];
  try {
    for (const [index, step] of steps.entries()) {
      if (FAULT_STEPS.has(step.do)) figures.faults += 1;
      const sent = await perform(world, step, `i${index}`);
      if (sent) intents.push(sent);
    }
    figures.intents += intents.length;
    world.clearFaults();
    world.restart();
    await quiesce(world);
    for (const sent of world.sent) {
      const status = sent.answer?.results[0]?.status ?? 'none';
      figures.statuses.set(status, (figures.statuses.get(status) ?? 0) + 1);
    }
    check(world, intents);
  } catch (error) {
    figures.divergences += 1;
    throw error;
  } finally {
    await world.close();
  }
}

async function perform(
  world: World,
  step: Step,
  id: string,
): Promise<{ model: Omit<ModelIntent, 'answer'>; id: string } | undefined> {
  switch (step.do) {
    case 'announce': {
      const path: ModelPath = { nextHop: step.nextHop, localPref: step.localPref };
      const payload = { id, prefix: step.prefix, nextHops: [step.nextHop], localPref: step.localPref };
      world.send({ id, prefix: step.prefix, payload });
      return { id, model: { prefix: step.prefix, action: 'announce', path } };
    }
    case 'withdraw':
      world.send({ id, prefix: step.prefix, payload: { id, prefix: step.prefix, action: 'withdraw' } });
      return { id, model: { prefix: step.prefix, action: 'withdraw' } };
    case 'pause':
      await sleep(step.ms);
      return undefined;
    case 'crash':
      await world.crash();
      await sleep(step.downMs);
      world.restart();
      await world.serving();
      return undefined;
    case 'reboot-router':
      await world.rebootRouter();
      return undefined;
    case 'drop-connections':
      world.dropConnections();
      return undefined;
    case 'unavailable':
      world.setFaults({ unavailable: step.on || undefined });
      return undefined;
    case 'try-again':
      world.setFaults({ tryAgain: step.on || undefined });
      return undefined;
    case 'latency':
      world.setFaults({ latencyMs: step.ms || undefined });
      return undefined;
    case 'reject':
      world.setReject({ prefixes: step.prefixes, ops: step.ops, status: step.status });
      return undefined;
    case 'reject-off':
      world.setReject(undefined);
      return undefined;
    case 'reject-during-reconcile':
      // The router comes back empty and refuses some of what the bridge restores.
      world.setReject({ prefixes: step.prefixes, status: step.status });
      await world.rebootRouter();
      await world.serving();
      world.setReject(undefined);
      return undefined;
  }
}

async function quiesce(world: World): Promise<void> {
  const deadline = Date.now() + QUIESCE_MS;
  while (!world.quiescent()) {
    if (Date.now() > deadline) throw new Error(`not quiescent after ${QUIESCE_MS} ms: ${world.describe()}`);
    await sleep(10);
  }
}

/** Next hop and local preference of a path, as the model compares them. */
function describePaths(paths: Iterable<ModelPath>): string[] {
  return [...paths].map((p) => `${p.nextHop}@${p.localPref}`).sort();
}

function check(world: World, intents: ReadonlyArray<{ model: Omit<ModelIntent, 'answer'>; id: string }>): void {
  const answers = new Map(world.sent.map((s) => [s.id, s.answer]));
  const modelIntents = intents.map(({ model, id }) => ({ ...model, answer: answers.get(id) }));
  const expected = expectedState(modelIntents);
  const onRouter = byPrefix(world.routerPaths());
  const recorded = byPrefix(world.recordedPaths());
  const problems: string[] = [];
  for (const prefix of PREFIXES) {
    const want = describePaths(expected.get(prefix)?.values() ?? []);
    const router = onRouter.get(prefix) ?? [];
    const record = recorded.get(prefix) ?? [];
    if (JSON.stringify(want) !== JSON.stringify(router))
      problems.push(`${prefix}: router holds [${router}], the answers say [${want}]`);
    if (JSON.stringify(record) !== JSON.stringify(router))
      problems.push(`${prefix}: durable record [${record}], router [${router}]`);
  }
  if (problems.length > 0) {
    const history = modelIntents.map(
      (i) => `${i.prefix} ${i.action} ${i.path?.nextHop ?? ''} → ${JSON.stringify(i.answer?.results[0])}`,
    );
    throw new Error(`diverged:\n  ${problems.join('\n  ')}\nintents:\n  ${history.join('\n  ')}`);
  }
}

function byPrefix(paths: ReadonlyArray<{ prefix: string; length: number; nextHops: string[]; localPref?: number }>) {
  const out = new Map<string, string[]>();
  for (const p of paths) {
    const key = `${p.prefix}/${p.length}`;
    out.set(key, [...(out.get(key) ?? []), `${p.nextHops[0]}@${p.localPref}`].sort());
  }
  return out;
}
