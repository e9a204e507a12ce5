import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { uint32ToIpv4 } from '../../src/intent/syntax.js';
import type { BgpPath, Destination } from '../../src/jet/model.js';
import { prefixKey, ProgrammedPaths } from '../../src/state/programmed.js';

const path = (prefix: string, cookie: bigint, extra: Partial<BgpPath> = {}): BgpPath => ({
  table: 'inet.0',
  prefix,
  length: 24,
  cookie,
  nextHops: ['192.0.2.1'],
  ...extra,
});

const dest = (prefix: string, table = 'inet.0'): Destination => ({ table, prefix, length: 24 });

describe('ProgrammedPaths', () => {
  it('groups paths by destination and keys them by cookie, 64-bit cookies exact', () => {
    const programmed = new ProgrammedPaths();
    const big = 2n ** 64n - 1n;
    programmed.apply(path('10.1.0.0', big));
    programmed.apply(path('10.1.0.0', 2n));
    programmed.apply(path('10.2.0.0', 3n));

    expect(programmed.size).toBe(3);
    expect(programmed.destinationCount).toBe(2);
    expect(programmed.get(dest('10.1.0.0'))!.map((p) => p.cookie)).toEqual([big, 2n]);
    expect(programmed.get(dest('10.3.0.0'))).toBeUndefined();
  });

  it('replaces a path with the same cookie without counting it twice', () => {
    const programmed = new ProgrammedPaths();
    programmed.apply(path('10.1.0.0', 1n, { localPref: 100 }));
    programmed.apply(path('10.1.0.0', 1n, { localPref: 200 }));

    expect(programmed.size).toBe(1);
    expect(programmed.get(dest('10.1.0.0'))!.map((p) => p.localPref)).toEqual([200]);
  });

  it('forgets removed paths and drops destinations left empty', () => {
    const programmed = new ProgrammedPaths();
    programmed.apply(path('10.1.0.0', 1n));
    programmed.apply(path('10.1.0.0', 2n));

    expect(programmed.remove({ table: 'inet.0', prefix: '10.1.0.0', length: 24, cookie: 1n })).toBe(true);
    expect(programmed.remove({ table: 'inet.0', prefix: '10.1.0.0', length: 24, cookie: 1n })).toBe(false);
    expect(programmed.size).toBe(1);
    programmed.remove(path('10.1.0.0', 2n));
    expect(programmed.destinationCount).toBe(0);
    expect(programmed.get(dest('10.1.0.0'))).toBeUndefined();
  });

  it('leaves what get() returned as it was when the destination changes later', () => {
    const programmed = new ProgrammedPaths();
    programmed.apply(path('10.1.0.0', 1n));
    const seen = programmed.get(dest('10.1.0.0'))!;
    programmed.apply(path('10.1.0.0', 2n));
    programmed.apply(path('10.1.0.0', 1n, { med: 7 }));
    programmed.remove(path('10.1.0.0', 2n));

    expect(seen).toEqual([path('10.1.0.0', 1n)]);
    expect(programmed.get(dest('10.1.0.0'))).toEqual([path('10.1.0.0', 1n, { med: 7 })]);
  });

  it('keeps tables and prefix lengths apart', () => {
    const programmed = new ProgrammedPaths();
    programmed.apply(path('10.1.0.0', 1n));
    programmed.apply(path('10.1.0.0', 2n, { table: 'inet.3' }));
    programmed.apply(path('10.1.0.0', 3n, { length: 16 }));

    expect(programmed.destinationCount).toBe(3);
    expect(programmed.get(dest('10.1.0.0', 'inet.3'))!.map((p) => p.cookie)).toEqual([2n]);
    expect(programmed.get({ table: 'inet.0', prefix: '10.1.0.0', length: 16 })!.map((p) => p.cookie)).toEqual([3n]);
    expect(programmed.remove(path('10.1.0.0', 3n))).toBe(false);
  });

  it('lists every path', () => {
    const programmed = new ProgrammedPaths();
    const paths = [path('10.1.0.0', 1n), path('10.1.0.0', 2n), path('10.2.0.0', 1n, { table: 'inet.3' })];
    for (const p of paths) programmed.apply(p);
    expect([...programmed.allPaths()]).toEqual(paths);
  });
});

describe('prefixKey', () => {
  it('is the 32-bit value of canonical IPv4 text, as an int32', () => {
    expect(prefixKey('0.0.0.0')).toBe(0);
    expect(prefixKey('10.1.2.0')).toBe(0x0a010200);
    expect(prefixKey('255.255.255.255')).toBe(-1);
    expect(prefixKey('128.0.0.0')).toBe(-(2 ** 31));
  });

  it('keeps any other text as itself, so no two texts share a key', () => {
    for (const text of ['01.2.3.4', '1.2.3', '1.2.3.4.5', '256.0.0.0', '1..2.3', '.1.2.3', '1.2.3.', '2001:db8::', ''])
      expect(prefixKey(text)).toBe(text);
  });

  it('maps every address to its own key', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        expect(prefixKey(uint32ToIpv4(n))).toBe(n | 0);
      }),
    );
  });

  it('holds a non-canonical prefix text apart from the canonical one', () => {
    const programmed = new ProgrammedPaths();
    programmed.apply(path('10.1.0.0', 1n));
    programmed.apply(path('010.1.0.0', 2n));
    expect(programmed.destinationCount).toBe(2);
    expect(programmed.get(dest('10.1.0.0'))!.map((p) => p.cookie)).toEqual([1n]);
    expect(programmed.remove({ ...dest('010.1.0.0'), cookie: 2n })).toBe(true);
    expect(programmed.get(dest('10.1.0.0'))!.map((p) => p.cookie)).toEqual([1n]);
  });
});
