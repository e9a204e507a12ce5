import { describe, expect, it } from 'vitest';
import type { BgpPath } from '../../src/jet/model.js';
import { MonitorEntryError, toMonitorEvent, toRibSnapshot } from '../../src/events/monitor-event.js';

const ts = new Date('2024-05-01T12:00:00.000Z');
const path: BgpPath = {
  table: 'inet.0',
  prefix: '10.9.0.0',
  length: 16,
  cookie: 18_446_744_073_709_551_615n,
  nextHops: ['192.0.2.1'],
  localPref: 200,
  med: 5,
  asPath: '65001 65002',
  communities: ['65000:100'],
  peerType: 'external',
};

describe('toMonitorEvent', () => {
  it('publishes an update with intent attribute names, the prefix with its length and the cookie exact', () => {
    expect(JSON.stringify(toMonitorEvent({ op: 'update', path }, ts))).toBe(
      '{"op":"update","prefix":"10.9.0.0/16","table":"inet.0","nextHops":["192.0.2.1"],"localPref":200,"med":5,' +
        '"asPath":"65001 65002","communities":["65000:100"],"peerType":"external","cookie":"18446744073709551615",' +
        '"ts":"2024-05-01T12:00:00.000Z"}',
    );
  });

  it('leaves out absent attributes and empty lists', () => {
    const bare: BgpPath = {
      table: 'inet6.0',
      prefix: '2001:db8::',
      length: 32,
      cookie: 7n,
      nextHops: [],
      communities: [],
      clusterList: [],
    };
    expect(toMonitorEvent({ op: 'remove', path: bare }, ts)).toEqual({
      op: 'remove',
      prefix: '2001:db8::/32',
      table: 'inet6.0',
      nextHops: [],
      cookie: '7',
      ts: '2024-05-01T12:00:00.000Z',
    });
  });

  it('keeps false flags, originator and cluster list when given', () => {
    const event = toMonitorEvent(
      {
        op: 'update',
        path: {
          ...path,
          noExport: false,
          noAdvertise: true,
          originatorId: '10.0.0.9',
          clusterList: ['10.0.0.1'],
          routePref: 170,
        },
      },
      ts,
    );
    expect(event).toMatchObject({
      noExport: false,
      noAdvertise: true,
      originatorId: '10.0.0.9',
      clusterList: ['10.0.0.1'],
      routePref: 170,
    });
  });

  it('carries only op and ts on end-of-rib', () => {
    expect(toMonitorEvent({ op: 'end-of-rib' }, ts)).toEqual({ op: 'end-of-rib', ts: '2024-05-01T12:00:00.000Z' });
  });

  it('refuses an update without a path', () => {
    expect(() => toMonitorEvent({ op: 'update' }, ts)).toThrow(MonitorEntryError);
    expect(() => toMonitorEvent({ op: 'remove' }, ts)).toThrow('monitor entry "remove" has no path');
  });
});

describe('toRibSnapshot', () => {
  it('lists every path to the destination in cookie order', () => {
    const second = { ...path, cookie: 2n, nextHops: ['192.0.2.2'] };
    const snapshot = toRibSnapshot(path, [path, second], ts);
    expect(snapshot.prefix).toBe('10.9.0.0/16');
    expect(snapshot.table).toBe('inet.0');
    expect(snapshot.paths.map((p) => p.cookie)).toEqual(['2', '18446744073709551615']);
    expect(snapshot.paths[0]).toEqual({
      nextHops: ['192.0.2.2'],
      localPref: 200,
      med: 5,
      asPath: '65001 65002',
      communities: ['65000:100'],
      peerType: 'external',
      cookie: '2',
    });
    expect(snapshot.ts).toBe('2024-05-01T12:00:00.000Z');
  });
});
