import { describe, expect, it } from 'vitest';
import type { Intent } from '../../src/intent/intent.js';
import { compilePolicy, parseRouteFilter, PolicyConfigError, type PolicyConfig } from '../../src/intent/policy.js';
import { parsePrefix } from '../../src/intent/syntax.js';

function intent(prefixText: string, overrides: Partial<Intent> = {}): Intent {
  const { family, prefix, length } = parsePrefix(prefixText);
  return {
    action: 'announce',
    table: family === 'inet' ? 'inet.0' : 'inet6.0',
    family,
    prefix,
    length,
    nextHops: [family === 'inet' ? '192.0.2.1' : '2001:db8::1'],
    attributes: {},
    ...overrides,
  };
}

function verdict(config: PolicyConfig, prefixText: string, overrides: Partial<Intent> = {}): string {
  const result = compilePolicy(config).check(intent(prefixText, overrides));
  return result.ok ? 'allowed' : result.reason;
}

describe('parseRouteFilter', () => {
  it('reads exact, le, ge and ge+le entries', () => {
    expect(parseRouteFilter('192.0.2.0/24')).toMatchObject({
      prefix: '192.0.2.0',
      length: 24,
      minLength: 24,
      maxLength: 24,
    });
    expect(parseRouteFilter('10.0.0.0/8 le 32')).toMatchObject({ minLength: 8, maxLength: 32 });
    expect(parseRouteFilter('10.0.0.0/8 ge 16')).toMatchObject({ minLength: 16, maxLength: 32 });
    expect(parseRouteFilter('10.0.0.0/8 ge 16 le 24')).toMatchObject({ minLength: 16, maxLength: 24 });
    expect(parseRouteFilter('2001:db8::/32 le 64')).toMatchObject({ family: 'inet6', minLength: 32, maxLength: 64 });
  });

  it.each([
    ['10.0.0.0/8 le 33', 'le 33 is out of range 8..32'],
    ['10.0.0.0/16 le 8', 'le 8 is out of range 16..32'],
    ['10.0.0.0/8 ge 24 le 16', 'ge 24 is greater than le 16'],
    ['10.0.0.0/8 upto 16', 'expected "ge N" or "le N" after the prefix, got "upto"'],
    ['10.0.0.0/8 le', '"le" needs a prefix length'],
    ['10.0.0.0/8 le 16 le 24', '"le" appears twice'],
    ['10.1.0.0/8', 'host bits set; did you mean 10.0.0.0/8?'],
    ['', 'is not a valid prefix'],
  ])('rejects %j', (text, reason) => {
    expect(() => parseRouteFilter(text)).toThrow(reason);
  });
});

describe('default policy', () => {
  it('allows ordinary unicast prefixes in inet.0 and inet6.0', () => {
    expect(verdict({}, '10.123.0.0/24')).toBe('allowed');
    expect(verdict({}, '2001:db8::/48')).toBe('allowed');
  });

  it('denies the default routes', () => {
    expect(verdict({}, '0.0.0.0/0')).toBe('prefix 0.0.0.0/0 is denied by policy (deny 0.0.0.0/0)');
    expect(verdict({}, '::/0')).toBe('prefix ::/0 is denied by policy (deny ::/0)');
  });

  it('denies prefixes shorter than /8 (IPv4) and /16 (IPv6)', () => {
    expect(verdict({}, '10.0.0.0/7')).toBe(
      'prefix 10.0.0.0/7 is shorter than the minimum length /8 for IPv4 and no allow entry names it',
    );
    expect(verdict({}, '10.0.0.0/8')).toBe('allowed');
    expect(verdict({}, '2000::/15')).toContain('shorter than the minimum length /16 for IPv6');
    expect(verdict({}, '2001::/16')).toBe('allowed');
  });

  it('allows only inet.0 and inet6.0', () => {
    expect(verdict({}, '10.0.0.0/24', { table: 'inet.3' })).toBe(
      'table inet.3 is not in the allowed tables [inet.0, inet6.0]',
    );
  });

  it('limits next hops to 16 and routes to a million', () => {
    const hops = Array.from({ length: 17 }, (_, i) => `192.0.2.${i + 1}`);
    expect(verdict({}, '10.0.0.0/24', { nextHops: hops })).toBe('17 next hops exceed the limit of 16');
    expect(verdict({}, '10.0.0.0/24', { nextHops: hops.slice(0, 16) })).toBe('allowed');
    expect(compilePolicy().maxRoutes).toBe(1_000_000);
  });
});

describe('allow and deny lists', () => {
  const config: PolicyConfig = {
    allow: ['10.0.0.0/8 le 32', '2001:db8::/32 le 64', '192.0.2.0/24', '198.51.100.0/24 ge 28 le 30'],
    deny: ['10.66.0.0/16 le 32'],
  };

  it('allows what an allow entry matches', () => {
    expect(verdict(config, '10.1.2.0/24')).toBe('allowed');
    expect(verdict(config, '10.1.2.3/32')).toBe('allowed');
    expect(verdict(config, '10.0.0.0/8')).toBe('allowed');
    expect(verdict(config, '2001:db8:1::/48')).toBe('allowed');
    expect(verdict(config, '192.0.2.0/24')).toBe('allowed');
    expect(verdict(config, '198.51.100.16/28')).toBe('allowed');
    expect(verdict(config, '198.51.100.4/30')).toBe('allowed');
  });

  it('refuses what no allow entry matches, naming the entries', () => {
    expect(verdict(config, '172.16.0.0/16')).toBe(
      'prefix 172.16.0.0/16 is not in the allowed prefixes (allow 10.0.0.0/8 le 32, 192.0.2.0/24, 198.51.100.0/24 ge 28 le 30)',
    );
    // An exact entry does not cover longer prefixes; bounds are inclusive and nothing more.
    expect(verdict(config, '192.0.2.0/25')).toContain('is not in the allowed prefixes');
    expect(verdict(config, '198.51.100.0/24')).toContain('is not in the allowed prefixes');
    expect(verdict(config, '198.51.100.0/31')).toContain('is not in the allowed prefixes');
    expect(verdict(config, '2001:db8:1:2::/65')).toContain('(allow 2001:db8::/32 le 64)');
    expect(verdict(config, '2001:db9::/32')).toContain('is not in the allowed prefixes');
  });

  it('lets deny win over allow', () => {
    expect(verdict(config, '10.66.1.0/24')).toBe('prefix 10.66.1.0/24 is denied by policy (deny 10.66.0.0/16 le 32)');
  });

  it('replaces the default deny list when one is given, so a default route can be allowed on purpose', () => {
    expect(verdict({ deny: [], allow: ['0.0.0.0/0'] }, '0.0.0.0/0')).toBe('allowed');
    expect(verdict({ deny: [] }, '0.0.0.0/0')).toContain('shorter than the minimum length');
  });

  it('lets an allow entry name a prefix shorter than the minimum length', () => {
    expect(verdict({ allow: ['10.0.0.0/8 le 32', '44.0.0.0/6'] }, '44.0.0.0/6')).toBe('allowed');
    expect(verdict({ allow: ['10.0.0.0/8 le 32'] }, '10.0.0.0/7')).toContain('no allow entry names it');
    expect(verdict({ minLength: { inet: 4, inet6: 16 } }, '10.0.0.0/7')).toBe('allowed');
  });

  it('reports a family with no allow entries', () => {
    expect(verdict({ allow: ['10.0.0.0/8 le 32'] }, '2001:db8::/48')).toBe(
      'prefix 2001:db8::/48 is not in the allowed prefixes (allow none for IPv6)',
    );
  });

  it('shortens a long list of allow entries in the reason', () => {
    const allow = Array.from({ length: 8 }, (_, i) => `10.${i}.0.0/16`);
    expect(verdict({ allow }, '11.0.0.0/16')).toMatch(/10\.4\.0\.0\/16 and 3 more\)$/);
  });
});

describe('withdraws', () => {
  it('are checked for table and prefix but not next hops', () => {
    const withdraw = { action: 'withdraw' as const, nextHops: [] };
    expect(verdict({}, '0.0.0.0/0', withdraw)).toContain('is denied by policy');
    expect(verdict({}, '10.0.0.0/24', { ...withdraw, table: 'inet.3' })).toContain('is not in the allowed tables');
    expect(
      verdict({ maxNextHops: 1 }, '10.0.0.0/24', { action: 'withdraw', nextHops: ['192.0.2.1', '192.0.2.2'] }),
    ).toBe('allowed');
  });
});

describe('configured limits', () => {
  it('applies maxNextHops and tables', () => {
    expect(
      verdict({ maxNextHops: 2 }, '10.0.0.0/24', { nextHops: ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'] }),
    ).toBe('4 next hops exceed the limit of 2');
    expect(verdict({ tables: ['blue.inet.0'] }, '10.0.0.0/24', { table: 'blue.inet.0' })).toBe('allowed');
    expect(verdict({ tables: ['blue.inet.0'] }, '10.0.0.0/24')).toBe(
      'table inet.0 is not in the allowed tables [blue.inet.0]',
    );
  });

  it('exposes maxRoutes for the pipeline', () => {
    expect(compilePolicy({ maxRoutes: 5 }).maxRoutes).toBe(5);
  });

  it('allows every publisher unless a list is given', () => {
    expect(compilePolicy().allowsPublisher('anyone')).toBe(true);
    expect(compilePolicy().allowsPublisher(undefined)).toBe(true);
    const policy = compilePolicy({ allowedPublishers: ['controller-1'] });
    expect(policy.allowsPublisher('controller-1')).toBe(true);
    expect(policy.allowsPublisher('controller-2')).toBe(false);
    expect(policy.allowsPublisher(undefined)).toBe(false);
  });
});

describe('invalid policy config', () => {
  it('lists every problem with its field', () => {
    let error: unknown;
    try {
      compilePolicy({ allow: ['10.0.0.0/8 le 40'], maxNextHops: 0, tables: ['mpls.0'], bogus: true } as PolicyConfig);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PolicyConfigError);
    expect((error as PolicyConfigError).problems).toEqual([
      'allow[0]: "10.0.0.0/8 le 40" is not a route filter: le 40 is out of range 8..32',
      'maxNextHops: must be at least 1, got number 0',
      'tables[0]: "mpls.0" is not a unicast routing table (expected inet.N, inet6.N, <instance>.inet.N or <instance>.inet6.N)',
      'bogus: unknown field',
    ]);
  });
});
