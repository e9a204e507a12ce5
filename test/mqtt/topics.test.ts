import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Topics } from '../../src/mqtt/topics.js';

const jet = new Topics('jet');

describe('Topics builders', () => {
  it('name the request and result topics of a device', () => {
    expect(jet.intent('r1')).toBe('jet/r1/bgp/intent');
    expect(jet.intentResult('r1')).toBe('jet/r1/bgp/result');
    expect(jet.get('r1')).toBe('jet/r1/bgp/get');
    expect(jet.getResult('r1')).toBe('jet/r1/bgp/get/result');
    expect(jet.op('r1')).toBe('jet/r1/op');
    expect(jet.opResult('r1')).toBe('jet/r1/op/result');
  });

  it('name the state, status and event topics', () => {
    expect(jet.state('r1')).toBe('jet/r1/state');
    expect(jet.bridgeStatus('bridge-a')).toBe('jet/bridge/bridge-a/status');
    expect(jet.bgpEvents('r1')).toBe('jet/r1/bgp/events');
  });

  it('keep a RIB prefix in one topic level by writing its "/" as "_"', () => {
    expect(jet.rib('r1', 'inet.0', '10.1.0.0/24')).toBe('jet/r1/bgp/rib/inet.0/10.1.0.0_24');
    expect(jet.rib('r1', 'inet6.0', '2001:db8::/48')).toBe('jet/r1/bgp/rib/inet6.0/2001:db8::_48');
  });

  it('relay router notifications without their /junos/events/ prefix', () => {
    expect(jet.notify('r1', '/junos/events/kernel/interfaces/ifa/add')).toBe('jet/r1/notify/kernel/interfaces/ifa/add');
    expect(jet.notify('r1', '/other/topic')).toBe('jet/r1/notify/other/topic');
    expect(jet.notifyFilter('r1')).toBe('jet/r1/notify/#');
  });

  it('use a prefix of several levels as given', () => {
    const site = new Topics('site1/jet');
    expect(site.intent('r1')).toBe('site1/jet/r1/bgp/intent');
    expect(site.subscriptions(['r1'])).toEqual(['site1/jet/r1/bgp/intent', 'site1/jet/r1/bgp/get', 'site1/jet/r1/op']);
  });

  it('subscribe to the requests of the given devices only, without wildcards', () => {
    expect(jet.subscriptions(['r1', 'r2'])).toEqual([
      'jet/r1/bgp/intent',
      'jet/r1/bgp/get',
      'jet/r1/op',
      'jet/r2/bgp/intent',
      'jet/r2/bgp/get',
      'jet/r2/op',
    ]);
    expect(jet.subscriptions([])).toEqual([]);
    expect(jet.subscriptions()).toEqual(['jet/+/bgp/intent', 'jet/+/bgp/get', 'jet/+/op']);
    for (const filter of jet.subscriptions(['r1'])) expect(jet.parseInbound(filter)).toMatchObject({ device: 'r1' });
  });

  it('refuse a device name that would widen a subscription', () => {
    expect(() => jet.subscriptions(['+'])).toThrow(/^device "\+" must not contain/);
    expect(() => jet.subscriptions(['#'])).toThrow(/^device/);
  });

  it.each(['r+1', 'r#', 'a/b', ''])('refuse the device name %j', (device) => {
    expect(() => jet.intent(device)).toThrow(/^device/);
    expect(() => jet.state(device)).toThrow(/^device/);
  });

  it('refuse wildcards in the other levels they are given', () => {
    expect(() => jet.bridgeStatus('a/b')).toThrow(/^client id "a\/b" must not contain/);
    expect(() => jet.rib('r1', 'inet+0', '10.0.0.0/8')).toThrow(/^table/);
    expect(() => jet.rib('r1', 'inet.0', '10.0.0.0/8#')).toThrow(/^prefix/);
    expect(() => jet.notify('r1', '/junos/events/a/#')).toThrow(/^notification topic/);
    expect(() => jet.notify('r1', '/junos/events/')).toThrow(/^notification topic must not be empty/);
  });

  it('refuse a prefix with wildcards or empty levels', () => {
    expect(() => new Topics('jet/#')).toThrow(/^topic prefix "jet\/#" must not contain/);
    expect(() => new Topics('jet//x')).toThrow(/empty topic levels/);
    expect(() => new Topics('')).toThrow(/^topic prefix must not be empty/);
  });
});

describe('Topics.parseInbound', () => {
  it('tells the device and kind of each request topic', () => {
    expect(jet.parseInbound('jet/r1/bgp/intent')).toEqual({ device: 'r1', kind: 'intent' });
    expect(jet.parseInbound('jet/r1/bgp/get')).toEqual({ device: 'r1', kind: 'get' });
    expect(jet.parseInbound('jet/r1/op')).toEqual({ device: 'r1', kind: 'op' });
  });

  it.each([
    'jet/r1/bgp/result',
    'jet/r1/bgp/get/result',
    'jet/r1/op/result',
    'jet/r1/state',
    'jet//bgp/intent',
    'jet/+/bgp/intent',
    'other/r1/bgp/intent',
    'jetx/r1/bgp/intent',
    'jet/r1/bgp/intent/extra',
    'jet',
  ])('serves no request on %s', (topic) => {
    expect(jet.parseInbound(topic)).toBeUndefined();
  });

  it('parses what the builders build, for any device name and prefix', () => {
    const level = fc.string({ minLength: 1 }).filter((s) => !/[+#/]/.test(s));
    fc.assert(
      fc.property(fc.array(level, { minLength: 1, maxLength: 3 }), level, (prefixLevels, device) => {
        const topics = new Topics(prefixLevels.join('/'));
        expect(topics.parseInbound(topics.intent(device))).toEqual({ device, kind: 'intent' });
        expect(topics.parseInbound(topics.get(device))).toEqual({ device, kind: 'get' });
        expect(topics.parseInbound(topics.op(device))).toEqual({ device, kind: 'op' });
        expect(topics.parseInbound(topics.intentResult(device))).toBeUndefined();
      }),
    );
  });
});
