import { describe, expect, it } from 'vitest';
import type { BgpPath } from '../../src/jet/model.js';
import { PathTable, Rib, type ProgrammedRoute } from '../../src/emulator/rib.js';

function path(
  prefix: string,
  length: number,
  cookie = 1n,
  table = prefix.includes(':') ? 'inet6.0' : 'inet.0',
): BgpPath {
  return { table, prefix, length, cookie, nextHops: ['192.0.2.1'] };
}

const names = (paths: Iterable<BgpPath>) =>
  [...paths].map((p) => `${p.table}|${p.prefix}/${p.length}|${p.cookie}`).sort();

describe('PathTable', () => {
  it('stores paths by table, prefix, length and cookie, replacing a path with the same key', () => {
    const table = new PathTable<BgpPath>();
    expect(table.put(path('10.0.0.0', 24, 1n))).toBeUndefined();
    expect(table.put(path('10.0.0.0', 24, 2n))).toBeUndefined();
    expect(table.put(path('10.0.0.0', 25, 1n))).toBeUndefined();
    expect(table.put(path('10.0.0.0', 24, 1n, 'red.inet.0'))).toBeUndefined();
    expect(table.size).toBe(4);

    const replacement = { ...path('10.0.0.0', 24, 1n), localPref: 300 };
    expect(table.put(replacement)).toEqual(path('10.0.0.0', 24, 1n));
    expect(table.size).toBe(4);
    expect(table.get(path('10.0.0.0', 24, 1n))).toBe(replacement);
    expect(table.get(path('10.0.0.0', 24, 3n))).toBeUndefined();
  });

  it('deletes one path, or every cookie of a destination, and forgets emptied destinations', () => {
    const table = new PathTable<BgpPath>();
    for (const cookie of [1n, 2n, 3n]) table.put(path('10.1.0.0', 16, cookie));
    table.put(path('10.2.0.0', 16));
    expect(table.delete(path('10.1.0.0', 16, 2n))?.cookie).toBe(2n);
    expect(table.delete(path('10.1.0.0', 16, 2n))).toBeUndefined();
    expect(table.deleteDestination({ table: 'inet.0', prefix: '10.1.0.0', length: 16 }).map((p) => p.cookie)).toEqual([
      1n,
      3n,
    ]);
    expect(table.size).toBe(1);
    expect(names(table.select({ prefix: '10.1.0.0', length: 16 }))).toEqual([]);
    expect(names(table.values())).toEqual(['inet.0|10.2.0.0/16|1']);
  });

  it('keeps destinations of one prefix text with different lengths apart, through adds and deletes', () => {
    const table = new PathTable<BgpPath>();
    for (const length of [8, 16, 24]) table.put(path('10.0.0.0', length, BigInt(length)));
    expect(table.get(path('10.0.0.0', 16, 16n))?.length).toBe(16);
    expect(table.get(path('10.0.0.0', 16, 8n))).toBeUndefined();
    expect(names(table.select({ prefix: '10.0.0.0', length: 16, orLonger: true }))).toEqual([
      'inet.0|10.0.0.0/16|16',
      'inet.0|10.0.0.0/24|24',
    ]);

    expect(table.delete(path('10.0.0.0', 16, 16n))?.length).toBe(16);
    expect(table.delete(path('10.0.0.0', 8, 8n))?.length).toBe(8);
    expect(names(table.values())).toEqual(['inet.0|10.0.0.0/24|24']);
    table.put(path('10.0.0.0', 8, 8n));
    expect(names(table.select({ prefix: '10.0.0.0', length: 8 }))).toEqual(['inet.0|10.0.0.0/8|8']);
    expect(table.size).toBe(2);
  });

  it('keeps many paths of one destination apart by cookie', () => {
    const table = new PathTable<BgpPath>();
    const cookies = Array.from({ length: 40 }, (_, i) => BigInt(i * 1000 + 1));
    for (const cookie of cookies) table.put(path('10.3.0.0', 16, cookie));
    expect(table.put({ ...path('10.3.0.0', 16, cookies[7]!), med: 1 })?.med).toBeUndefined();
    expect(table.get(path('10.3.0.0', 16, cookies[7]!))?.med).toBe(1);
    expect(table.size).toBe(40);
    for (const cookie of cookies.slice(0, 39)) expect(table.delete(path('10.3.0.0', 16, cookie))?.cookie).toBe(cookie);
    expect(names(table.select({ prefix: '10.3.0.0', length: 16 }))).toEqual(['inet.0|10.3.0.0/16|39001']);
  });

  describe('select', () => {
    const table = new PathTable<BgpPath>();
    for (const p of [
      path('10.0.0.0', 8),
      path('10.1.0.0', 16),
      path('10.1.2.0', 24, 1n),
      path('10.1.2.0', 24, 2n),
      path('10.1.2.128', 25),
      path('11.0.0.0', 8),
      path('10.1.2.0', 24, 1n, 'red.inet.0'),
      path('2001:db8::', 32),
      path('2001:db8:1::', 48),
    ]) {
      table.put(p);
    }

    it('returns everything for an empty selector, or one table', () => {
      expect([...table.select({})]).toHaveLength(9);
      expect(names(table.select({ table: 'red.inet.0' }))).toEqual(['red.inet.0|10.1.2.0/24|1']);
      expect([...table.select({ table: 'nosuch.inet.0' })]).toEqual([]);
    });

    it('matches one destination exactly, across tables when none is named', () => {
      expect(names(table.select({ table: 'inet.0', prefix: '10.1.2.0', length: 24 }))).toEqual([
        'inet.0|10.1.2.0/24|1',
        'inet.0|10.1.2.0/24|2',
      ]);
      expect(names(table.select({ prefix: '10.1.2.0', length: 24, cookie: 1n }))).toEqual([
        'inet.0|10.1.2.0/24|1',
        'red.inet.0|10.1.2.0/24|1',
      ]);
    });

    it('with orLonger, matches the prefix and everything inside it, not what covers it', () => {
      expect(names(table.select({ table: 'inet.0', prefix: '10.1.0.0', length: 16, orLonger: true }))).toEqual([
        'inet.0|10.1.0.0/16|1',
        'inet.0|10.1.2.0/24|1',
        'inet.0|10.1.2.0/24|2',
        'inet.0|10.1.2.128/25|1',
      ]);
      expect(names(table.select({ table: 'inet6.0', prefix: '2001:db8::', length: 32, orLonger: true }))).toEqual([
        'inet6.0|2001:db8:1::/48|1',
        'inet6.0|2001:db8::/32|1',
      ]);
      expect([...table.select({ table: 'inet.0', prefix: '0.0.0.0', length: 0, orLonger: true })]).toHaveLength(6);
      // An IPv6 selector never matches IPv4 destinations, even a /0.
      expect([...table.select({ prefix: '::', length: 0, orLonger: true })]).toHaveLength(2);
    });
  });
});

describe('Rib', () => {
  const route = (owner: string, prefix: string, cookie = 1n): ProgrammedRoute => ({
    ...path(prefix, 24, cookie),
    owner,
    since: 0,
  });

  it('indexes routes by owner, following replacements and deletions', () => {
    const rib = new Rib();
    rib.put(route('a', '10.0.0.0'));
    rib.put(route('a', '10.0.1.0'));
    rib.put(route('b', '10.0.2.0'));
    expect(rib.countOwnedBy('a')).toBe(2);

    // The same key taken over by another owner moves to that owner.
    rib.put(route('b', '10.0.1.0'));
    expect(rib.countOwnedBy('a')).toBe(1);
    expect(names(rib.ownedBy('b'))).toEqual(['inet.0|10.0.1.0/24|1', 'inet.0|10.0.2.0/24|1']);

    rib.delete(route('a', '10.0.0.0'));
    expect(rib.countOwnedBy('a')).toBe(0);
    expect(rib.ownedBy('a')).toEqual([]);
    expect(rib.size).toBe(2);
  });
});
