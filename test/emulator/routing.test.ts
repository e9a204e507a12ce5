import { beforeEach, describe, expect, it } from 'vitest';
import type { WirePath } from '../../src/jet/codec/index.js';
import { Rib } from '../../src/emulator/rib.js';
import { MAX_ROUTES_PER_REQUEST } from '../../src/jet/model.js';
import { RouteProgrammer, type RouteChange } from '../../src/emulator/routing.js';
import { KnownTables, RouteValidator } from '../../src/emulator/validation.js';

function wire(prefix: string, length = 24, cookie = 1n, overrides: Partial<WirePath> = {}): WirePath {
  return { family: 'inet', table: 'inet.0', prefix, length, cookie, nextHops: ['192.0.2.1'], ...overrides };
}

const key = (prefix: string, length = 24, cookie?: bigint) => ({
  family: 'inet' as const,
  table: 'inet.0',
  prefix,
  length,
  cookie,
});

describe('RouteProgrammer', () => {
  let rib: Rib;
  let changes: Array<[RouteChange, string, string]>;
  let programmer: RouteProgrammer;

  beforeEach(() => {
    rib = new Rib();
    changes = [];
    programmer = new RouteProgrammer(rib, new RouteValidator(new KnownTables()), (op, route) =>
      changes.push([op, `${route.prefix}/${route.length}#${route.cookie}`, route.owner]),
    );
  });

  it('adds, modifies and updates paths, reporting each change once', () => {
    expect(programmer.apply('a', 'add', [wire('10.0.0.0'), wire('10.0.0.0', 24, 2n)])).toEqual({
      status: 'SUCCESS',
      completed: 2,
    });
    expect(programmer.apply('a', 'modify', [wire('10.0.0.0', 24, 1n, { localPref: 5 })])).toEqual({
      status: 'SUCCESS',
      completed: 1,
    });
    expect(programmer.apply('a', 'update', [wire('10.0.0.0', 24, 1n, { localPref: 6 }), wire('10.0.1.0')])).toEqual({
      status: 'SUCCESS',
      completed: 2,
    });
    expect(changes).toEqual([
      ['add', '10.0.0.0/24#1', 'a'],
      ['add', '10.0.0.0/24#2', 'a'],
      ['modify', '10.0.0.0/24#1', 'a'],
      ['modify', '10.0.0.0/24#1', 'a'],
      ['add', '10.0.1.0/24#1', 'a'],
    ]);
    expect(rib.get({ table: 'inet.0', prefix: '10.0.0.0', length: 24, cookie: 1n })?.localPref).toBe(6);
  });

  it('stamps each programmed path with the time of the request that last changed it', () => {
    let clock = 5_000;
    const dated = new RouteProgrammer(
      rib,
      new RouteValidator(new KnownTables()),
      () => {},
      () => clock,
    );
    dated.apply('a', 'add', [wire('10.0.0.0'), wire('10.0.1.0')]);
    clock = 9_000;
    dated.apply('a', 'update', [wire('10.0.1.0', 24, 1n, { localPref: 7 })]);
    const since = (prefix: string) => rib.get({ table: 'inet.0', prefix, length: 24, cookie: 1n })?.since;
    expect([since('10.0.0.0'), since('10.0.1.0')]).toEqual([5_000, 9_000]);
  });

  it('stops at the first failure and reports how many were applied, with a message naming the route', () => {
    programmer.apply('a', 'add', [wire('10.0.2.0')]);
    const result = programmer.apply('a', 'add', [wire('10.0.0.0'), wire('10.0.2.0'), wire('10.0.3.0')]);
    expect(result).toMatchObject({ status: 'ROUTE_EXISTS', completed: 1 });
    expect(result.message).toMatch(/^routes\[1\] \(10\.0\.2\.0\/24\): /);
    expect(rib.get({ table: 'inet.0', prefix: '10.0.3.0', length: 24, cookie: 1n })).toBeUndefined();

    const invalid = programmer.apply('a', 'update', [wire('10.0.4.0'), wire('10.0.5.0', 24, 1n, { nextHops: ['x'] })]);
    expect(invalid).toMatchObject({ status: 'NEXTHOP_ADDRESS_INVALID', completed: 1 });
    expect(invalid.message).toMatch(/routes\[1\].*protocol_nexthops\[0\]/);
  });

  it('answers NO_OP and TOO_MANY_OPS before touching the RIB', () => {
    expect(programmer.apply('a', 'add', [])).toMatchObject({ status: 'NO_OP', completed: 0 });
    const many = Array.from({ length: MAX_ROUTES_PER_REQUEST + 1 }, (_, i) => wire(`10.${i >> 8}.${i & 255}.0`));
    expect(programmer.apply('a', 'add', many)).toMatchObject({ status: 'TOO_MANY_OPS', completed: 0 });
    expect(programmer.remove('a', [], false)).toMatchObject({ status: 'NO_OP' });
    expect(rib.size).toBe(0);
  });

  it("lets one client neither take over nor see another client's paths", () => {
    programmer.apply('a', 'add', [wire('10.0.0.0')]);
    expect(programmer.apply('b', 'add', [wire('10.0.0.0')]).status).toBe('ROUTE_EXISTS');
    expect(programmer.apply('b', 'update', [wire('10.0.0.0')]).status).toBe('ROUTE_EXISTS');
    expect(programmer.apply('b', 'modify', [wire('10.0.0.0')]).status).toBe('ROUTE_NOT_FOUND');
    expect(programmer.remove('b', [key('10.0.0.0', 24, 1n)], false).status).toBe('ROUTE_NOT_FOUND');
    expect(programmer.remove('b', [key('10.0.0.0', 8)], true).status).toBe('ROUTE_NOT_FOUND');
    expect(programmer.select('b', {})).toEqual([]);
    expect(programmer.select('a', {})).toHaveLength(1);
  });

  it("removes one path by cookie, every path of the destination with cookie 0, all the caller's paths under a prefix with or_longer", () => {
    programmer.apply('a', 'add', [
      wire('10.0.0.0', 24, 0n),
      wire('10.0.0.0', 24, 7n),
      wire('10.0.0.0', 24, 8n),
      wire('10.0.1.0', 25),
      wire('10.0.1.0', 25, 2n),
      wire('10.1.0.0'),
    ]);
    programmer.apply('b', 'add', [wire('10.0.2.0'), wire('10.0.0.0', 24, 9n)]);
    expect(programmer.remove('a', [key('10.0.0.0', 24, 8n)], false)).toEqual({ status: 'SUCCESS', completed: 1 });
    expect(changes.slice(-1)).toEqual([['delete', '10.0.0.0/24#8', 'a']]);

    changes = [];
    expect(programmer.remove('a', [key('10.0.0.0'), key('10.0.1.0', 25, 0n)], false)).toEqual({
      status: 'SUCCESS',
      completed: 2,
    });
    expect(changes.map(([op, route]) => `${op} ${route}`).sort()).toEqual([
      'delete 10.0.0.0/24#0',
      'delete 10.0.0.0/24#7',
      'delete 10.0.1.0/25#1',
      'delete 10.0.1.0/25#2',
    ]);
    expect(programmer.select('b', {}).map((r) => `${r.prefix}#${r.cookie}`)).toEqual(['10.0.0.0#9', '10.0.2.0#1']);

    changes = [];
    expect(programmer.remove('a', [key('10.0.0.0', 8)], true)).toEqual({ status: 'SUCCESS', completed: 1 });
    expect(changes.map(([op, route]) => `${op} ${route}`)).toEqual(['delete 10.1.0.0/24#1']);
    expect(programmer.select('a', {})).toEqual([]);
    expect(programmer.remove('a', [key('10.0.0.0', 8)], true)).toMatchObject({
      status: 'ROUTE_NOT_FOUND',
      completed: 0,
    });
  });

  it('restricts a remove to the paths carrying the match communities (regular expressions allowed)', () => {
    programmer.apply('a', 'add', [
      wire('10.0.0.0', 24, 1n, { communities: ['65000:100', 'no-export'] }),
      wire('10.0.0.0', 24, 2n, { communities: ['65000:200'] }),
      wire('10.0.0.0', 24, 3n),
    ]);
    const withCommunities = (communities: string[], cookie?: bigint) => ({
      ...key('10.0.0.0', 24, cookie),
      matchCommunities: communities,
    });
    expect(programmer.remove('a', [withCommunities(['65000:1.*', 'no-export'])], false)).toEqual({
      status: 'SUCCESS',
      completed: 1,
    });
    expect(programmer.remove('a', [withCommunities(['65000:100'])], false)).toMatchObject({
      status: 'ROUTE_NOT_FOUND',
      message: expect.stringContaining('carrying communities 65000:100'),
    });
    expect(programmer.remove('a', [withCommunities(['65000:200'], 3n)], false)).toMatchObject({
      status: 'ROUTE_NOT_FOUND',
    });
    expect(programmer.remove('a', [withCommunities(['65000:(1'])], false)).toMatchObject({
      status: 'COMMUNITY_LIST_INVALID',
      message: expect.stringContaining('communities[0]'),
    });
    expect(programmer.select('a', {}).map((r) => r.cookie)).toEqual([2n, 3n]);
    expect(programmer.remove('a', [withCommunities([])], false)).toEqual({ status: 'SUCCESS', completed: 1 });
    expect(programmer.select('a', {})).toEqual([]);
  });

  it('validates remove keys and stops at the first missing one', () => {
    programmer.apply('a', 'add', [wire('10.0.0.0'), wire('10.0.1.0')]);
    expect(programmer.remove('a', [key('10.0.0.0', 24, 1n), key('10.0.0.0', 33)], false)).toMatchObject({
      status: 'PREFIX_LEN_TOO_LONG',
      completed: 1,
    });
    expect(programmer.remove('a', [{ ...key('10.0.1.0', 24, 1n), table: 'nosuch' }], false)).toMatchObject({
      status: 'TABLE_INVALID',
      completed: 0,
    });
    expect(programmer.remove('a', [key('10.0.9.0', 24, 1n), key('10.0.1.0', 24, 1n)], false)).toMatchObject({
      status: 'ROUTE_NOT_FOUND',
      completed: 0,
    });
    expect(rib.size).toBe(1);
  });

  it('withdraws every path of one owner', () => {
    programmer.apply('a', 'add', [wire('10.0.0.0'), wire('10.0.1.0')]);
    programmer.apply('b', 'add', [wire('10.0.2.0')]);
    changes = [];
    expect(programmer.withdrawAll('a')).toBe(2);
    expect(changes.every(([op, , owner]) => op === 'delete' && owner === 'a')).toBe(true);
    expect(rib.size).toBe(1);
  });
});
