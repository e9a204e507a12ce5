import { describe, expect, it } from 'vitest';
import { DEFAULT_INTENT_LIMITS } from '../../src/intent/intent.js';
import { parseRouteQuery, queriedRoute } from '../../src/pipeline/query.js';

const parse = (payload: string) => parseRouteQuery(Buffer.from(payload), DEFAULT_INTENT_LIMITS);

describe('parseRouteQuery', () => {
  it('asks for every route when the payload is empty or {}', () => {
    expect(parse('')).toEqual({ ok: true, query: { match: {} } });
    expect(parse('{}')).toEqual({ ok: true, query: { match: {} } });
  });

  it('reads a prefix in canonical form, with the family table by default', () => {
    expect(parse('{"id": "q", "prefix": "2001:DB8::/32", "orLonger": true}')).toEqual({
      ok: true,
      query: { id: 'q', match: { table: 'inet6.0', prefix: '2001:db8::', length: 32, orLonger: true } },
    });
  });

  it('names the field and the reason of a bad query', () => {
    expect(parse('{"prefix": "10.0.0.0/33"}')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^payload\.prefix: .*out of range/),
    });
    expect(parse('{"prefix": "10.0.0.0/8", "table": "inet6.0"}')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^payload\.table: inet6\.0 holds IPv6/),
    });
    expect(parse('{"orLonger": true}')).toMatchObject({
      ok: false,
      error: 'payload.orLonger: needs a prefix to widen',
    });
    expect(parse('{"prefx": "10.0.0.0/8"}')).toMatchObject({ ok: false, error: 'payload.prefx: unknown field' });
    expect(parse('[1]')).toMatchObject({ ok: false, error: expect.stringMatching(/^payload: expected an object/) });
    expect(parse('{')).toMatchObject({ ok: false, error: expect.stringMatching(/^payload is not JSON/) });
  });

  it('keeps the id of a bad query so the answer can be matched', () => {
    expect(parse('{"id": "q7", "table": "nope"}')).toMatchObject({ ok: false, id: 'q7' });
  });
});

describe('queriedRoute', () => {
  it('shows the prefix with its length and the 64-bit cookie as decimal text', () => {
    const cookie = 2n ** 64n - 2n;
    expect(
      queriedRoute({ table: 'inet.0', prefix: '10.1.0.0', length: 24, cookie, nextHops: ['192.0.2.1'], med: 5 }),
    ).toEqual({
      prefix: '10.1.0.0/24',
      table: 'inet.0',
      nextHops: ['192.0.2.1'],
      cookie: '18446744073709551614',
      med: 5,
    });
  });
});
