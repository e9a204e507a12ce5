/**
 * The reconciler against a fake router: it sends its plan the pipeline's way
 * (≤ 1000 paths a request, `operations_completed` honoured, updates before
 * removes), never counts a refused path as programmed, reports it, retries it
 * until the router takes it, and never undoes an intent that came meanwhile.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceUnavailableError } from '../../src/jet/device.js';
import { type BgpPath, pathKeyString } from '../../src/jet/model.js';
import { Reconciler } from '../../src/pipeline/reconciler.js';
import { ProgrammedPaths } from '../../src/state/programmed.js';
import { UnreconciledPaths } from '../../src/state/unreconciled.js';
import { type Answer, FakeDevice, gate, JET_STATUS, stopAt } from './fake-device.js';
import { announce, Harness } from './harness.js';
import { DeviceLane } from '../../src/pipeline/device-lane.js';

const BACKOFF = { initialMs: 1, maxMs: 5 };

function path(prefix: string, cookie = 1n, nextHop = '192.0.2.1'): BgpPath {
  return { table: 'inet.0', prefix, length: 24, cookie, nextHops: [nextHop] };
}

/** The log lines a pino logger wrote, parsed. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

const reconcilers: Reconciler[] = [];
afterEach(() => {
  for (const r of reconcilers.splice(0)) r.stop();
});

interface Rig {
  device: FakeDevice;
  programmed: ProgrammedPaths;
  unreconciled: UnreconciledPaths;
  lines: Array<Record<string, unknown>>;
}

function rig(recorded: BgpPath[], onRouter: BgpPath[] = []): Rig {
  const device = new FakeDevice('r1');
  for (const p of onRouter) device.routes.set(pathKeyString(p), p);
  const programmed = new ProgrammedPaths();
  for (const p of recorded) programmed.apply(p);
  const unreconciled = new UnreconciledPaths();
  const { logger, lines } = capturingLogger();
  const lane = new DeviceLane(4);
  reconcilers.push(
    new Reconciler({
      session: device,
      programmed,
      unreconciled,
      owned: (p) => p.cookie < 1000n,
      lane: () => lane,
      backoff: BACKOFF,
      logger,
    }),
  );
  return { device, programmed, unreconciled, lines };
}

const settledTo = (unreconciled: UnreconciledPaths, n: number) =>
  firstValueFrom(unreconciled.count$.pipe(filter((count) => count === n)));

describe('reconciling at Initialize', () => {
  it('sends updates before removes, at most 1000 paths a request, and never removes foreign paths', async () => {
    const recorded = Array.from({ length: 1500 }, (_, i) =>
      path(`10.${i >> 8}.${i & 255}.0`, BigInt(i + 1) % 1000n || 1n),
    );
    const stale = path('10.200.0.0', 999n);
    const foreign = path('10.201.0.0', 5000n);
    const { device, programmed } = rig(recorded, [stale, foreign]);
    await device.initialize(false);
    expect(device.requests.map((r) => [r.op, r.paths.length])).toEqual([
      ['update', 1000],
      ['update', 500],
      ['remove', 1],
    ]);
    expect(device.routes.has(pathKeyString(foreign))).toBe(true);
    expect(device.routes.has(pathKeyString(stale))).toBe(false);
    expect(programmed.size).toBe(1500);
  });

  it('does not count a refused path as programmed, reports it, and retries it until the router takes it', async () => {
    const [a, b, c] = [path('10.1.0.0', 1n), path('10.2.0.0', 2n), path('10.3.0.0', 3n)];
    const { device, programmed, unreconciled, lines } = rig([a, b, c]);
    // The router takes a, refuses b; then refuses b once more on the first retry.
    device.answerNext(stopAt(1, 'NEXTHOP_ADDRESS_INVALID'), () => ({ status: 'SUCCESS', code: 0, completed: 1 }));
    device.answerNext(stopAt(0, 'NEXTHOP_ADDRESS_INVALID'));
    await device.initialize(false);

    // The path after the refused one went again, in a request of its own.
    expect(device.requests.slice(0, 2).map((r) => r.paths.map((p) => p.prefix))).toEqual([
      ['10.1.0.0', '10.2.0.0', '10.3.0.0'],
      ['10.3.0.0'],
    ]);
    expect(programmed.get(b)).toBeUndefined();
    expect(unreconciled.count).toBe(1);
    expect(unreconciled.get(b)?.status).toBe('NEXTHOP_ADDRESS_INVALID');
    const refusal = lines.find((l) => l.level === 40 && l.prefix === '10.2.0.0/24');
    expect(refusal).toMatchObject({ status: 'NEXTHOP_ADDRESS_INVALID', jetStatus: JET_STATUS.NEXTHOP_ADDRESS_INVALID });
    expect(lines.find((l) => l.msg === 'reconciled the router with the durable state')).toMatchObject({
      added: 3,
      refused: 1,
    });

    await settledTo(unreconciled, 0);
    expect(device.routes.get(pathKeyString(b))).toEqual(b);
    expect(programmed.get(b)).toEqual([b]);
    // Two retries: one refused, one taken; each read the destination first.
    expect(device.requests.slice(2).map((r) => [r.op, r.paths.length])).toEqual([
      ['update', 1],
      ['update', 1],
    ]);
    expect(device.queries.filter((q) => q.prefix === '10.2.0.0')).toHaveLength(2);
  });

  it('keeps a path whose remove the router refused as programmed (the router has it) and retries the remove', async () => {
    const stale = path('10.9.0.0', 9n);
    const { device, programmed, unreconciled } = rig([], [stale]);
    device.answerNext(stopAt(0, 'NEXTHOP_ADDRESS_INVALID'));
    await device.initialize(false);
    expect(programmed.get(stale)).toEqual([stale]);
    expect(unreconciled.count).toBe(1);
    await settledTo(unreconciled, 0);
    expect(device.routes.size).toBe(0);
    expect(programmed.size).toBe(0);
  });

  it('reconciles again at a fresh Initialize but not at a rebound one after the first', async () => {
    const { device } = rig([path('10.1.0.0')]);
    await device.initialize(true);
    await device.initialize(true);
    await device.initialize(false);
    expect(device.queries).toEqual([{}, {}]);
  });

  it('still reconciles at a rebound Initialize when the reconcile after the fresh one before it failed', async () => {
    const wanted = path('10.1.0.0');
    const { device } = rig([wanted]);
    await device.initialize(false);
    device.routes.clear(); // the router lost its routes...
    device.setAvailable(false); // ...and the reconcile after its fresh Initialize fails
    await expect(device.initialize(false)).rejects.toThrow(/unavailable/);
    device.setAvailable(true);
    // The next Initialize finds the client state the failed attempt set up: rebound.
    await device.initialize(true);
    expect([...device.routes.values()]).toEqual([wanted]);
  });
});

describe('the reconciler beside the pipeline', () => {
  function pipelineRig(): { harness: Harness; device: FakeDevice; unreconciled: UnreconciledPaths } {
    const harness = new Harness({ unreconciled: true });
    const device = harness.device();
    const unreconciled = harness.contexts.get('r1')?.unreconciled;
    if (unreconciled === undefined) throw new Error('the harness gave r1 no unreconciled bookkeeping');
    const { logger } = capturingLogger();
    reconcilers.push(
      new Reconciler({
        session: device,
        programmed: harness.programmed(),
        unreconciled,
        owned: () => true,
        lane: () => harness.pipeline.lane('r1'),
        backoff: BACKOFF,
        logger,
      }),
    );
    return { harness, device, unreconciled };
  }

  const ROUTE_NOT_FOUND: Answer = () => ({ status: 'ROUTE_NOT_FOUND', code: JET_STATUS.ROUTE_NOT_FOUND, completed: 0 });

  it('never undoes a withdraw that arrived while the reconcile ran', async () => {
    const { harness, device, unreconciled } = pipelineRig();
    await harness.answer(harness.intent(announce('10.1.0.0/24')));
    device.routes.clear(); // the router lost its routes
    const reconcileUpdate = gate(stopAt(0, 'NEXTHOP_ADDRESS_INVALID'));
    const withdrawRemove = gate(ROUTE_NOT_FOUND);
    device.answerNext(reconcileUpdate.answer, withdrawRemove.answer);

    const initialized = device.initialize(false);
    await reconcileUpdate.reached;
    const withdraw = harness.intent({ prefix: '10.1.0.0/24', action: 'withdraw' });
    await withdrawRemove.reached;
    reconcileUpdate.release();
    await initialized;
    expect(unreconciled.count).toBe(1);
    withdrawRemove.release();

    expect((await harness.answer(withdraw)).body.results[0]).toMatchObject({ status: 'SUCCESS', removed: 1 });
    await settledTo(unreconciled, 0);
    // Another intent goes through the lane after any retry that was waiting there.
    await harness.answer(harness.intent(announce('10.2.0.0/24')));
    expect(
      device.requests.filter((r) => r.op === 'update' && r.paths.some((p) => p.prefix === '10.1.0.0')),
    ).toHaveLength(2);
    expect([...device.routes.values()].map((p) => p.prefix)).toEqual(['10.2.0.0']);
    expect(harness.programmed().get({ table: 'inet.0', prefix: '10.1.0.0', length: 24 })).toBeUndefined();
  });

  it('programs an announce answered while its path was being refused, once the router takes it', async () => {
    const { harness, device, unreconciled } = pipelineRig();
    await harness.answer(harness.intent(announce('10.1.0.0/24')));
    device.routes.clear();
    const reconcileUpdate = gate(stopAt(0, 'NEXTHOP_ADDRESS_INVALID'));
    device.answerNext(reconcileUpdate.answer);
    const initialized = device.initialize(false);
    await reconcileUpdate.reached;
    // The same route again: nothing to send against what is programmed before the refusal.
    const repeat = harness.intent(announce('10.1.0.0/24'));
    expect((await harness.answer(repeat)).body.results[0]).toMatchObject({ status: 'SUCCESS', unchanged: true });
    reconcileUpdate.release();
    await initialized;
    await settledTo(unreconciled, 0);
    expect([...device.routes.values()].map((p) => p.prefix)).toEqual(['10.1.0.0']);
  });

  it('puts a destination back to what was answered when a request went unanswered', async () => {
    const { harness, device, unreconciled } = pipelineRig();
    // The router applies the update, then the connection dies before the reply.
    device.answerNext((request) => {
      for (const p of request.paths) device.routes.set(pathKeyString(p), p);
      throw new DeviceUnavailableError('r1', 'connection lost');
    });
    const answer = await harness.answer(harness.intent(announce('10.1.0.0/24')));
    expect(answer.body.results[0]).toMatchObject({ status: 'DEVICE_UNAVAILABLE', added: 0 });
    await settledTo(unreconciled, 0);
    expect(device.routes.size).toBe(0);
    expect(harness.programmed().size).toBe(0);
  });
});
