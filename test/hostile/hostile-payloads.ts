/**
 * What a hostile or careless MQTT publisher may send as an intent payload, as
 * fast-check arbitraries of raw bytes: random JSON, wrong types, huge and odd
 * numbers, deep nesting, invalid UTF-8, prototype tricks, duplicate keys, prefix
 * edge cases and arrays mixing all of it with valid intents. Several of them are
 * valid intents for prefixes outside the test policy (10.0.0.0/8 le 32 and
 * 2001:db8::/32 le 64), which the bridge must refuse.
 */
import fc from 'fast-check';

/** Prefix texts at the edges of syntax and policy, inside and outside it. */
export const PREFIX_EDGE_CASES: readonly string[] = [
  // inside the policy
  '10.0.0.0/8',
  '10.1.2.0/24',
  '10.255.255.255/32',
  '2001:db8::/32',
  '2001:db8:1::/48',
  '2001:db8:0:0:0:0:0:0/64',
  '2001:DB8:ab::/48',
  // lengths out of range or out of policy
  '10.0.0.0/33',
  '10.0.0.0/7',
  '2001:db8::/31',
  '2001:db8::/65',
  '2001:db8::/128',
  '2001:db8::/129',
  '10.0.0.0/-1',
  '10.0.0.0/',
  '/24',
  '10.0.0.0/024',
  '10.0.0.0/08',
  '10.0.0.0/2.4',
  '10.0.0.0/1e1',
  '10.0.0.0/24/24',
  '10.0.0.0/ 24',
  ' 10.0.0.0/24',
  '10.0.0.0/24 ',
  '10.0.0.0/24\u0000',
  // host bits, leading zeros, other spellings of an address
  '10.1.2.3/24',
  '2001:db8::1/64',
  '010.0.0.0/8',
  '10.01.0.0/16',
  '0x0a.0.0.0/8',
  '0xa000000/8',
  '167772160/8',
  '10.0.0/24',
  '10.0.0.0.0/24',
  '10.0.0.256/32',
  '2001:0db8::/48',
  '2001:db8:::/48',
  '[2001:db8::]/48',
  'fe80::1%eth0/64',
  '\u0661\u0660.0.0.0/8',
  '10.0.0.0\uff0f24',
  // outside the policy
  '0.0.0.0/0',
  '::/0',
  '11.0.0.0/8',
  '9.255.255.255/32',
  '192.168.0.0/16',
  '2001:db9::/32',
  // IPv4 in IPv6 clothing: not inside 10.0.0.0/8 as far as the policy is concerned
  '::ffff:10.0.0.1/128',
  '::ffff:10.0.0.0/104',
  '::ffff:a00:0/104',
  '::ffff:10.1.2.0/120',
  '::10.0.0.1/128',
  '64:ff9b::10.0.0.1/128',
  '2001:db8::10.0.0.1/128',
];

const HUGE_NUMBERS = [
  '1e400',
  '-1e400',
  '1e308',
  '4294967296',
  '18446744073709551616',
  '123456789012345678901234567890',
  '-1',
  '-0',
  '1.5',
  '0.0000001',
  '9007199254740993',
];

const anyPrefix: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...PREFIX_EDGE_CASES),
  fc.tuple(fc.ipV4(), fc.integer({ min: -1, max: 40 })).map(([ip, len]) => `${ip}/${len}`),
  fc.tuple(fc.ipV4Extended(), fc.integer({ min: 0, max: 32 })).map(([ip, len]) => `${ip}/${len}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: -1, max: 140 })).map(([ip, len]) => `${ip}/${len}`),
  // Inside 10/8 with a random length: valid only without host bits.
  fc
    .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.integer({ min: 8, max: 32 }))
    .map(([a, b, c, len]) => `10.${a}.${b}.${c}/${len}`),
  fc.string({ maxLength: 40 }),
);

const anyAddress: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '192.0.2.1',
    '192.0.2.2',
    '2001:db8::1',
    '10.0.0.300',
    '0.0.0.0',
    '255.255.255.255',
    '::',
    '::ffff:192.0.2.1',
    '192.0.2.1/32',
    '',
  ),
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4Extended(),
  fc.string({ maxLength: 20 }),
);

/** A value of some other type than the field wants. */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 30 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }),
);

/** Mostly the right kind of value, sometimes anything. */
function mostly(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: wrongType });
}

const uint32ish = fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, -1, 1.5, Number.MAX_SAFE_INTEGER, 1e308));

/** Intent-shaped objects: every field optional, values right, wrong or at the edges. */
const intentObject: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    id: mostly(fc.string({ maxLength: 300 })),
    action: mostly(fc.constantFrom('announce', 'withdraw', 'ANNOUNCE', 'delete', '')),
    prefix: mostly(anyPrefix),
    table: mostly(
      fc.constantFrom('inet.0', 'inet6.0', 'inet.3', 'mpls.0', 'blue.inet.0', 'inet.0\u0000', '../inet.0', ''),
    ),
    nextHops: mostly(fc.array(anyAddress, { maxLength: 70 })),
    localPref: mostly(uint32ish),
    routePref: mostly(uint32ish),
    med: mostly(uint32ish),
    asPath: mostly(
      fc.oneof(
        fc.constantFrom('65000 65001', '65000 [1 2]', '(1 2) 3', '[1', '4294967296', ' '.repeat(300)),
        fc.string({ maxLength: 60 }),
      ),
    ),
    communities: mostly(
      fc.array(
        fc.oneof(
          fc.constantFrom('65000:1', 'no-export', 'large:1:2:3', '65536:1', ':', 'target:1'),
          fc.string({ maxLength: 12 }),
        ),
        { maxLength: 70 },
      ),
    ),
    originatorId: mostly(anyAddress),
    clusterList: mostly(fc.array(anyAddress, { maxLength: 70 })),
    peerType: mostly(fc.constantFrom('internal', 'external', 'confederation')),
    noAdvertise: mostly(fc.boolean()),
    noExport: mostly(fc.boolean()),
  },
  { requiredKeys: [] },
);

/** Valid intents, about half of them outside the policy. */
const validIntent: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.constantFrom(
      ...PREFIX_EDGE_CASES.slice(0, 7),
      '0.0.0.0/0',
      '11.0.0.0/8',
      '192.168.0.0/16',
      '2001:db9::/32',
      '::ffff:10.0.0.0/104',
      '10.0.0.0/7',
    ),
    fc.nat(20),
  )
  .map(([prefix, n]) => ({
    id: `valid-${n}`,
    prefix,
    nextHops: [prefix.includes(':') ? `2001:db8::${n + 1}` : `192.0.2.${n + 1}`],
  }));

const messageObject: fc.Arbitrary<unknown> = fc.oneof(
  intentObject,
  validIntent,
  fc.array(fc.oneof(intentObject, validIntent, fc.jsonValue({ maxDepth: 2 })), { maxLength: 30 }),
  fc.array(fc.oneof(intentObject, validIntent), { maxLength: 30 }).map((intents) => ({ intents })),
  fc.record({ intents: wrongType }),
  fc.jsonValue(),
);

/** JSON texts a serializer would not write. */
const craftedText: fc.Arbitrary<string> = fc.oneof(
  fc.json(),
  fc.constantFrom(
    '',
    ' ',
    'null',
    'true',
    '0',
    '""',
    '[]',
    '{}',
    '{"intents":[]}',
    '{"intents":null}',
    '[[]]',
    '\uFEFF{"prefix":"10.0.0.0/24","nextHops":["192.0.2.1"]}',
    '{"prefix":"10.0.0.0/24"',
    '{"prefix":"10.0.0.0/24",}',
    "{'prefix':'10.0.0.0/24'}",
  ),
  // A huge or odd number in a numeric field.
  fc
    .tuple(fc.constantFrom('localPref', 'med', 'routePref'), fc.constantFrom(...HUGE_NUMBERS))
    .map(([field, num]) => `{"prefix":"10.9.0.0/16","nextHops":["192.0.2.1"],"${field}":${num}}`),
  // Duplicate keys: JSON.parse keeps the last one.
  fc
    .tuple(fc.constantFrom(...PREFIX_EDGE_CASES), fc.constantFrom(...PREFIX_EDGE_CASES))
    .map(([a, b]) => `{"prefix":${JSON.stringify(a)},"nextHops":["192.0.2.1"],"prefix":${JSON.stringify(b)}}`),
  // Prototype tricks.
  fc.constantFrom(
    '{"__proto__":{"prefix":"0.0.0.0/0"},"nextHops":["192.0.2.1"]}',
    '{"prefix":"10.2.0.0/16","nextHops":["192.0.2.1"],"__proto__":{"table":"inet.3"}}',
    '{"constructor":{"prototype":{"prefix":"0.0.0.0/0"}},"prefix":"10.3.0.0/16","nextHops":["192.0.2.1"]}',
    '[{"__proto__":[]},{"prefix":"0.0.0.0/0","nextHops":["192.0.2.1"]}]',
  ),
  // Deep nesting, balanced and not.
  fc
    .tuple(fc.integer({ min: 2, max: 50_000 }), fc.constantFrom('[', '{"a":'), fc.boolean())
    .map(([depth, open, balanced]) => {
      const close = open === '[' ? ']' : '}';
      const core = open === '[' ? '' : '1';
      return `${open.repeat(depth)}${core}${balanced ? close.repeat(depth) : ''}`;
    }),
);

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Bytes that are not UTF-8: random ones, or invalid sequences inside an otherwise valid intent. */
const invalidUtf8: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc
    .constantFrom(
      [0xc3, 0x28],
      [0xa0, 0xa1],
      [0xe2, 0x28, 0xa1],
      [0xf0, 0x28, 0x8c, 0x28],
      [0xff],
      [0xfe, 0xff],
      [0xed, 0xa0, 0x80],
      [0xc0, 0xaf],
    )
    .map((bad) =>
      Buffer.concat([utf8('{"prefix":"10.4.0.0/16'), Buffer.from(bad), utf8('","nextHops":["192.0.2.1"]}')]),
    ),
);

/** One hostile payload. */
export const hostilePayload: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: messageObject.map((value) => utf8(JSON.stringify(value) ?? 'undefined')) },
  { weight: 3, arbitrary: craftedText.map(utf8) },
  { weight: 1, arbitrary: invalidUtf8 },
);
