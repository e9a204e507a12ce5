import { describe, expect, it } from 'vitest';
import { DEFAULT_INTENT_LIMITS, type Intent, type IntentLimits } from '../../src/intent/intent.js';
import { jsonNestingExceeds, parseIntentPayload, type PayloadEntry } from '../../src/intent/parse.js';

const announce = { prefix: '10.123.0.0/24', nextHops: ['192.0.2.1'] };

/** Parses a payload that must be accepted as a message and returns its entries. */
function entries(payload: unknown, limits: IntentLimits = DEFAULT_INTENT_LIMITS): PayloadEntry[] {
  const result = parseIntentPayload(typeof payload === 'string' ? payload : JSON.stringify(payload), limits);
  if (!result.ok) throw new Error(`message rejected: ${result.error}`);
  return result.entries;
}

/** The one intent of a single-intent payload, which must be valid. */
function intentOf(payload: object): Intent {
  const [entry] = entries(payload);
  if (!entry || !('intent' in entry)) throw new Error(`intent rejected: ${JSON.stringify(entry)}`);
  return entry.intent;
}

/** The error of a single-intent payload, which must be invalid. */
function errorOf(payload: object): string {
  const [entry] = entries(payload);
  if (!entry || !('error' in entry)) throw new Error('intent accepted');
  return entry.error;
}

function messageError(payload: Buffer | string, limits: IntentLimits = DEFAULT_INTENT_LIMITS): string {
  const result = parseIntentPayload(payload, limits);
  if (result.ok) throw new Error('message accepted');
  return result.error;
}

describe('a valid intent', () => {
  it('defaults action to announce and the table by family', () => {
    expect(intentOf(announce)).toEqual({
      action: 'announce',
      table: 'inet.0',
      family: 'inet',
      prefix: '10.123.0.0',
      length: 24,
      nextHops: ['192.0.2.1'],
      attributes: {},
    });
    expect(intentOf({ prefix: '2001:db8::/48', nextHops: ['2001:db8::1'] })).toMatchObject({
      table: 'inet6.0',
      family: 'inet6',
    });
  });

  it('carries every attribute, with addresses in canonical form', () => {
    const intent = intentOf({
      id: 'req-1',
      action: 'announce',
      prefix: '2001:DB8:1::/48',
      table: 'blue.inet6.0',
      nextHops: ['2001:DB8::1', '2001:db8::2'],
      localPref: 200,
      routePref: 170,
      med: 0,
      asPath: '65000 [65001 65002]',
      communities: ['65000:100', 'no-export', 'target:65000:1', 'large:1:2:3'],
      originatorId: '192.0.2.9',
      clusterList: ['192.0.2.10', '192.0.2.11'],
      peerType: 'external',
      noAdvertise: false,
      noExport: true,
    });
    expect(intent).toEqual({
      id: 'req-1',
      action: 'announce',
      table: 'blue.inet6.0',
      family: 'inet6',
      prefix: '2001:db8:1::',
      length: 48,
      nextHops: ['2001:db8::1', '2001:db8::2'],
      attributes: {
        localPref: 200,
        routePref: 170,
        med: 0,
        asPath: '65000 [65001 65002]',
        communities: ['65000:100', 'no-export', 'target:65000:1', 'large:1:2:3'],
        originatorId: '192.0.2.9',
        clusterList: ['192.0.2.10', '192.0.2.11'],
        peerType: 'external',
        noAdvertise: false,
        noExport: true,
      },
    });
  });

  it('accepts a withdraw without next hops (every path of the prefix)', () => {
    expect(intentOf({ action: 'withdraw', prefix: '10.123.0.0/24' })).toMatchObject({
      action: 'withdraw',
      nextHops: [],
    });
  });

  it('accepts a withdraw naming the next hops to remove', () => {
    expect(intentOf({ action: 'withdraw', prefix: '10.123.0.0/24', nextHops: ['192.0.2.1'] }).nextHops).toEqual([
      '192.0.2.1',
    ]);
  });

  it('accepts uint32 limits exactly', () => {
    expect(intentOf({ ...announce, localPref: 4294967295, med: 0 }).attributes).toEqual({
      localPref: 4294967295,
      med: 0,
    });
  });
});

describe('payload shapes', () => {
  it('takes a single object, an array, or {"intents": [...]}', () => {
    const second = { ...announce, prefix: '10.124.0.0/24' };
    for (const payload of [[announce, second], { intents: [announce, second] }]) {
      const parsed = entries(payload);
      expect(parsed.map((entry) => entry.index)).toEqual([0, 1]);
      expect(parsed.every((entry) => 'intent' in entry)).toBe(true);
    }
    expect(entries(announce)).toHaveLength(1);
  });

  it('takes a batch id next to "intents" and returns it, leaving each intent its own id', () => {
    const parsed = parseIntentPayload(JSON.stringify({ id: 'b-7', intents: [{ ...announce, id: 'a-1' }, announce] }));
    expect(parsed).toMatchObject({ ok: true, id: 'b-7' });
    const [first, second] = parsed.ok ? parsed.entries : [];
    expect(first && 'intent' in first && first.intent.id).toBe('a-1');
    expect(second && 'intent' in second && second.intent.id).toBeUndefined();
    expect(parseIntentPayload(JSON.stringify({ intents: [announce] }))).not.toHaveProperty('id');
  });

  it('refuses a batch id that is not a non-empty string, naming it', () => {
    expect(messageError(JSON.stringify({ id: 7, intents: [announce] }))).toBe(
      'payload.id: the batch id must be a non-empty string, got number',
    );
    expect(messageError(JSON.stringify({ id: '', intents: [announce] }))).toBe(
      'payload.id: the batch id must be a non-empty string, got an empty string',
    );
  });

  it('accepts a Buffer as well as a string', () => {
    const result = parseIntentPayload(Buffer.from(JSON.stringify(announce)));
    expect(result.ok && result.entries[0] && 'intent' in result.entries[0]).toBe(true);
  });

  it('rejects other top-level values as a message', () => {
    expect(messageError('42')).toBe(
      'payload: expected an intent object, an array of intents, or {"intents": [...]}, got number',
    );
    expect(messageError('null')).toContain('got null');
    expect(messageError('"10.0.0.0/8"')).toContain('got string');
    expect(messageError('{"intents": {}}')).toBe('payload: "intents" must be an array');
    expect(messageError(JSON.stringify({ intents: [announce], prefix: '10.0.0.0/8' }))).toContain(
      '"prefix" is not allowed next to "intents"',
    );
    expect(messageError('[]')).toBe('payload holds no intents');
    expect(messageError('{"intents": []}')).toBe('payload holds no intents');
  });

  it('rejects what is not JSON or not UTF-8', () => {
    expect(messageError('{"prefix": ')).toMatch(/^payload is not JSON: /);
    expect(messageError('')).toBe('payload is empty');
    expect(messageError(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))).toBe('payload is not valid UTF-8');
  });

  it('names the index of a non-object inside a list', () => {
    const parsed = entries([announce, 'hello', null, [announce]]);
    expect(parsed.map((entry) => ('error' in entry ? entry.error : 'ok'))).toEqual([
      'ok',
      'intents[1]: expected an intent object, got string',
      'intents[2]: expected an intent object, got null',
      'intents[3]: expected an intent object, got an array',
    ]);
  });
});

describe('per-intent errors', () => {
  it('fail only the bad intent, name its field, and keep the others', () => {
    const parsed = entries({
      intents: [
        announce,
        { ...announce, prefix: '10.1.0.0/16' },
        { ...announce, prefix: '10.2.0.0/16' },
        { id: 'bad', prefix: '10.3.0.0/16', nextHops: ['10.0.0.1', '10.0.0.300'] },
      ],
    });
    expect(parsed.slice(0, 3).every((entry) => 'intent' in entry)).toBe(true);
    expect(parsed[3]).toEqual({
      index: 3,
      id: 'bad',
      prefix: '10.3.0.0/16',
      error: 'intents[3].nextHops[1]: "10.0.0.300" is not an IPv4 address: octet 300 is out of range 0..255',
    });
  });

  it('name the field of a lone intent without an index', () => {
    expect(errorOf({ ...announce, med: -1 })).toBe('med: must be at least 0, got number -1');
  });

  it.each([
    [
      { ...announce, prefix: '10.0.0.0/33' },
      'prefix: "10.0.0.0/33" is not a valid prefix: length 33 is out of range for IPv4 (0..32)',
    ],
    [
      { ...announce, prefix: '010.1.1.0/24' },
      'prefix: "010.1.1.0/24" is not a valid prefix: octet "010" has a leading zero',
    ],
    [
      { ...announce, prefix: '10.1.1.1/24' },
      'prefix: "10.1.1.1/24" is not a valid prefix: host bits set; did you mean 10.1.1.0/24?',
    ],
    [{ ...announce, prefix: '::ffff:10.0.0.0/104' }, 'IPv4-mapped IPv6 prefixes are not supported; use 10.0.0.0/8'],
    [{ ...announce, prefix: 10 }, 'prefix: expected a string, got number 10'],
    [{ nextHops: ['192.0.2.1'] }, 'prefix: is required'],
    [{ ...announce, localPref: 2 ** 40 }, 'localPref: must be at most 4294967295, got number 1099511627776'],
    [{ ...announce, routePref: 1.5 }, 'routePref: expected an integer, got number 1.5'],
    [{ ...announce, med: '10' }, 'med: expected a number, got string "10"'],
    [{ ...announce, localPref: null }, 'localPref: expected a number, got null'],
    [{ ...announce, action: 'add' }, 'action: expected "announce" or "withdraw", got string "add"'],
    [{ ...announce, peerType: 'ibgp' }, 'peerType: expected "internal" or "external", got string "ibgp"'],
    [{ ...announce, noExport: 'yes' }, 'noExport: expected a boolean (true or false), got string "yes"'],
    [{ ...announce, nexthop: '192.0.2.1' }, 'nexthop: unknown field'],
    [{ prefix: '10.0.0.0/8' }, 'nextHops: is required to announce a route'],
    [{ ...announce, nextHops: [] }, 'nextHops: must not be empty to announce a route'],
    [{ ...announce, nextHops: '192.0.2.1' }, 'nextHops: expected an array, got string "192.0.2.1"'],
    [
      { ...announce, nextHops: ['2001:db8::1'] },
      'nextHops[0]: "2001:db8::1" is not an IPv4 address: it is an IPv6 address',
    ],
    [{ ...announce, nextHops: ['192.0.2.1', '192.0.2.1'] }, 'nextHops[1]: "192.0.2.1" repeats nextHops[0]'],
    [
      { prefix: '2001:db8::/32', nextHops: ['2001:DB8::1', '2001:db8::1'] },
      'nextHops[1]: "2001:db8::1" repeats nextHops[0]',
    ],
    [{ ...announce, table: 'inet6.0' }, 'table: inet6.0 holds IPv6 routes but prefix 10.123.0.0/24 is IPv4'],
    [{ ...announce, table: 'mpls.0' }, 'table: "mpls.0" is not a unicast routing table'],
    [{ ...announce, table: '' }, 'table: must not be empty'],
    [{ ...announce, id: '' }, 'id: must not be empty'],
    [
      { ...announce, communities: ['65000:70000'] },
      'communities[0]: "65000:70000" is not a community: "70000" is not a number 0..65535',
    ],
    [{ ...announce, asPath: '65000 [65001' }, 'asPath: "65000 [65001" is not an AS path: "[" is never closed'],
    [{ ...announce, originatorId: '2001:db8::1' }, 'originatorId: "2001:db8::1" is not an IPv4 address'],
    [{ ...announce, clusterList: ['192.0.2.1', 'x'] }, 'clusterList[1]: "x" is not an IPv4 address'],
  ])('%j → %s', (payload, expected) => {
    expect(errorOf(payload)).toContain(expected);
  });

  it('turns out-of-range JSON numbers such as 1e309 into a clear error', () => {
    const [entry] = entries(`{"prefix": "10.0.0.0/8", "nextHops": ["192.0.2.1"], "localPref": 1e309}`);
    expect(entry).toMatchObject({ error: 'localPref: expected a number, got Infinity (out of range)' });
  });

  it('lists several problems of one intent in one line', () => {
    const error = errorOf({ prefix: '10.1.1.1/24', nextHops: ['192.0.2.1'], bogus: 1, localPref: -5 });
    expect(error).toBe('localPref: must be at least 0, got number -5; bogus: unknown field');
  });

  it('cuts a long list of problems short', () => {
    const error = errorOf({ ...announce, a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 });
    expect(error).toMatch(/; and 2 more problems$/);
  });

  it('keeps a long id out of the correlation fields', () => {
    const [entry] = entries({ id: 'x'.repeat(1000), prefix: 5 });
    expect(entry).toEqual({
      index: 0,
      error: expect.stringContaining('id: must be at most 256 characters long (got 1000)'),
    });
  });

  it('does not treat __proto__ as anything but an unknown field', () => {
    const [entry] = entries(`{"prefix":"10.0.0.0/8","nextHops":["192.0.2.1"],"__proto__":{"action":"withdraw"}}`);
    expect(entry).toEqual({ index: 0, prefix: '10.0.0.0/8', error: '__proto__: unknown field' });
  });
});

describe('limits', () => {
  const tight: IntentLimits = {
    maxPayloadBytes: 2000,
    maxIntentsPerMessage: 3,
    maxStringLength: 20,
    maxNextHops: 2,
    maxAsPathLength: 3,
    maxCommunities: 2,
    maxDepth: 4,
  };

  it('has the documented defaults', () => {
    expect(DEFAULT_INTENT_LIMITS).toEqual({
      maxPayloadBytes: 1048576,
      maxIntentsPerMessage: 10000,
      maxStringLength: 256,
      maxNextHops: 64,
      maxAsPathLength: 64,
      maxCommunities: 64,
      maxDepth: 8,
    });
  });

  it('rejects a payload over the size limit before decoding it', () => {
    expect(messageError('x'.repeat(2001), tight)).toBe('payload is larger than the limit of 2000 bytes');
    // 700 three-byte characters: few characters, too many bytes.
    expect(messageError(`"${'€'.repeat(700)}"`, tight)).toBe('payload is larger than the limit of 2000 bytes');
    expect(messageError(Buffer.alloc(2001, 0x20), tight)).toBe('payload is larger than the limit of 2000 bytes');
  });

  it('rejects too many intents as a message', () => {
    expect(messageError(JSON.stringify([announce, announce, announce, announce]), tight)).toBe(
      'payload holds 4 intents, more than the limit of 3',
    );
  });

  it('rejects deep nesting before parsing', () => {
    expect(messageError('[[[[[1]]]]]', tight)).toBe('payload nests deeper than the limit of 4 levels');
    expect(messageError(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toBe(
      'payload nests deeper than the limit of 8 levels',
    );
  });

  it('bounds every list and string of an intent', () => {
    const ok = { prefix: '10.0.0.0/8', nextHops: ['192.0.2.1'] };
    const parse = (payload: object) => {
      const result = parseIntentPayload(JSON.stringify(payload), tight);
      return result.ok && result.entries[0] && 'error' in result.entries[0] ? result.entries[0].error : 'accepted';
    };
    expect(parse({ ...ok, nextHops: ['192.0.2.1', '192.0.2.2', '192.0.2.3'] })).toBe(
      'nextHops: must have at most 2 items (got 3)',
    );
    expect(parse({ ...ok, communities: ['1:1', '1:2', '1:3'] })).toBe('communities: must have at most 2 items (got 3)');
    expect(parse({ ...ok, asPath: '1 2 3 4' })).toBe('asPath: "1 2 3 4" is not an AS path: more than 3 AS numbers');
    expect(parse({ ...ok, clusterList: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] })).toBe(
      'clusterList: must have at most 3 items (got 4)',
    );
    expect(parse({ ...ok, id: 'x'.repeat(21) })).toBe('id: must be at most 20 characters long (got 21)');
    expect(parse({ ...ok, asPath: '1 2 3' })).toBe('accepted');
  });
});

describe('jsonNestingExceeds', () => {
  it('counts arrays and objects but not brackets inside strings', () => {
    expect(jsonNestingExceeds('[{"a": [1]}]', 3)).toBe(false);
    expect(jsonNestingExceeds('[{"a": [[1]]}]', 3)).toBe(true);
    expect(jsonNestingExceeds('["[[[[[[", "\\"[[[[["]', 1)).toBe(false);
  });
});
