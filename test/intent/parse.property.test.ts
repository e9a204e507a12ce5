/**
 * Property tests: parseIntentPayload faces whatever a publisher sends, so on
 * any input it must return a well-formed result and never throw (nor fall into
 * its last-resort catch, which only a bug reaches).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INTENT_LIMITS } from '../../src/intent/intent.js';
import { parseIntentPayload, type PayloadParse } from '../../src/intent/parse.js';
import { parsePrefix, uint32ToIpv4 } from '../../src/intent/syntax.js';

const RUNS = { numRuns: 300 };

function expectWellFormed(result: PayloadParse): void {
  if (!result.ok) {
    expect(typeof result.error).toBe('string');
    expect(result.error).not.toMatch(/^payload could not be parsed/);
    return;
  }
  expect(result.entries.length).toBeGreaterThan(0);
  result.entries.forEach((entry, i) => {
    expect(entry.index).toBe(i);
    if ('error' in entry) {
      expect(entry.error.length).toBeGreaterThan(0);
    } else {
      const { intent } = entry;
      expect(parsePrefix(`${intent.prefix}/${intent.length}`).prefix).toBe(intent.prefix);
      if (intent.action === 'announce') expect(intent.nextHops.length).toBeGreaterThan(0);
    }
  });
}

function parseSafely(payload: Buffer | string): PayloadParse {
  let result: PayloadParse | undefined;
  expect(() => {
    result = parseIntentPayload(payload);
  }).not.toThrow();
  return result!;
}

/** Mostly valid values for a field, sometimes anything at all, so both the deep checks and the type checks run. */
function mostly<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) });
}

const uint32ish = fc.oneof(
  fc.nat(),
  fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, 2 ** 40, -1, 1.5, Number.MAX_SAFE_INTEGER),
);

const intentFields = fc.record(
  {
    id: mostly(fc.string({ maxLength: 12 })),
    action: mostly(fc.constantFrom('announce', 'withdraw')),
    prefix: mostly(
      fc.constantFrom(
        '10.0.0.0/8',
        '10.123.0.0/24',
        '2001:db8::/32',
        '10.1.1.1/24',
        '::ffff:10.0.0.0/104',
        '0.0.0.0/0',
      ),
    ),
    table: mostly(fc.constantFrom('inet.0', 'inet6.0', 'blue.inet.0', 'mpls.0')),
    nextHops: mostly(
      fc.uniqueArray(fc.constantFrom('192.0.2.1', '192.0.2.2', '2001:db8::1', '10.0.0.300'), { maxLength: 4 }),
    ),
    localPref: mostly(uint32ish),
    routePref: mostly(uint32ish),
    med: mostly(uint32ish),
    asPath: mostly(fc.constantFrom('', '65000 65001', '65000 [1 2]', '(1 2) 3', '[1', '0')),
    communities: mostly(
      fc.array(fc.constantFrom('65000:1', 'no-export', 'target:65000:1', 'large:1:2:3', '65536:1'), { maxLength: 3 }),
    ),
    originatorId: mostly(fc.constantFrom('192.0.2.9', '2001:db8::9')),
    clusterList: mostly(fc.array(fc.constantFrom('192.0.2.10', '192.0.2.11', '1.2.3'), { maxLength: 3 })),
    peerType: mostly(fc.constantFrom('internal', 'external')),
    noAdvertise: mostly(fc.boolean()),
    noExport: mostly(fc.boolean()),
  },
  { requiredKeys: [] },
);

/** An intent every check passes, in either family. */
const validIntent = fc
  .oneof(
    fc.record({
      prefix: fc.constantFrom('10.0.0.0/8', '10.123.0.0/24'),
      nextHops: fc.uniqueArray(fc.constantFrom('192.0.2.1', '192.0.2.2'), { minLength: 1 }),
    }),
    fc.record({
      prefix: fc.constantFrom('2001:db8::/32', '2001:db8:1::/48'),
      nextHops: fc.uniqueArray(fc.constantFrom('2001:db8::1', '2001:db8::2'), { minLength: 1 }),
    }),
  )
  .chain((base) =>
    fc
      .record(
        {
          id: fc.string({ maxLength: 12, unit: 'grapheme' }).filter((id) => id.length > 0),
          localPref: fc.nat(),
          asPath: fc.constantFrom('', '65000 65001', '65000 [1 2]'),
          communities: fc.array(fc.constantFrom('65000:1', 'no-export', 'large:1:2:3'), { maxLength: 3 }),
          noExport: fc.boolean(),
        },
        { requiredKeys: [] },
      )
      .map((attributes) => ({ ...base, ...attributes })),
  );

/** An intent-like object: valid, noisy, or valid with one field replaced by noise. */
const intentLike = fc.oneof(
  validIntent,
  fc
    .tuple(
      intentFields,
      fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }), { freq: 5 }),
    )
    .map(([fields, extra]) => ({ ...extra, ...fields })),
  fc.tuple(validIntent, intentFields).map(([valid, noise]) => {
    const [key, value] = Object.entries(noise)[0] ?? ['prefix', null];
    return { ...valid, [key]: value };
  }),
);

/** JSON.stringify cannot write a number JSON.parse reads as Infinity; swap 1e309 in for null. */
function withHugeNumbers(json: string, huge: boolean): string {
  return huge ? json.replaceAll('null', '1e309') : json;
}

describe('parseIntentPayload never throws', () => {
  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => expectWellFormed(parseSafely(text))),
      RUNS,
    );
  });

  it('on strings with lone surrogates', () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));
    fc.assert(
      fc.property(fc.string({ unit: codeUnit, maxLength: 100 }), (text) => expectWellFormed(parseSafely(text))),
      RUNS,
    );
  });

  it('on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => expectWellFormed(parseSafely(Buffer.from(bytes)))),
      RUNS,
    );
  });

  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectWellFormed(parseSafely(JSON.stringify(value) ?? 'null'))),
      RUNS,
    );
  });

  it('on intent-like objects, alone, in arrays and wrapped', () => {
    const payload = fc.oneof(
      intentLike,
      fc.array(fc.oneof(intentLike, fc.jsonValue({ maxDepth: 1 })), { maxLength: 5 }),
      fc.record({ intents: fc.array(intentLike, { maxLength: 5 }) }),
    );
    const seen = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(payload, fc.boolean(), (value, huge) => {
        const result = parseSafely(withHugeNumbers(JSON.stringify(value), huge));
        expectWellFormed(result);
        for (const entry of result.ok ? result.entries : []) seen['intent' in entry ? 'accepted' : 'rejected']++;
      }),
      { numRuns: 1000 },
    );
    // The generator must reach both the valid path and the field checks, or this test proves little.
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.rejected).toBeGreaterThan(0);
  });

  it('on deep nesting, wrapped or not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('[', '{"a":'), (depth, open) => {
        const close = open === '[' ? ']' : '}';
        const text = `${open.repeat(depth)}1${close.repeat(depth)}`;
        expectWellFormed(parseSafely(text));
        expectWellFormed(parseSafely(`{"intents":[${text}]}`));
      }),
      { numRuns: 100 },
    );
  });

  it('on a 10 MB payload, refused for its size', () => {
    const huge = `[${'{"prefix":"10.0.0.0/8","nextHops":["192.0.2.1"]},'.repeat(220_000)}1]`;
    expect(huge.length).toBeGreaterThan(10_000_000);
    expect(parseSafely(huge)).toEqual({
      ok: false,
      error: `payload is larger than the limit of ${DEFAULT_INTENT_LIMITS.maxPayloadBytes} bytes`,
    });
    expect(parseSafely(Buffer.from(huge))).toMatchObject({ ok: false });
  });
});

describe('valid prefixes', () => {
  it('every IPv4 network address with its length parses back to itself', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (n, length) => {
        const network = length === 0 ? 0 : Number((BigInt(n) >> BigInt(32 - length)) << BigInt(32 - length));
        const text = `${uint32ToIpv4(network)}/${length}`;
        const result = parseIntentPayload(JSON.stringify({ prefix: text, nextHops: ['192.0.2.1'] }));
        expect(result).toMatchObject({ ok: true, entries: [{ intent: { prefix: uint32ToIpv4(network), length } }] });
      }),
      RUNS,
    );
  });
});
