import { describe, expect, it } from 'vitest';
import { CORRELATION_BYTES, decodeStamp, encodeStamp, monotonicMs } from '../../bench/lib/correlation.js';

describe('correlation stamps', () => {
  it('carries the message number and publish time through a buffer', () => {
    const sentMs = monotonicMs();
    const stamp = encodeStamp(4_000_000_000, sentMs);
    expect(stamp).toHaveLength(CORRELATION_BYTES);
    expect(decodeStamp(stamp)).toEqual({ seq: 4_000_000_000, sentMs });
  });

  it('ignores correlation data the bench did not write', () => {
    expect(decodeStamp(undefined)).toBeUndefined();
    expect(decodeStamp(Buffer.from('c1'))).toBeUndefined();
  });
});
