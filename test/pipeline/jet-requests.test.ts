import { describe, expect, it } from 'vitest';
import { DeviceUnavailableError } from '../../src/jet/device.js';
import type { OperOutcome, PathKey } from '../../src/jet/model.js';
import { appliedCount, sendInJetRequests } from '../../src/pipeline/jet-requests.js';

interface Op {
  id: number;
  owner: string;
  path: PathKey;
}

const ops = (n: number, owner = (i: number) => `o${i}`): Op[] =>
  Array.from({ length: n }, (_, i) => ({
    id: i,
    owner: owner(i),
    path: { table: 'inet.0', prefix: `10.0.${i}.0`, length: 24, cookie: BigInt(i + 1) },
  }));

/** Records requests and answers each with the next scripted outcome (SUCCESS when none is left). */
function scriptedSend(script: Array<(n: number) => OperOutcome> = []) {
  const requests: number[][] = [];
  const send = async (paths: PathKey[]): Promise<OperOutcome> => {
    requests.push(paths.map((p) => Number(p.cookie) - 1));
    const next = script.shift();
    return next ? next(paths.length) : { status: 'SUCCESS', code: 0, completed: paths.length };
  };
  return { requests, send };
}

function recorder() {
  const confirmed: number[] = [];
  const refused: Array<[number, string]> = [];
  const sizes: number[] = [];
  return {
    confirmed,
    refused,
    sizes,
    handlers: {
      pathOf: (op: Op) => op.path,
      confirmed: (done: readonly Op[]) => confirmed.push(...done.map((o) => o.id)),
      refused: (op: Op, outcome: OperOutcome) => refused.push([op.id, outcome.status]),
      requested: (size: number) => sizes.push(size),
    },
  };
}

describe('sendInJetRequests', () => {
  it('sends at most maxPaths per request, in order', async () => {
    const { requests, send } = scriptedSend();
    const r = recorder();
    await sendInJetRequests(ops(2500), send, r.handlers);

    expect(requests.map((q) => q.length)).toEqual([1000, 1000, 500]);
    expect(r.sizes).toEqual([1000, 1000, 500]);
    expect(r.confirmed).toEqual(ops(2500).map((o) => o.id));
  });

  it('confirms the ops before a failure, refuses the failing one and resends the rest', async () => {
    const { requests, send } = scriptedSend([() => ({ status: 'ROUTE_NOT_FOUND', code: 18, completed: 2 })]);
    const r = recorder();
    await sendInJetRequests(ops(5), send, r.handlers);

    expect(requests).toEqual([
      [0, 1, 2, 3, 4],
      [3, 4],
    ]);
    expect(r.confirmed).toEqual([0, 1, 3, 4]);
    expect(r.refused).toEqual([[2, 'ROUTE_NOT_FOUND']]);
  });

  it('fills the retry request up to maxPaths with ops that did not fit before', async () => {
    const { requests, send } = scriptedSend([() => ({ status: 'ROUTE_NOT_FOUND', code: 18, completed: 0 })]);
    const r = recorder();
    await sendInJetRequests(ops(5), send, r.handlers, 3);

    expect(requests).toEqual([[0, 1, 2], [1, 2, 3], [4]]);
    expect(r.refused).toEqual([[0, 'ROUTE_NOT_FOUND']]);
  });

  it('leaves out skipped ops, such as the rest of an owner that failed', async () => {
    const owners = (i: number) => (i < 2 ? 'A' : 'B');
    const { requests, send } = scriptedSend([() => ({ status: 'NEXTHOP_ADDRESS_INVALID', code: 12, completed: 0 })]);
    const r = recorder();
    const failed = new Set<string>();
    await sendInJetRequests(ops(4, owners), send, {
      ...r.handlers,
      skip: (op) => failed.has(op.owner),
      refused: (op, outcome) => {
        failed.add(op.owner);
        r.handlers.refused(op, outcome);
      },
    });

    expect(requests).toEqual([
      [0, 1, 2, 3],
      [2, 3],
    ]);
    expect(r.confirmed).toEqual([2, 3]);
  });

  it('lets a thrown error through with what was confirmed before it', async () => {
    const r = recorder();
    let calls = 0;
    const send = async (paths: PathKey[]): Promise<OperOutcome> => {
      if (++calls === 2) throw new DeviceUnavailableError('r1', 'gone');
      return { status: 'SUCCESS', code: 0, completed: paths.length };
    };
    await expect(sendInJetRequests(ops(3), send, r.handlers, 2)).rejects.toBeInstanceOf(DeviceUnavailableError);
    expect(r.confirmed).toEqual([0, 1]);
  });
});

describe('appliedCount', () => {
  it('counts every path of a SUCCESS and clamps a failure into the request', () => {
    expect(appliedCount({ status: 'SUCCESS', code: 0, completed: 0 }, 4)).toBe(4);
    expect(appliedCount({ status: 'TABLE_INVALID', code: 5, completed: 2 }, 4)).toBe(2);
    expect(appliedCount({ status: 'TABLE_INVALID', code: 5, completed: 9 }, 4)).toBe(3);
    expect(appliedCount({ status: 'TABLE_INVALID', code: 5, completed: -1 }, 4)).toBe(0);
  });
});
