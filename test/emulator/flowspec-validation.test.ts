/**
 * The emulated router checks flow routes as the wire facts document: the
 * FLOWSPEC_* statuses for bad addresses, match fields and actions, and
 * TABLE_INVALID for a table that is not a flow table of the route's family.
 */
import { describe, expect, it } from 'vitest';
import { KnownTables, Rejection, RouteValidator } from '../../src/emulator/validation.js';
import type { WirePath } from '../../src/jet/codec/index.js';

const validator = new RouteValidator(new KnownTables());

function flow(overrides: Partial<WirePath> = {}): WirePath {
  return {
    family: 'inet',
    table: 'inetflow.0',
    prefix: 'ignored',
    length: 0,
    cookie: 9n,
    nextHops: [],
    peerType: 'internal',
    flowspec: { destination: '203.0.113.0/24', destinationPorts: [{ min: 53, max: 53 }] },
    then: { discard: true },
    ...overrides,
  };
}

function statusOf(result: unknown): string {
  expect(result).toBeInstanceOf(Rejection);
  return (result as Rejection).status;
}

describe('RouteValidator with flow routes', () => {
  it('accepts a sound flow route and keys it by its canonical match', () => {
    const result = validator.path(
      flow({
        nextHops: ['192.0.2.1'],
        flowspec: {
          destinationPorts: [
            { min: 80, max: 90 },
            { min: 53, max: 53 },
            { min: 85, max: 100 },
          ],
        },
      }),
    );
    expect(result).toEqual({
      table: 'inetflow.0',
      prefix: '*,*,dstport=53,=80-100',
      length: 0,
      cookie: 9n,
      nextHops: [],
      peerType: 'internal',
      flowspec: {
        destinationPorts: [
          { min: 53, max: 53 },
          { min: 80, max: 100 },
        ],
      },
      then: { discard: true },
    });
  });

  it.each([
    ['FLOWSPEC_ADDR_INVALID', { flowspec: { destination: '203.0.113.1/24' } }],
    ['FLOWSPEC_ADDR_INVALID', { flowspec: { source: '2001:db8::/32' } }],
    ['FLOWSPEC_MTCH_FLDS_INVALID', { flowspec: {} }],
    ['FLOWSPEC_MTCH_FLDS_INVALID', { flowspec: { dscp: [{ min: 0, max: 64 }] } }],
    ['FLOWSPEC_MTCH_FLDS_INVALID', { flowspec: { ports: [{ min: 9, max: 8 }] } }],
    ['FLOWSPEC_MTCH_FLDS_INVALID', { unknownTcpBits: 0x40 }],
    ['FLOWSPEC_ACTION_INVALID', { then: undefined }],
    ['FLOWSPEC_ACTION_INVALID', { then: { discard: true, rateLimit: 100 } }],
    ['FLOWSPEC_ACTION_INVALID', { then: { markDscp: 64 } }],
    ['FLOWSPEC_ACTION_INVALID', { then: { redirect: 'no-export' } }],
    ['TABLE_INVALID', { table: 'inet.0' }],
    ['TABLE_INVALID', { table: 'inet6flow.0' }],
    ['COMMUNITY_LIST_INVALID', { communities: ['65536:1'] }],
  ] as Array<[string, Partial<WirePath>]>)('answers %s for %j', (status, overrides) => {
    expect(statusOf(validator.path(flow(overrides)))).toBe(status);
  });
});
