import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_INTENT_LIMITS } from '../../src/intent/intent.js';
import { pathCookie } from '../../src/intent/route-key.js';
import { TokenBucket } from '../../src/intent/rate-limit.js';
import { createIntentPipeline } from '../../src/pipeline/pipeline.js';
import { gate, JET_STATUS, stopAt } from './fake-device.js';
import { announce, Harness, topics } from './harness.js';

const NH1 = '192.0.2.1';
const NH2 = '192.0.2.2';

function prefixes(n: number, base = 10): string[] {
  return Array.from({ length: n }, (_, i) => `${base}.${(i >> 8) & 255}.${i & 255}.0/24`);
}

describe('intent pipeline: programming routes', () => {
  it('announces a route with one Update and answers SUCCESS with the added count', async () => {
    const h = new Harness();
    const msg = h.intent({ id: 'a1', prefix: '10.1.0.0/24', nextHops: [NH1, NH2], localPref: 200 });
    const { topic, body } = await h.answer(msg);

    expect(topic).toBe('jet/r1/bgp/result');
    expect(body).toMatchObject({ id: 'a1', ok: true, device: 'r1' });
    expect(body.results).toEqual([
      {
        id: 'a1',
        prefix: '10.1.0.0/24',
        table: 'inet.0',
        action: 'announce',
        status: 'SUCCESS',
        added: 2,
        modified: 0,
        removed: 0,
        unchanged: false,
      },
    ]);
    expect(body.latencyMs).toBeGreaterThanOrEqual(0);
    const requests = h.device().requests;
    expect(requests.map((r) => [r.op, r.paths.length])).toEqual([['update', 2]]);
    expect(requests[0]!.paths.map((p) => p.cookie).sort()).toEqual(
      [pathCookie('r1', 'inet.0', '10.1.0.0', 24, NH1), pathCookie('r1', 'inet.0', '10.1.0.0', 24, NH2)].sort(),
    );
    expect(h.programmed().size).toBe(2);
  });

  it('answers a repeated announce as unchanged without any JET request', async () => {
    const h = new Harness();
    await h.answer(h.intent(announce('10.1.0.0/24')));
    const { body } = await h.answer(h.intent(announce('10.1.0.0/24')));

    expect(body.ok).toBe(true);
    expect(body.results[0]).toMatchObject({ status: 'SUCCESS', unchanged: true, added: 0, modified: 0, removed: 0 });
    expect(h.device().requests).toHaveLength(1);
  });

  it('turns changed next hops into an add of the new path and a remove of the old one', async () => {
    const h = new Harness();
    await h.answer(h.intent(announce('10.1.0.0/24', [NH1])));
    const { body } = await h.answer(h.intent(announce('10.1.0.0/24', [NH2])));

    expect(body.results[0]).toMatchObject({ status: 'SUCCESS', added: 1, modified: 0, removed: 1, unchanged: false });
    const [, update, remove] = h.device().requests;
    expect(update).toMatchObject({ op: 'update', paths: [{ nextHops: [NH2] }] });
    expect(remove).toMatchObject({
      op: 'remove',
      paths: [{ cookie: pathCookie('r1', 'inet.0', '10.1.0.0', 24, NH1) }],
    });
    expect([...h.programmed().allPaths()].map((p) => p.nextHops)).toEqual([[NH2]]);
  });

  it('turns changed attributes into a modify', async () => {
    const h = new Harness();
    await h.answer(h.intent(announce('10.1.0.0/24', [NH1], { localPref: 100 })));
    const { body } = await h.answer(
      h.intent(announce('10.1.0.0/24', [NH1], { localPref: 300, communities: ['65000:1'] })),
    );

    expect(body.results[0]).toMatchObject({ status: 'SUCCESS', added: 0, modified: 1, removed: 0 });
    expect(h.device().requests[1]).toMatchObject({
      op: 'update',
      paths: [{ localPref: 300, communities: ['65000:1'] }],
    });
    expect([...h.programmed().allPaths()][0]).toMatchObject({ localPref: 300 });
  });

  it('withdraws every programmed path of the prefix with one Remove', async () => {
    const h = new Harness();
    await h.answer(h.intent(announce('10.1.0.0/24', [NH1, NH2])));
    const { body } = await h.answer(h.intent({ action: 'withdraw', prefix: '10.1.0.0/24' }));

    expect(body.results[0]).toMatchObject({ action: 'withdraw', status: 'SUCCESS', removed: 2 });
    expect(h.device().requests[1]).toMatchObject({ op: 'remove' });
    expect(h.device().requests[1]!.paths).toHaveLength(2);
    expect(h.programmed().size).toBe(0);
  });

  it('withdraws only the paths through the next hops a withdraw names', async () => {
    const h = new Harness();
    await h.answer(h.intent(announce('10.1.0.0/24', [NH1, NH2])));
    const { body } = await h.answer(h.intent({ action: 'withdraw', prefix: '10.1.0.0/24', nextHops: [NH2] }));

    expect(body.results[0]).toMatchObject({ status: 'SUCCESS', removed: 1 });
    expect([...h.programmed().allPaths()].map((p) => p.nextHops)).toEqual([[NH1]]);
  });

  it('answers a withdraw of something never programmed as unchanged, without a request', async () => {
    const h = new Harness();
    const { body } = await h.answer(h.intent({ action: 'withdraw', prefix: '10.9.0.0/24' }));

    expect(body.results[0]).toMatchObject({ status: 'SUCCESS', unchanged: true, removed: 0 });
    expect(h.device().requests).toEqual([]);
  });

  it('sends 2,000 intents of one message as exactly two requests of 1,000 and answers once', async () => {
    const h = new Harness();
    const msg = h.intent(prefixes(2000).map((prefix) => announce(prefix)));
    const { body } = await h.answer(msg);

    expect(h.device().requests.map((r) => [r.op, r.paths.length])).toEqual([
      ['update', 1000],
      ['update', 1000],
    ]);
    expect(body.ok).toBe(true);
    expect(body.results).toHaveLength(2000);
    expect(body.results.every((r) => r.status === 'SUCCESS' && r.added === 1)).toBe(true);
    expect(h.answersTo(msg)).toHaveLength(1);
  });

  it('splits a batch whose paths exceed 1,000 into several requests and still answers each intent once', async () => {
    const h = new Harness({ config: { maxBatch: 1000 } });
    // 600 intents x 2 next hops = 1,200 paths in one batch.
    const msg = h.intent(prefixes(600).map((prefix) => announce(prefix, [NH1, NH2])));
    const { body } = await h.answer(msg);

    expect(h.device().requests.map((r) => r.paths.length)).toEqual([1000, 200]);
    expect(body.results.every((r) => r.status === 'SUCCESS' && r.added === 2)).toBe(true);
  });
});

describe('intent pipeline: coalescing and ordering', () => {
  it('programs 100 flapping intents for one prefix with one request; the other 99 are SUPERSEDED by the winner', async () => {
    const h = new Harness({ config: { debounceMs: 50 } });
    const msgs = Array.from({ length: 100 }, (_, i) =>
      h.intent({ id: `f${i}`, prefix: '10.7.0.0/24', nextHops: [i % 2 === 0 ? NH1 : NH2], localPref: i }),
    );
    const replies = await Promise.all(msgs.map((m) => h.answer(m)));

    expect(h.device().requests).toHaveLength(1);
    expect(h.device().requests[0]!.paths).toEqual([expect.objectContaining({ nextHops: [NH2], localPref: 99 })]);
    const superseded = replies.slice(0, 99).map((r) => r.body.results[0]);
    expect(superseded.every((r) => r!.status === 'SUPERSEDED' && r!.supersededBy === 'f99')).toBe(true);
    expect(replies[99]!.body).toMatchObject({ id: 'f99', ok: true, results: [{ status: 'SUCCESS', added: 1 }] });
    expect(replies.slice(0, 99).every((r) => r.body.ok === false)).toBe(true);
  });

  it('keeps the order of intents for one prefix across batches: the later one waits for the earlier request', async () => {
    const h = new Harness();
    const held = gate();
    h.device().answerNext(held.answer);
    const first = h.intent(announce('10.1.0.0/24'));
    await held.reached;
    const second = h.intent({ action: 'withdraw', prefix: '10.1.0.0/24' });
    // Give the second intent every chance to overtake: its window closes while the first request is held.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(h.device().requests).toHaveLength(1);

    held.release();
    const [a, b] = await Promise.all([h.answer(first), h.answer(second)]);
    expect(h.device().requests.map((r) => r.op)).toEqual(['update', 'remove']);
    expect(a.body.results[0]).toMatchObject({ status: 'SUCCESS', added: 1 });
    expect(b.body.results[0]).toMatchObject({ status: 'SUCCESS', removed: 1 });
    expect(h.programmed().size).toBe(0);
  });

  it('sends a batch for other prefixes while a request is in flight, up to maxInFlightPerDevice', async () => {
    const h = new Harness({ config: { maxInFlightPerDevice: 2 } });
    const [first, second] = [gate(), gate()];
    h.device().answerNext(first.answer, second.answer);
    const a = h.intent(announce('10.1.0.0/24'));
    await first.reached;
    const b = h.intent(announce('10.2.0.0/24'));
    await second.reached;
    const c = h.intent(announce('10.3.0.0/24'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(h.device().requests).toHaveLength(2);

    // The second request answers first: its result does not wait for the first one.
    second.release();
    expect((await h.answer(b)).body.ok).toBe(true);
    expect(h.answersTo(a)).toEqual([]);
    first.release();
    await Promise.all([h.answer(a), h.answer(c)]);
    expect(h.device().requests.map((r) => r.paths[0]!.prefix)).toEqual(['10.1.0.0', '10.2.0.0', '10.3.0.0']);
  });

  it('counts the new routes of a request in flight against the route limit', async () => {
    const h = new Harness({ policy: { maxRoutes: 3 }, config: { maxInFlightPerDevice: 2 } });
    const held = gate();
    h.device().answerNext(held.answer);
    const first = h.intent(prefixes(2).map((prefix) => announce(prefix)));
    await held.reached;
    const { body } = await h.answer(h.intent(prefixes(2, 20).map((prefix) => announce(prefix))));

    expect(body.results.map((r) => r.status)).toEqual(['SUCCESS', 'LIMIT_EXCEEDED']);
    held.release();
    expect((await h.answer(first)).body.ok).toBe(true);
    expect(h.programmed().destinationCount).toBe(3);
  });

  it('serves devices in parallel: a held request on one device does not hold another device', async () => {
    const h = new Harness({ devices: ['r1', 'r2'] });
    const held = gate();
    h.device('r1').answerNext(held.answer);
    const slow = h.intent(announce('10.1.0.0/24'), 'r1');
    await held.reached;
    const { body } = await h.answer(h.intent(announce('10.2.0.0/24'), 'r2'));

    expect(body).toMatchObject({ ok: true, device: 'r2' });
    expect(h.answersTo(slow)).toEqual([]);
    held.release();
    expect((await h.answer(slow)).body.ok).toBe(true);
  });
});

describe('intent pipeline: JET failures', () => {
  it('confirms the paths before a partial failure, blames the failing intent and retries the rest in a new request', async () => {
    const h = new Harness();
    h.device().answerNext(stopAt(1, 'NEXTHOP_ADDRESS_INVALID'));
    const msg = h.intent([
      { id: 'ok1', prefix: '10.1.0.0/24', nextHops: [NH1] },
      { id: 'bad', prefix: '10.2.0.0/24', nextHops: [NH1] },
      { id: 'ok2', prefix: '10.3.0.0/24', nextHops: [NH1] },
    ]);
    const { body } = await h.answer(msg);

    expect(body.ok).toBe(false);
    expect(body.results.map((r) => [r.id, r.status, r.jetStatus, r.added])).toEqual([
      ['ok1', 'SUCCESS', undefined, 1],
      ['bad', 'NEXTHOP_ADDRESS_INVALID', JET_STATUS.NEXTHOP_ADDRESS_INVALID, 0],
      ['ok2', 'SUCCESS', undefined, 1],
    ]);
    expect(h.device().requests.map((r) => r.paths.map((p) => p.prefix))).toEqual([
      ['10.1.0.0', '10.2.0.0', '10.3.0.0'],
      ['10.3.0.0'],
    ]);
    const programmed = [...h.programmed().allPaths()].map((p) => p.prefix).sort();
    expect(programmed).toEqual(['10.1.0.0', '10.3.0.0']);
  });

  it('settles an intent whose paths span two requests once, with its failure, and sends none of its remaining paths', async () => {
    const h = new Harness();
    const hops = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
    // 400 intents x 3 paths: intent 333 has paths 999 (first request) and 1000, 1001 (second request).
    h.device().answerNext(
      () => ({ status: 'SUCCESS', code: 0, completed: 1000 }),
      stopAt(0, 'NEXTHOP_ADDRESS_INVALID'),
    );
    const { body } = await h.answer(
      h.intent(prefixes(400).map((prefix, i) => ({ id: `i${i}`, ...announce(prefix, hops) }))),
    );

    expect(h.device().requests.map((r) => r.paths.length)).toEqual([1000, 200, 198]);
    const failed = body.results.filter((r) => r.status !== 'SUCCESS');
    expect(failed).toEqual([
      expect.objectContaining({ id: 'i333', status: 'NEXTHOP_ADDRESS_INVALID', jetStatus: 12, added: 1 }),
    ]);
    expect(body.results.filter((r) => r.added === 3)).toHaveLength(399);
    expect(h.programmed().size).toBe(399 * 3 + 1);
  });

  it('records every confirmed request in the durable store', async () => {
    const applied: Array<[string, number, number]> = [];
    const h = new Harness();
    const context = h.contexts.get('r1')!;
    const apply = async (device: string, upserts: readonly unknown[], removes: readonly unknown[]) =>
      void applied.push([device, upserts.length, removes.length]);
    h.contexts.set('r1', { ...context, store: { apply } });
    await h.answer(h.intent(announce('10.1.0.0/24', [NH1, NH2])));
    await h.answer(h.intent({ action: 'withdraw', prefix: '10.1.0.0/24' }));

    expect(applied).toEqual([
      ['r1', 2, 0],
      ['r1', 0, 2],
    ]);
  });

  it('answers DEVICE_UNAVAILABLE with the reason when a request fails unexpectedly, and keeps serving', async () => {
    const h = new Harness();
    h.device().answerNext(() => {
      throw new TypeError('codec exploded');
    });
    const { body } = await h.answer(h.intent(announce('10.1.0.0/24')));
    expect(body.results[0]).toMatchObject({
      status: 'DEVICE_UNAVAILABLE',
      error: 'unexpected error: TypeError: codec exploded',
    });

    const next = await h.answer(h.intent(announce('10.1.0.0/24')));
    expect(next.body.results[0]).toMatchObject({ status: 'SUCCESS', added: 1 });
  });

  it('counts a path the router no longer has as removed when withdrawing, and goes on with the rest', async () => {
    const h = new Harness();
    await h.answer(h.intent([announce('10.1.0.0/24'), announce('10.2.0.0/24')]));
    h.device().answerNext(stopAt(0, 'ROUTE_NOT_FOUND'));
    const { body } = await h.answer(
      h.intent([
        { action: 'withdraw', prefix: '10.1.0.0/24' },
        { action: 'withdraw', prefix: '10.2.0.0/24' },
      ]),
    );

    expect(body.results.map((r) => [r.status, r.removed])).toEqual([
      ['SUCCESS', 1],
      ['SUCCESS', 1],
    ]);
    expect(
      h
        .device()
        .requests.slice(1)
        .map((r) => [r.op, r.paths.length]),
    ).toEqual([
      ['remove', 2],
      ['remove', 1],
    ]);
    expect(h.programmed().size).toBe(0);
  });

  it('answers DEVICE_UNAVAILABLE when the session gives up, and programs nothing', async () => {
    const h = new Harness();
    h.device().setAvailable(false);
    const { body } = await h.answer(h.intent([announce('10.1.0.0/24'), announce('10.2.0.0/24')]));

    expect(body.ok).toBe(false);
    expect(body.results.map((r) => r.status)).toEqual(['DEVICE_UNAVAILABLE', 'DEVICE_UNAVAILABLE']);
    expect(body.results[0]!.error).toMatch(/r1 unavailable/);
    expect(h.programmed().size).toBe(0);
  });

  it('refuses an announce past the policy route limit with LIMIT_EXCEEDED, before JET', async () => {
    const h = new Harness({ policy: { maxRoutes: 1 } });
    await h.answer(h.intent(announce('10.1.0.0/24')));
    const { body } = await h.answer(h.intent(announce('10.2.0.0/24')));

    expect(body.results[0]).toMatchObject({ status: 'LIMIT_EXCEEDED' });
    expect(h.device().requests).toHaveLength(1);
  });
});

describe('intent pipeline: refusals before JET', () => {
  it('answers a message for an unknown device with UNKNOWN_DEVICE for each intent', async () => {
    const h = new Harness();
    const { topic, body } = await h.answer(h.intent(announce('10.1.0.0/24'), 'r9'));

    expect(topic).toBe('jet/r9/bgp/result');
    expect(body).toMatchObject({
      ok: false,
      device: 'r9',
      results: [{ prefix: '10.1.0.0/24', status: 'UNKNOWN_DEVICE' }],
    });
    expect(body.error).toMatch(/^UNKNOWN_DEVICE: device "r9" is not configured \(configured: r1\)/);
  });

  it('answers a payload that is not JSON with INVALID_PAYLOAD and keeps serving', async () => {
    const h = new Harness();
    const { body } = await h.answer(h.intent('{"prefix": '));
    expect(body).toMatchObject({ ok: false, results: [] });
    expect(body.error).toMatch(/^INVALID_PAYLOAD: payload is not JSON/);

    const next = await h.answer(h.intent(announce('10.1.0.0/24')));
    expect(next.body.ok).toBe(true);
  });

  it('answers a bad entry in a list with INVALID_PAYLOAD naming the field, and programs the good ones', async () => {
    const h = new Harness();
    const { body } = await h.answer(
      h.intent([announce('10.1.0.0/24'), { id: 'x', prefix: '10.2.0.0/24', nextHops: ['not-an-ip'] }]),
    );

    expect(body.ok).toBe(false);
    expect(body.results[0]).toMatchObject({ status: 'SUCCESS', added: 1 });
    expect(body.results[1]).toMatchObject({ id: 'x', prefix: '10.2.0.0/24', status: 'INVALID_PAYLOAD' });
    expect(body.results[1]!.error).toMatch(/^intents\[1\]\.nextHops\[0\]: /);
  });

  it('echoes a batch id as the result id, and each intent id in its own entry', async () => {
    const h = new Harness();
    const { body } = await h.answer(
      h.intent({ id: 'b-7', intents: [{ ...announce('10.1.0.0/24'), id: 'i-1' }, announce('10.2.0.0/24')] }),
    );

    expect(body).toMatchObject({ id: 'b-7', ok: true });
    expect(body.results.map((r) => r.id)).toEqual(['i-1', undefined]);
    expect(body.results.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS']);
  });

  it('answers POLICY_DENIED with the policy reason', async () => {
    const h = new Harness({ policy: { allow: ['10.0.0.0/8 le 24'] } });
    const { body } = await h.answer(h.intent(announce('172.16.0.0/24')));

    expect(body.results[0]).toMatchObject({ status: 'POLICY_DENIED' });
    expect(body.results[0]!.error).toMatch(/not in the allowed prefixes/);
    expect(h.device().requests).toEqual([]);
  });

  it('answers RATE_LIMITED once the device bucket is empty', async () => {
    const frozenClock = () => 0;
    const h = new Harness({ rateLimit: new TokenBucket({ ratePerSec: 1, burst: 2 }, frozenClock) });
    const { body } = await h.answer(h.intent(prefixes(3).map((prefix) => announce(prefix))));

    expect(body.results.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS', 'RATE_LIMITED']);
    expect(h.device().requests).toHaveLength(1);
  });
});

describe('intent pipeline: one answer per message', () => {
  it('acknowledges each message once, when the pipeline takes it, and answers it exactly once', async () => {
    let releaseReplies!: () => void;
    const repliesHeld = new Promise<void>((resolve) => (releaseReplies = resolve));
    const h = new Harness({ beforeReply: () => repliesHeld });
    const good = h.intent([announce('10.1.0.0/24'), announce('10.2.0.0/24')]);
    const bad = h.intent('nope');
    // Taken in: acknowledged at once, so the MQTT client can read the next packet (src/mqtt/client.ts).
    expect([good.acks, bad.acks]).toEqual([1, 1]);
    expect(h.replies).toEqual([]);

    releaseReplies();
    await Promise.all([h.answer(good), h.answer(bad)]);
    await h.pipeline.drain(1000);
    expect([h.answersTo(good).length, h.answersTo(bad).length]).toEqual([1, 1]);
    expect([good.acks, bad.acks]).toEqual([1, 1]);
  });

  it('holds acknowledgements back, in order, while more than maxQueuedIntents wait, and gives them once the backlog shrinks', async () => {
    const h = new Harness({ config: { maxQueuedIntents: 2 } });
    const first = h.intent([announce('10.1.0.0/24'), announce('10.2.0.0/24')]);
    const second = h.intent(announce('10.3.0.0/24'));
    const third = h.intent(announce('10.4.0.0/24'));
    expect([first.acks, second.acks, third.acks]).toEqual([1, 0, 0]);

    await Promise.all([first, second, third].map((m) => h.answer(m)));
    expect([first.acks, second.acks, third.acks]).toEqual([1, 1, 1]);
  });

  it('uses the id of a lone intent as the message id, and none for a list', async () => {
    const h = new Harness();
    const lone = await h.answer(h.intent({ id: 'solo', ...announce('10.1.0.0/24') }));
    const list = await h.answer(
      h.intent([
        { id: 'a', ...announce('10.2.0.0/24') },
        { id: 'b', ...announce('10.3.0.0/24') },
      ]),
    );

    expect(lone.body.id).toBe('solo');
    expect(list.body.id).toBeUndefined();
    expect(list.body.results.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('calls the metrics hooks', async () => {
    const metrics = { intentReceived: vi.fn(), result: vi.fn(), jetRequest: vi.fn(), queueDepth: vi.fn() };
    const h = new Harness({ metrics });
    await h.answer(h.intent([announce('10.1.0.0/24'), announce('0.0.0.0/0')]));

    expect(metrics.intentReceived).toHaveBeenCalledTimes(2);
    expect(metrics.result.mock.calls).toEqual([
      ['r1', 'POLICY_DENIED'],
      ['r1', 'SUCCESS'],
    ]);
    expect(metrics.jetRequest).toHaveBeenCalledWith('r1', 'update', 1, expect.any(Number));
    expect(metrics.queueDepth).toHaveBeenCalledWith('r1', 2);
    expect(metrics.queueDepth).toHaveBeenLastCalledWith('r1', 0);
  });
});

describe('intent pipeline: lifecycle', () => {
  it('drain programs intents still waiting in their window at once and publishes their results', async () => {
    const h = new Harness({ config: { debounceMs: 60_000, maxBatchDelayMs: 60_000 } });
    const msg = h.intent(announce('10.1.0.0/24'));
    await h.pipeline.drain(5000);

    expect(h.answersTo(msg)).toHaveLength(1);
    expect(h.device().requests).toHaveLength(1);
  });

  it('drain stops taking messages: later ones are neither acknowledged nor answered', async () => {
    const h = new Harness();
    await h.pipeline.drain(1000);
    const late = h.intent(announce('10.1.0.0/24'));

    expect(late.acks).toBe(0);
    expect(h.replies).toEqual([]);
  });

  it('drain rejects when in-flight work outlasts the timeout', async () => {
    const h = new Harness();
    h.device().answerNext(gate().answer);
    h.intent(announce('10.1.0.0/24'));
    await expect(h.pipeline.drain(50)).rejects.toThrow(/did not drain within 50 ms: 1 messages left without a result/);
  });

  it('rejects settings that cannot work, naming them', () => {
    const h = new Harness();
    const deps = {
      devices: h.contexts,
      topics,
      reply: async () => {},
      limits: DEFAULT_INTENT_LIMITS,
      logger: pino({ level: 'silent' }),
    };
    expect(() =>
      createIntentPipeline({ ...deps, config: { debounceMs: -1, maxBatch: 10, maxBatchDelayMs: 1, maxInFlight: 1 } }),
    ).toThrow(/windowMs/);
    expect(() =>
      createIntentPipeline({ ...deps, config: { debounceMs: 1, maxBatch: 0, maxBatchDelayMs: 1, maxInFlight: 1 } }),
    ).toThrow(/maxSize/);
    expect(() =>
      createIntentPipeline({ ...deps, config: { debounceMs: 1, maxBatch: 1, maxBatchDelayMs: 1, maxInFlight: 0 } }),
    ).toThrow(/max must/);
  });
});

describe('intent pipeline: queries and commands', () => {
  it('answers a get with the routes the device reports, cookies as decimal strings', async () => {
    const h = new Harness();
    await h.answer(h.intent(announce('10.1.0.0/24', [NH1], { localPref: 200 })));
    const msg = h.send(topics.get('r1'), { id: 'q1', prefix: '10.1.0.0/24' });
    const { topic, body } = await h.answer(msg);

    expect(topic).toBe('jet/r1/bgp/get/result');
    expect(msg.acks).toBe(1);
    expect(h.device().queries).toEqual([{ table: 'inet.0', prefix: '10.1.0.0', length: 24 }]);
    expect(body).toEqual({
      id: 'q1',
      ok: true,
      device: 'r1',
      routes: [
        {
          prefix: '10.1.0.0/24',
          table: 'inet.0',
          nextHops: [NH1],
          cookie: pathCookie('r1', 'inet.0', '10.1.0.0', 24, NH1).toString(),
          localPref: 200,
        },
      ],
    });
  });

  it('answers a bad get payload or an unknown device with an error and no query', async () => {
    const h = new Harness();
    const bad = await h.answer(h.send(topics.get('r1'), { prefix: '10.1.0.1/24' }));
    const unknown = await h.answer(h.send(topics.get('r9'), ''));

    expect(bad.body).toMatchObject({ ok: false, routes: [] });
    expect(bad.body.error).toMatch(/^INVALID_PAYLOAD: payload\.prefix: .*host bits set/);
    expect(unknown.body.error).toMatch(/^UNKNOWN_DEVICE/);
    expect(h.device().queries).toEqual([]);
  });

  it('hands op messages to the op handler, acknowledged', async () => {
    const opHandler = vi.fn(async () => {});
    const h = new Harness({ opHandler });
    const msg = h.send(topics.op('r1'), { command: 'show version' });
    await vi.waitFor(() => expect(opHandler).toHaveBeenCalledWith(msg, 'r1'));
    expect(msg.acks).toBe(1);
  });

  it('answers op messages "not served" without an op handler', async () => {
    const h = new Harness();
    const { topic, body } = await h.answer(h.send(topics.op('r1'), {}));
    expect(topic).toBe('jet/r1/op/result');
    expect(body).toMatchObject({ ok: false, error: expect.stringMatching(/not served/) });
  });

  it('keeps the programmed paths keyed by destination', async () => {
    const h = new Harness();
    await h.answer(h.intent(announce('10.1.0.0/24', [NH1, NH2])));
    const paths = h.programmed().get({ table: 'inet.0', prefix: '10.1.0.0', length: 24 });
    expect(paths).toHaveLength(2);
  });
});
