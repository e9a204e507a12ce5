import { describe, expect, it } from 'vitest';
import { planOwnership, quotas, type BridgeHoldings } from '../../src/fleet/balance.js';

const DEVICES = ['r1', 'r2', 'r3', 'r4'];

/** Runs every bridge's plan on the same snapshot, granting leases first come, until nothing changes. */
function settle(start: BridgeHoldings[], devices = DEVICES): { final: Map<string, string[]>; moves: number } {
  const held = new Map(start.map((b) => [b.id, [...b.owned]]));
  let moves = 0;
  for (let round = 0; round < 10; round++) {
    const snapshot = [...held].map(([id, owned]) => ({ id, owned: [...owned] }));
    let changed = false;
    for (const { id } of snapshot) {
      const plan = planOwnership(id, snapshot, devices);
      const mine = held.get(id) ?? [];
      for (const d of plan.release) {
        mine.splice(mine.indexOf(d), 1);
        moves += 1;
        changed = true;
      }
      for (const d of plan.acquire) {
        if (mine.length >= plan.quota) break;
        if ([...held.values()].some((owned) => owned.includes(d))) continue;
        mine.push(d);
        changed = true;
      }
    }
    if (!changed) return { final: held, moves };
  }
  throw new Error('did not settle');
}

describe('quotas', () => {
  it('give each bridge an even share, the remainder to those holding most', () => {
    expect(
      quotas(
        [
          { id: 'a', owned: [] },
          { id: 'b', owned: [] },
        ],
        4,
      ),
    ).toEqual(
      new Map([
        ['a', 2],
        ['b', 2],
      ]),
    );
    const three = quotas(
      [
        { id: 'a', owned: ['r1'] },
        { id: 'b', owned: ['r2', 'r3'] },
        { id: 'c', owned: ['r4'] },
      ],
      4,
    );
    expect(three).toEqual(
      new Map([
        ['b', 2],
        ['a', 1],
        ['c', 1],
      ]),
    );
  });
});

describe('planOwnership', () => {
  it('spreads four devices over two fresh bridges two and two', () => {
    const { final } = settle([
      { id: 'a', owned: [] },
      { id: 'b', owned: [] },
    ]);
    expect(final.get('a')).toHaveLength(2);
    expect(final.get('b')).toHaveLength(2);
  });

  it('lets the survivors take every device of a dead bridge', () => {
    const { final } = settle([
      { id: 'a', owned: ['r1'] },
      { id: 'c', owned: ['r4'] },
    ]);
    expect([...final.values()].flat().sort()).toEqual(DEVICES);
    expect(final.get('a')).toHaveLength(2);
  });

  it('hands a rejoining bridge its share, each device moving once', () => {
    const { final, moves } = settle([
      { id: 'a', owned: ['r1', 'r2', 'r3', 'r4'] },
      { id: 'b', owned: [] },
    ]);
    expect(final.get('a')).toHaveLength(2);
    expect(final.get('b')).toHaveLength(2);
    expect(moves).toBe(2);
  });

  it('leaves an even fleet alone', () => {
    const start = [
      { id: 'a', owned: ['r1', 'r3'] },
      { id: 'b', owned: ['r2'] },
      { id: 'c', owned: ['r4'] },
    ];
    for (const b of start) expect(planOwnership(b.id, start, DEVICES)).toMatchObject({ acquire: [], release: [] });
  });

  it('acquires nothing for a bridge at its share, and only devices nobody holds', () => {
    const plan = planOwnership(
      'b',
      [
        { id: 'a', owned: ['r1', 'r2'] },
        { id: 'b', owned: ['r3'] },
      ],
      DEVICES,
    );
    expect(plan).toEqual({ quota: 2, acquire: ['r4'], release: [] });
  });
});
