import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import {
  AddressSyntaxError,
  asPathError,
  communityError,
  defaultTable,
  ipv4ToUint32,
  parseAddress,
  parsePrefix,
  tableFamily,
  uint32ToIpv4,
} from '../../src/intent/syntax.js';

function prefixError(text: string): string {
  try {
    parsePrefix(text);
  } catch (error) {
    expect(error).toBeInstanceOf(AddressSyntaxError);
    expect(error).toBeInstanceOf(SyntaxError);
    return (error as Error).message;
  }
  throw new Error(`parsePrefix accepted ${text}`);
}

function addressError(text: string, family?: 'inet' | 'inet6'): string {
  try {
    parseAddress(text, family);
  } catch (error) {
    expect(error).toBeInstanceOf(AddressSyntaxError);
    return (error as Error).message;
  }
  throw new Error(`parseAddress accepted ${text}`);
}

describe('parsePrefix', () => {
  it('accepts IPv4 prefixes from /0 to /32', () => {
    expect(parsePrefix('10.123.0.0/24')).toEqual({ family: 'inet', prefix: '10.123.0.0', length: 24 });
    expect(parsePrefix('0.0.0.0/0')).toEqual({ family: 'inet', prefix: '0.0.0.0', length: 0 });
    expect(parsePrefix('192.0.2.1/32')).toEqual({ family: 'inet', prefix: '192.0.2.1', length: 32 });
  });

  it('accepts IPv6 prefixes and returns compressed lowercase text', () => {
    expect(parsePrefix('2001:DB8:0:0::/48')).toEqual({ family: 'inet6', prefix: '2001:db8::', length: 48 });
    expect(parsePrefix('2001:0db8:0000:0000:0000:0000:0000:0001/128')).toEqual({
      family: 'inet6',
      prefix: '2001:db8::1',
      length: 128,
    });
    expect(parsePrefix('::/0')).toEqual({ family: 'inet6', prefix: '::', length: 0 });
  });

  it('rejects lengths beyond the family', () => {
    expect(prefixError('10.0.0.0/33')).toBe(
      '"10.0.0.0/33" is not a valid prefix: length 33 is out of range for IPv4 (0..32)',
    );
    expect(prefixError('2001:db8::/129')).toContain('length 129 is out of range for IPv6 (0..128)');
    expect(prefixError('10.0.0.0/99999999999')).toContain('out of range');
  });

  it('rejects malformed lengths', () => {
    expect(prefixError('10.0.0.0')).toContain('missing "/length"');
    expect(prefixError('10.0.0.0/')).toContain('length "" is not a number');
    expect(prefixError('10.0.0.0/08')).toContain('length "08" has a leading zero');
    expect(prefixError('10.0.0.0/-1')).toContain('is not a number');
    expect(prefixError('10.0.0.0/8.0')).toContain('is not a number');
  });

  it('rejects IPv4 octets with leading zeros, which some parsers read as octal', () => {
    expect(prefixError('010.1.1.0/24')).toBe('"010.1.1.0/24" is not a valid prefix: octet "010" has a leading zero');
  });

  it('rejects host bits and suggests the network', () => {
    expect(prefixError('10.1.1.1/24')).toBe(
      '"10.1.1.1/24" is not a valid prefix: host bits set; did you mean 10.1.1.0/24?',
    );
    expect(prefixError('2001:db8::1/48')).toContain('host bits set; did you mean 2001:db8::/48?');
    expect(prefixError('0.0.0.1/0')).toContain('did you mean 0.0.0.0/0?');
  });

  it('rejects IPv4-mapped IPv6 prefixes and names the IPv4 prefix to use', () => {
    expect(prefixError('::ffff:10.0.0.0/104')).toContain('IPv4-mapped IPv6 prefixes are not supported; use 10.0.0.0/8');
    expect(prefixError('::ffff:a00:0/104')).toContain('use 10.0.0.0/8');
  });

  it('rejects zone ids, whitespace and garbage', () => {
    expect(prefixError('fe80::%eth0/64')).toContain('zone ids');
    expect(prefixError(' 10.0.0.0/8')).toContain('contains whitespace');
    expect(prefixError('10.0.0.0 /8')).toContain('contains whitespace');
    expect(prefixError('10.0.0.0/8\n')).toContain('contains whitespace');
    expect(prefixError('')).toContain('empty');
    expect(prefixError('ten/8')).toContain('is not a valid prefix');
    expect(prefixError('10.0.0/8')).toContain('four dot-separated octets');
    expect(prefixError('0x0a.0.0.0/8')).toContain('is not a decimal number');
    expect(prefixError('::ffff:010.0.0.0/104')).toContain('embedded IPv4 part: octet "010" has a leading zero');
    expect(prefixError('2001:db8::x/48')).toContain('has characters other than hex digits');
    expect(prefixError('2001:db8::g/48')).toContain('is not a valid prefix');
  });

  it('keeps long hostile input out of the message', () => {
    const message = prefixError(`${'9'.repeat(10_000)}/8`);
    expect(message.length).toBeLessThan(300);
  });
});

describe('parseAddress', () => {
  it('returns canonical text and the family', () => {
    expect(parseAddress('192.0.2.1')).toEqual({ family: 'inet', address: '192.0.2.1' });
    expect(parseAddress('2001:DB8:0::1')).toEqual({ family: 'inet6', address: '2001:db8::1' });
  });

  it('checks the expected family', () => {
    expect(addressError('10.0.0.300', 'inet')).toBe(
      '"10.0.0.300" is not an IPv4 address: octet 300 is out of range 0..255',
    );
    expect(addressError('2001:db8::1', 'inet')).toBe('"2001:db8::1" is not an IPv4 address: it is an IPv6 address');
    expect(addressError('10.0.0.1', 'inet6')).toBe('"10.0.0.1" is not an IPv6 address: it is an IPv4 address');
  });

  it('is as strict as parsePrefix', () => {
    expect(addressError('010.0.0.1')).toContain('has a leading zero');
    expect(addressError('fe80::1%eth0')).toContain('zone ids');
    expect(addressError('10.0.0.1 ')).toContain('whitespace');
    expect(addressError('::ffff:10.0.0.1')).toContain('IPv4-mapped IPv6 addresses are not supported; write 10.0.0.1');
    expect(addressError('10.0.0.1/32')).toContain('takes no "/length"');
    expect(addressError('router1')).toBe('"router1" is not an IP address: expected a dotted quad (a.b.c.d)');
    expect(addressError('1:2:3:4:5:6:7:8:9')).toBe('"1:2:3:4:5:6:7:8:9" is not an IP address');
  });
});

describe('ipv4ToUint32 / uint32ToIpv4', () => {
  it('round-trips the corners', () => {
    for (const [text, n] of [
      ['0.0.0.0', 0],
      ['10.1.2.3', 0x0a010203],
      ['255.255.255.255', 0xffffffff],
      ['128.0.0.0', 0x80000000],
    ] as const) {
      expect(ipv4ToUint32(text)).toBe(n);
      expect(uint32ToIpv4(n)).toBe(text);
    }
  });

  it('refuses what is not a strict address or a uint32', () => {
    expect(() => ipv4ToUint32('010.0.0.1')).toThrow(AddressSyntaxError);
    expect(() => ipv4ToUint32('::1')).toThrow(/is not an IPv4 address/);
    expect(() => uint32ToIpv4(-1)).toThrow(RangeError);
    expect(() => uint32ToIpv4(2 ** 32)).toThrow(RangeError);
    expect(() => uint32ToIpv4(1.5)).toThrow(RangeError);
  });

  it('accepts exactly the strict dotted quads, with their value, among texts of digits and dots', () => {
    // The rule, written out independently: four decimal octets 0..255, no leading zeros.
    const strictValue = (text: string): number | undefined => {
      const octets = text.split('.');
      if (octets.length !== 4 || !octets.every((o) => /^(0|[1-9][0-9]*)$/.test(o) && Number(o) <= 255))
        return undefined;
      return octets.reduce((n, o) => n * 256 + Number(o), 0);
    };
    const octet = fc.oneof(
      fc.integer({ min: 0, max: 255 }).map(String),
      fc.stringMatching(/^[0-9]{0,4}$/),
      fc.constantFrom('256', '00', '01', '999', '', 'a', ' 1', '1 '),
    );
    const text = fc.oneof(
      fc.array(octet, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
      fc.stringMatching(/^[0-9.]{0,16}$/),
    );
    fc.assert(
      fc.property(text, (candidate) => {
        const expected = strictValue(candidate);
        if (expected === undefined) expect(() => ipv4ToUint32(candidate)).toThrow(AddressSyntaxError);
        else expect(ipv4ToUint32(candidate)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('communityError', () => {
  it.each([
    '65000:100',
    '0:0',
    '65535:65535',
    'no-export',
    'no-advertise',
    'no-export-subconfed',
    'llgr-stale',
    'no-llgr',
    'target:65000:1',
    'target:65000:4294967295',
    'target:4200000000:1',
    'target:65000L:1',
    'origin:192.0.2.1:100',
    'large:4200000000:1:2',
  ])('accepts %s', (community) => {
    expect(communityError(community)).toBeUndefined();
  });

  it.each([
    ['65536:1', '"65536" is not a number 0..65535'],
    ['1:2:3', 'expected N:M'],
    ['NO-EXPORT', 'one of no-export, no-advertise'],
    ['01:1', '"01" is not a number 0..65535'],
    ['-1:1', 'expected N:M'],
    ['target:65000', 'expected target:X:Y'],
    ['target:4200000000:70000', 'after a 4-byte AS the number must be 0..65535'],
    ['target:65000:4294967296', 'after a 2-byte AS the number must be 0..4294967295'],
    ['origin:192.0.2.300:1', 'administrator "192.0.2.300" is not an IPv4 address'],
    ['origin:192.0.2.1:70000', 'after an IPv4 administrator the number must be 0..65535'],
    ['target:4294967296:1', 'is not an AS number or IPv4 address'],
    ['large:1:2', 'expected large:A:B:C'],
    ['large:1:2:4294967296', '"4294967296" is not a number 0..4294967295'],
    ['', 'is not a community'],
  ])('rejects %s with a reason', (community, reason) => {
    const error = communityError(community);
    expect(error).toContain(reason);
    expect(error).toMatch(/is not a community/);
  });
});

describe('asPathError', () => {
  it.each([
    '',
    '65000',
    '65000 65001 4200000000',
    '65000 [65001 65002]',
    '65000 {1 2} 3',
    '(65001 65002) 65000',
    '( 1 [ 2 3 ] ) 4',
    '  1   2  ',
  ])('accepts %j', (path) => {
    expect(asPathError(path)).toBeUndefined();
  });

  it.each([
    ['0', '"0" is not an AS number 1..4294967295'],
    ['4294967296', 'is not an AS number'],
    ['65000 abc', '"abc" is not an AS number'],
    ['65000,65001', 'is not an AS number'],
    ['[1 2', '"[" is never closed'],
    ['1 2]', 'unbalanced "]"'],
    ['[1 2)', 'unbalanced ")"'],
    ['[]', 'empty [ ] segment'],
    ['[1 [2]]', 'cannot open a segment inside "["'],
    ['(1 (2))', 'cannot open a segment inside "("'],
    ['01', 'is not an AS number'],
    ['constructor', 'is not an AS number'],
  ])('rejects %j', (path, reason) => {
    expect(asPathError(path)).toContain(reason);
  });

  it('bounds the number of AS numbers', () => {
    expect(asPathError('1 2 3', 3)).toBeUndefined();
    expect(asPathError('1 2 3 4', 3)).toContain('more than 3 AS numbers');
  });
});

describe('tables', () => {
  it('defaults by family', () => {
    expect(defaultTable('inet')).toBe('inet.0');
    expect(defaultTable('inet6')).toBe('inet6.0');
  });

  it('knows which family a table holds', () => {
    expect(tableFamily('inet.0')).toBe('inet');
    expect(tableFamily('inet.3')).toBe('inet');
    expect(tableFamily('blue.inet.0')).toBe('inet');
    expect(tableFamily('inet6.0')).toBe('inet6');
    expect(tableFamily('red-vrf.inet6.0')).toBe('inet6');
    expect(tableFamily('mpls.0')).toBeUndefined();
    expect(tableFamily('inet')).toBeUndefined();
    expect(tableFamily('inet.0 ')).toBeUndefined();
  });
});

describe('parsePrefix properties', () => {
  const ipv6Network = fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
      fc.integer({ min: 0, max: 128 }),
    )
    .map(([parts, length]) => {
      const value = parts.reduce((acc, part) => (acc << 16n) | BigInt(part), 0n);
      const hostBits = BigInt(128 - length);
      const network = (value >> hostBits) << hostBits;
      const networkParts = Array.from({ length: 8 }, (_, i) => Number((network >> BigInt(112 - 16 * i)) & 0xffffn));
      return { ip: new ipaddr.IPv6(networkParts), length };
    })
    .filter(({ ip, length }) => !(length >= 96 && ip.isIPv4MappedAddress()));

  it('accepts every IPv6 network however it is spelled and returns RFC 5952 text', () => {
    fc.assert(
      fc.property(ipv6Network, fc.boolean(), ({ ip, length }, upper) => {
        const spelled = ip.toNormalizedString();
        const text = `${upper ? spelled.toUpperCase() : spelled}/${length}`;
        expect(parsePrefix(text)).toEqual({ family: 'inet6', prefix: ip.toRFC5952String(), length });
      }),
    );
  });

  it('refuses every IPv4 prefix with host bits set, suggesting a network that parses', () => {
    const withHostBits = fc
      .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 31 }))
      .filter(([value, length]) => (value & (0xffffffff >>> length)) !== 0);
    fc.assert(
      fc.property(withHostBits, ([value, length]) => {
        const message = prefixError(`${uint32ToIpv4(value)}/${length}`);
        const suggestion = /did you mean (\S+)\?$/.exec(message)?.[1];
        expect(suggestion).toBeDefined();
        expect(parsePrefix(suggestion!).length).toBe(length);
      }),
    );
  });
});
