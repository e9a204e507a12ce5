import { describe, expect, it } from 'vitest';
import { parseIntentPayload } from '../../src/intent/parse.js';
import {
  arrayPayload,
  prefixOf,
  PREFIX_RANGES,
  rangeSize,
  singlePayload,
  type PrefixRange,
} from '../../bench/lib/payloads.js';

describe('bench payloads', () => {
  it('numbers distinct /24s inside each range, and the ranges do not overlap', () => {
    expect(prefixOf('bulk', 0)).toBe('32.0.0.0/24');
    expect(prefixOf('bulk', 65_536 + 257)).toBe('33.1.1.0/24');
    expect(prefixOf('bulk', rangeSize('bulk') - 1)).toBe('47.255.255.0/24');
    const firsts = (Object.keys(PREFIX_RANGES) as PrefixRange[]).flatMap((range) => {
      const { first, octets } = PREFIX_RANGES[range];
      return Array.from({ length: octets }, (_, i) => first + i);
    });
    expect(new Set(firsts).size).toBe(firsts.length);
  });

  it('refuses a number outside its range', () => {
    expect(() => prefixOf('single', rangeSize('single'))).toThrow(RangeError);
    expect(() => prefixOf('single', -1)).toThrow(RangeError);
  });

  it('writes intents the bridge accepts, one or a thousand per message', () => {
    const one = parseIntentPayload(singlePayload('single', 5, 1));
    expect(one).toMatchObject({
      ok: true,
      entries: [{ intent: { id: 'single-5', prefix: '18.0.5.0', length: 24, nextHops: ['192.0.2.2'] } }],
    });
    const many = parseIntentPayload(arrayPayload('bulk', 1000, 1000));
    expect(many.ok && many.entries.every((entry) => 'intent' in entry)).toBe(true);
    expect(many.ok && many.entries).toHaveLength(1000);
  });
});
