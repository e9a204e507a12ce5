import { describe, expect, it } from 'vitest';
import { intentRequest, replyIds } from '../../src/cli/intent-request.js';

const ids = () => {
  let n = 0;
  return () => `gen-${++n}`;
};

describe('intentRequest', () => {
  it('gives a lone intent an id and correlates by it', () => {
    expect(intentRequest({ prefix: '10.1.0.0/24' }, ids(), 'x')).toEqual({
      payload: { prefix: '10.1.0.0/24', id: 'gen-1' },
      correlationId: 'gen-1',
    });
  });

  it("keeps a lone intent's own id", () => {
    expect(intentRequest({ id: 'mine', prefix: '10.1.0.0/24' }, ids(), 'x')).toEqual({
      payload: { id: 'mine', prefix: '10.1.0.0/24' },
      correlationId: 'mine',
    });
  });

  it('wraps a list in the intents envelope, without an envelope id, correlating by the first intent', () => {
    const request = intentRequest([{ prefix: '10.1.0.0/24' }, { prefix: '10.2.0.0/24' }], ids(), 'x');
    expect(request).toEqual({
      payload: { intents: [{ prefix: '10.1.0.0/24', id: 'gen-1' }, { prefix: '10.2.0.0/24' }] },
      correlationId: 'gen-1',
    });
  });

  it("takes the envelope form as given, and the first intent's own id", () => {
    const request = intentRequest({ intents: [{ id: 'a', prefix: '10.1.0.0/24' }] }, ids(), 'x');
    expect(request).toEqual({ payload: { intents: [{ id: 'a', prefix: '10.1.0.0/24' }] }, correlationId: 'a' });
  });

  it.each([
    ['nothing to send', [], 'f.json holds no intents'],
    ['a first entry that is not an intent', [42], 'f.json: intents[0] must be an intent object'],
    ['an envelope with other keys', { id: 'x', intents: [{}] }, 'f.json: "id" is not allowed next to "intents"'],
    ['an envelope whose intents is not a list', { intents: {} }, 'f.json: "intents" must be an array'],
    [
      'a value that is no intent at all',
      'text',
      'f.json: expected an intent object, an array of intents, or {"intents": [...]}',
    ],
    ['an id that is not a string', { id: 7, prefix: '10.1.0.0/24' }, 'f.json: id must be a non-empty string'],
    ['an empty id on the first of a list', [{ id: '' }], 'f.json: intents[0].id must be a non-empty string'],
  ])('refuses %s as a usage error', (_case, parsed, message) => {
    expect(() => intentRequest(parsed, ids(), 'f.json')).toThrow(expect.objectContaining({ code: 2, message }));
  });
});

describe('replyIds', () => {
  it("reads the message's id, then its first result's", () => {
    expect(replyIds({ id: 'm', results: [{ id: 'r0' }, { id: 'r1' }] })).toEqual(['m', 'r0']);
    expect(replyIds({ ok: true, results: [{ id: 'r0' }] })).toEqual(['r0']);
  });

  it('finds none in a reply without ids', () => {
    expect(replyIds({ ok: false, results: [] })).toEqual([]);
    expect(replyIds('not an object')).toEqual([]);
    expect(replyIds(undefined)).toEqual([]);
  });
});
