/**
 * FlowSpec intents: the match reads as operators write it (names, ranges,
 * bounds), comes out canonical so every spelling of one match has one key, and
 * every fault names its field.
 */
import { describe, expect, it } from 'vitest';
import { parseIntentPayload, type PayloadEntry } from '../../src/intent/parse.js';
import { intentToPaths, pathCookie } from '../../src/intent/route-key.js';

function one(intent: unknown): PayloadEntry {
  const parsed = parseIntentPayload(JSON.stringify(intent));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.entries[0]!;
}

function errorOf(intent: unknown): string {
  const entry = one(intent);
  if (!('error' in entry)) throw new Error('expected the intent to be refused');
  return entry.error;
}

function keyOf(intent: unknown): string {
  const entry = one(intent);
  if (!('intent' in entry)) throw new Error(entry.error);
  return entry.intent.prefix;
}

describe('FlowSpec intents', () => {
  it('parses the issue example into a flow intent for inetflow.0 keyed by its match', () => {
    const entry = one({
      id: 'ddos-17',
      flowspec: {
        destination: '203.0.113.0/24',
        source: '198.51.100.7/32',
        protocols: ['udp'],
        destinationPorts: [53],
      },
      then: { rateLimit: 1000000 },
    });

    expect(entry).toEqual({
      index: 0,
      intent: {
        id: 'ddos-17',
        action: 'announce',
        table: 'inetflow.0',
        family: 'inet',
        prefix: '203.0.113.0/24,198.51.100.7/32,proto=17,dstport=53',
        length: 0,
        nextHops: [],
        attributes: { then: { rateLimit: 1000000 } },
        flowspec: {
          destination: '203.0.113.0/24',
          source: '198.51.100.7/32',
          protocols: [{ min: 17, max: 17 }],
          destinationPorts: [{ min: 53, max: 53 }],
        },
      },
    });
  });

  it('gives one key to every spelling of one match: order, names, merged ranges, bounds', () => {
    const a = keyOf({
      flowspec: { destinationPorts: [80, '81-90', 443], protocols: ['tcp', 17], tcpFlags: ['ack', 'syn'] },
      then: { discard: true },
    });
    const b = keyOf({
      flowspec: { tcpFlags: ['syn', 'ack'], protocols: ['udp', 6], destinationPorts: ['443', '80-90'] },
      then: { discard: true },
    });
    expect(a).toBe(b);
    expect(a).toBe('*,*,proto=6,=17,dstport=80-90,=443,tcp-flag=syn:ack');
    expect(keyOf({ flowspec: { ports: ['>=1024'], packetLengths: ['<100'] }, then: { sample: true } })).toBe(
      '*,*,port=1024-65535,len=0-99',
    );
  });

  it('takes the family from the addresses and the table', () => {
    const v6 = one({ flowspec: { source: '2001:db8::1/128' }, then: { discard: true } });
    expect(v6).toMatchObject({ intent: { table: 'inet6flow.0', family: 'inet6' } });
    const byTable = one({ table: 'inet6flow.0', flowspec: { protocols: ['icmpv6'] }, then: { discard: true } });
    expect(byTable).toMatchObject({ intent: { table: 'inet6flow.0', family: 'inet6' } });
  });

  it('withdraws by match alone', () => {
    const entry = one({ action: 'withdraw', flowspec: { destination: '203.0.113.0/24' } });
    expect(entry).toMatchObject({ intent: { action: 'withdraw', attributes: {}, prefix: '203.0.113.0/24,*' } });
  });

  it.each([
    [{ flowspec: {}, then: { discard: true } }, 'flowspec: needs at least one match field'],
    [{ flowspec: { destination: '203.0.113.1/24' }, then: { discard: true } }, 'flowspec.destination:'],
    [
      { flowspec: { destinationPorts: [70000] }, then: { discard: true } },
      'flowspec.destinationPorts[0]: "70000" is out of range 0..65535',
    ],
    [
      { flowspec: { protocols: ['carrier-pigeon'] }, then: { discard: true } },
      'flowspec.protocols[0]: "carrier-pigeon" is not a value',
    ],
    [{ flowspec: { dscp: ['10-5'] }, then: { discard: true } }, 'flowspec.dscp[0]: "10-5" starts above its end'],
    [{ flowspec: { tcpFlags: ['xmas'] }, then: { discard: true } }, 'flowspec.tcpFlags[0]:'],
    [
      { flowspec: { destination: '203.0.113.0/24', source: '2001:db8::/32' }, then: { discard: true } },
      'flowspec.source: 2001:db8::/32 is IPv6',
    ],
    [{ flowspec: { destination: '203.0.113.0/24' } }, 'then: is required to announce a flow route'],
    [{ flowspec: { destination: '203.0.113.0/24' }, then: {} }, 'then: needs at least one action'],
    [
      { flowspec: { destination: '203.0.113.0/24' }, then: { discard: true, rateLimit: 5 } },
      'then: discard and rateLimit cannot be combined',
    ],
    [
      { flowspec: { destination: '203.0.113.0/24' }, then: { redirect: '65000:1' } },
      'then.redirect: "65000:1" is not a route target',
    ],
    [{ flowspec: { destination: '203.0.113.0/24' }, then: { markDscp: 64 } }, 'then.markDscp: must be at most 63'],
    [{ flowspec: { destination: '203.0.113.0/24' }, then: { rateLimit: 0 } }, 'then.rateLimit: must be at least 1'],
    [
      { flowspec: { destination: '203.0.113.0/24' }, then: { discard: true }, nextHops: ['10.0.0.1'] },
      'nextHops: unknown field',
    ],
    [
      { table: 'inet.0', flowspec: { destination: '203.0.113.0/24' }, then: { discard: true } },
      'table: "inet.0" is not a flow table',
    ],
    [
      { action: 'withdraw', flowspec: { destination: '203.0.113.0/24' }, then: { discard: true } },
      'then: a withdraw names the match only',
    ],
  ])('refuses %j naming the field', (intent, message) => {
    expect(errorOf(intent)).toContain(message);
  });

  it('programs one path without next hops whose cookie comes from device, table and match', () => {
    const entry = one({ flowspec: { destination: '203.0.113.0/24' }, then: { discard: true } });
    if (!('intent' in entry)) throw new Error(entry.error);
    const paths = intentToPaths('r1', entry.intent);
    expect(paths).toEqual([
      {
        table: 'inetflow.0',
        prefix: '203.0.113.0/24,*',
        length: 0,
        nextHops: [],
        cookie: pathCookie('r1', 'inetflow.0', '203.0.113.0/24,*', 0, ''),
        flowspec: { destination: '203.0.113.0/24' },
        then: { discard: true },
      },
    ]);
  });
});
