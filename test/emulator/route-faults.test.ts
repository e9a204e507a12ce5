/** Route-level faults as pure rules: which destinations and operations a reject fault refuses. */
import { describe, expect, it } from 'vitest';
import { compileRejectFault, RejectFaultError } from '../../src/emulator/route-faults.js';

const at = (text: string) => {
  const [prefix = '', length = '0'] = text.split('/');
  return { prefix, length: Number(length) };
};

describe('compileRejectFault', () => {
  const rule = compileRejectFault({ prefixes: ['10.1.0.0/16', '2001:db8::/32'], status: 'TABLE_NOT_READY' });

  it('refuses destinations at or inside a prefix, naming the prefix', () => {
    expect(rule.status).toBe('TABLE_NOT_READY');
    expect(rule.refuses('add', at('10.1.0.0/16'))).toBe('10.1.0.0/16');
    expect(rule.refuses('remove', at('10.1.200.0/24'))).toBe('10.1.0.0/16');
    expect(rule.refuses('update', at('2001:db8:5::/48'))).toBe('2001:db8::/32');
  });

  it('leaves covering, neighbouring and other-family destinations alone', () => {
    expect(rule.refuses('add', at('10.0.0.0/8'))).toBeUndefined();
    expect(rule.refuses('add', at('10.2.0.0/24'))).toBeUndefined();
    expect(rule.refuses('add', at('::a01:0/120'))).toBeUndefined();
    expect(rule.refuses('add', { prefix: '65000:1:10.1.0.0', length: 24 })).toBeUndefined();
  });

  it('refuses only the operations it names (all four by default)', () => {
    const onlyRemove = compileRejectFault({ prefixes: ['10.1.0.0/16'], status: 'ROUTE_ADD_FAILED', ops: ['remove'] });
    expect(onlyRemove.refuses('add', at('10.1.1.0/24'))).toBeUndefined();
    expect(onlyRemove.refuses('modify', at('10.1.1.0/24'))).toBeUndefined();
    expect(onlyRemove.refuses('remove', at('10.1.1.0/24'))).toBe('10.1.0.0/16');
    for (const op of ['add', 'modify', 'update', 'remove'] as const) {
      expect(rule.refuses(op, at('10.1.1.0/24'))).toBe('10.1.0.0/16');
    }
  });

  it.each([
    [{ prefixes: [], status: 'ROUTE_ADD_FAILED' }, 'prefixes'],
    [{ prefixes: ['10.1.0.1/16'], status: 'ROUTE_ADD_FAILED' }, 'prefixes[0]'],
    [{ prefixes: ['10.1.0.0/16', 'nowhere'], status: 'ROUTE_ADD_FAILED' }, 'prefixes[1]'],
    [{ prefixes: ['10.1.0.0/16'], status: 'SUCCESS' }, 'status'],
    [{ prefixes: ['10.1.0.0/16'], status: 'route_add_failed' }, 'status'],
    [{ prefixes: ['10.1.0.0/16'], status: 'ROUTE_ADD_FAILED', ops: [] }, 'ops'],
  ])('refuses %j naming %s', (fault, field) => {
    expect(() => compileRejectFault(fault)).toThrow(RejectFaultError);
    expect(() => compileRejectFault(fault)).toThrow(expect.objectContaining({ field }));
  });
});
