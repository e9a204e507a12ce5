import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Intent } from '../../src/intent/intent.js';
import { intentToPaths, pathCookie } from '../../src/intent/route-key.js';

const UINT64_MAX = 2n ** 64n - 1n;

describe('pathCookie', () => {
  it('is the first 8 bytes of SHA-256 over the NUL-joined key, the same in every run', () => {
    const digest = createHash('sha256').update('r1\x00inet.0\x0010.123.0.0/24\x00192.0.2.1').digest();
    expect(pathCookie('r1', 'inet.0', '10.123.0.0', 24, '192.0.2.1')).toBe(digest.readBigUInt64BE(0));
    // Pinned: if this changes, every router's paths get new cookies after an upgrade.
    expect(pathCookie('r1', 'inet.0', '10.123.0.0', 24, '192.0.2.1')).toBe(6469794126481454715n);
  });

  it('is a non-zero unsigned 64-bit integer', () => {
    for (let i = 0; i < 1000; i++) {
      const cookie = pathCookie('r1', 'inet.0', `10.${i >> 8}.${i & 255}.0`, 24, '192.0.2.1');
      expect(cookie).toBeGreaterThan(0n);
      expect(cookie).toBeLessThanOrEqual(UINT64_MAX);
    }
  });

  it('differs when any part of the key differs', () => {
    const base = ['r1', 'inet.0', '10.123.0.0', 24, '192.0.2.1'] as const;
    const variants: (readonly [string, string, string, number, string])[] = [
      base,
      ['r2', 'inet.0', '10.123.0.0', 24, '192.0.2.1'],
      ['r1', 'inet.3', '10.123.0.0', 24, '192.0.2.1'],
      ['r1', 'inet.0', '10.124.0.0', 24, '192.0.2.1'],
      ['r1', 'inet.0', '10.123.0.0', 25, '192.0.2.1'],
      ['r1', 'inet.0', '10.123.0.0', 24, '192.0.2.2'],
      // Field boundaries matter: moving text from one field to the next is a different key.
      ['r1i', 'net.0', '10.123.0.0', 24, '192.0.2.1'],
    ];
    const cookies = new Set(variants.map((v) => pathCookie(...v)));
    expect(cookies.size).toBe(variants.length);
  });

  it('does not collide across a hundred thousand routes', () => {
    const cookies = new Set<bigint>();
    for (let i = 0; i < 100_000; i++) {
      cookies.add(pathCookie('r1', 'inet.0', `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 32, '192.0.2.1'));
    }
    expect(cookies.size).toBe(100_000);
  });
});

describe('intentToPaths', () => {
  const intent: Intent = {
    id: 'a1',
    action: 'announce',
    table: 'inet.0',
    family: 'inet',
    prefix: '10.123.0.0',
    length: 24,
    nextHops: ['192.0.2.1', '192.0.2.2'],
    attributes: { localPref: 200, communities: ['65000:100'], noExport: true },
  };

  it('makes one path per next hop, each with its own cookie and the attributes', () => {
    const paths = intentToPaths('r1', intent);
    expect(paths).toEqual([
      {
        table: 'inet.0',
        prefix: '10.123.0.0',
        length: 24,
        cookie: pathCookie('r1', 'inet.0', '10.123.0.0', 24, '192.0.2.1'),
        nextHops: ['192.0.2.1'],
        localPref: 200,
        communities: ['65000:100'],
        noExport: true,
      },
      {
        table: 'inet.0',
        prefix: '10.123.0.0',
        length: 24,
        cookie: pathCookie('r1', 'inet.0', '10.123.0.0', 24, '192.0.2.2'),
        nextHops: ['192.0.2.2'],
        localPref: 200,
        communities: ['65000:100'],
        noExport: true,
      },
    ]);
    expect(paths[0]!.cookie).not.toBe(paths[1]!.cookie);
  });

  it('gives the same cookies to the same route on another run and different ones on another device', () => {
    expect(intentToPaths('r1', intent).map((p) => p.cookie)).toEqual(
      intentToPaths('r1', { ...intent }).map((p) => p.cookie),
    );
    expect(intentToPaths('r2', intent)[0]!.cookie).not.toBe(intentToPaths('r1', intent)[0]!.cookie);
  });

  it('names no paths for a withdraw of every next hop', () => {
    expect(intentToPaths('r1', { ...intent, action: 'withdraw', nextHops: [] })).toEqual([]);
  });
});
