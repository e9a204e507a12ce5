import { describe, expect, it } from 'vitest';
import { malformedNotification, normalizeNotification } from '../../src/events/notify-event.js';

const topic = '/junos/events/kernel/route/add/inet/10.1.0.0_24';

function payload(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

describe('normalizeNotification', () => {
  it('lifts the attributes beside the header fields and adds the router topic', () => {
    const result = normalizeNotification(
      topic,
      payload({
        'jet-event': {
          'event-id': 'KERNEL_ROUTE_ADD',
          hostname: 'r1',
          time: '2024-05-01T12:00:00Z',
          severity: 'info',
          facility: 'kernel',
          attributes: { table: 'inet.0', prefix: '10.1.0.0', 'prefix-length': 24, 'next-hops': ['192.0.2.1'] },
        },
      }),
    );
    expect(result.ok).toBe(true);
    expect(result.ok && JSON.stringify(result.event)).toBe(
      '{"eventId":"KERNEL_ROUTE_ADD","hostname":"r1","time":"2024-05-01T12:00:00Z","severity":"info","facility":"kernel",' +
        '"table":"inet.0","prefix":"10.1.0.0","prefix-length":24,"next-hops":["192.0.2.1"],' +
        `"topic":"${topic}"}`,
    );
  });

  it('lets header fields and the topic win over attributes of the same name', () => {
    const result = normalizeNotification(
      topic,
      payload({
        'jet-event': {
          'event-id': 'X',
          hostname: 'r1',
          attributes: { hostname: 'spoof', topic: 'spoof', name: 'ge-0/0/0' },
        },
      }),
    );
    expect(result).toEqual({ ok: true, event: { eventId: 'X', hostname: 'r1', name: 'ge-0/0/0', topic } });
  });

  it('accepts an event without attributes', () => {
    const result = normalizeNotification(topic, payload({ 'jet-event': { 'event-id': 'SYSTEM' } }));
    expect(result).toEqual({ ok: true, event: { eventId: 'SYSTEM', topic } });
  });

  it.each([
    ['text that is not JSON', Buffer.from('{"jet-event": '), /^not JSON: /],
    ['JSON without a jet-event', payload({ event: {} }), /^\["jet-event"\]: is required$/],
    [
      'a jet-event without event-id',
      payload({ 'jet-event': { hostname: 'r1' } }),
      /^\["jet-event"\]\["event-id"\]: is required$/,
    ],
    [
      'attributes that are not an object',
      payload({ 'jet-event': { 'event-id': 'X', attributes: [1] } }),
      /^\["jet-event"\]\.attributes: expected an object, got an array$/,
    ],
    ['a JSON array', payload([1, 2]), /^expected an object, got an array$/],
  ])('says why %s is not a jet-event', (_what, body, reason) => {
    const result = normalizeNotification(topic, body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(reason);
  });
});

describe('malformedNotification', () => {
  it('keeps the raw text and the router topic', () => {
    expect(malformedNotification(topic, Buffer.from('oops'), 'not JSON: x')).toEqual({
      malformed: true,
      topic,
      error: 'not JSON: x',
      raw: 'oops',
    });
  });
});
