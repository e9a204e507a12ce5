import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRoutesFile, RoutesFileError } from '../../src/intent/routes-file.js';

const dir = mkdtempSync(join(tmpdir(), 'jetbridge-routes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function file(name: string, text: string): string {
  const path = join(dir, `${fileCount++}-${name}`);
  writeFileSync(path, text);
  return path;
}

/** The RoutesFileError's problem lines, failing the test if the file was accepted. */
function problemsOf(path: string): readonly string[] {
  try {
    readRoutesFile(path);
  } catch (error) {
    if (error instanceof RoutesFileError) return error.problems;
    throw error;
  }
  throw new Error(`${path} was accepted`);
}

const SEED_HOPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
const SEED_ATTRIBUTES = { localPref: 200, routePref: 10, originatorId: '10.255.255.3', clusterList: ['10.255.255.7'] };

describe('readRoutesFile, demo-app TOML', () => {
  it('reads the shipped example into the seed intents', () => {
    expect(readRoutesFile('examples/routes/routes.toml')).toEqual([
      {
        action: 'announce',
        table: 'inet.0',
        family: 'inet',
        prefix: '10.123.0.0',
        length: 24,
        nextHops: SEED_HOPS,
        attributes: SEED_ATTRIBUTES,
      },
      {
        action: 'announce',
        table: 'inet.0',
        family: 'inet',
        prefix: '10.123.1.0',
        length: 24,
        nextHops: SEED_HOPS,
        attributes: SEED_ATTRIBUTES,
      },
    ]);
  });

  it('reads a file without [basics]: routes with next hops only', () => {
    const path = file('bare.toml', '[[route]]\nprefix = "192.0.2.0"\nlength = 24\nnexthops = ["10.0.0.9"]\n');
    expect(readRoutesFile(path)).toEqual([
      {
        action: 'announce',
        table: 'inet.0',
        family: 'inet',
        prefix: '192.0.2.0',
        length: 24,
        nextHops: ['10.0.0.9'],
        attributes: {},
      },
    ]);
  });

  it('passes a non-empty asPathStr as the AS path and treats "" as none', () => {
    const path = file(
      'aspath.toml',
      '[basics]\nasPathStr = "65001 65002"\n[[route]]\nprefix = "192.0.2.0/24"\nnexthops = ["10.0.0.9"]\n' +
        '[[route]]\nprefix = "198.51.100.0/24"\nnexthops = ["10.0.0.9"]\nasPathStr = ""\n',
    );
    const [first, second] = readRoutesFile(path);
    expect(first?.attributes).toEqual({ asPath: '65001 65002' });
    expect(second?.attributes).toEqual({});
  });

  it('lets a route override [basics], set a table, and give the length inside prefix', () => {
    const path = file(
      'override.toml',
      '[basics]\nlocalPref = 200\nroutePref = 10\n' +
        '[[route]]\nprefix = "2001:db8:1::/48"\nnexthops = ["2001:db8::1"]\nlocalPref = 300\ntable = "blue.inet6.0"\n',
    );
    expect(readRoutesFile(path)).toEqual([
      {
        action: 'announce',
        table: 'blue.inet6.0',
        family: 'inet6',
        prefix: '2001:db8:1::',
        length: 48,
        nextHops: ['2001:db8::1'],
        attributes: { localPref: 300, routePref: 10 },
      },
    ]);
  });

  it('names the route and the file key of a bad next hop', () => {
    const path = file(
      'badhop.toml',
      '[[route]]\nprefix = "10.1.0.0"\nlength = 16\nnexthops = ["10.0.0.1", "10.0.0.x"]\n',
    );
    expect(problemsOf(path)).toEqual([
      'route[0].nexthops[1]: "10.0.0.x" is not an IPv4 address: octet "x" is not a decimal number',
    ]);
  });

  it('blames [basics] once for an inherited value, not every route', () => {
    const path = file(
      'badbasics.toml',
      '[basics]\noriginator = "10.255.255.300"\n' +
        '[[route]]\nprefix = "10.1.0.0/16"\nnexthops = ["10.0.0.1"]\n[[route]]\nprefix = "10.2.0.0/16"\nnexthops = ["10.0.0.1"]\n',
    );
    const problems = problemsOf(path);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^basics\.originator: "10\.255\.255\.300" is not an IPv4 address/);
  });

  it('names the route key when the route overrides the bad value', () => {
    const path = file(
      'badcluster.toml',
      '[basics]\ncluster = "10.255.255.7"\n[[route]]\nprefix = "10.1.0.0/16"\nnexthops = ["10.0.0.1"]\ncluster = "2001:db8::7"\n',
    );
    expect(problemsOf(path)).toEqual([expect.stringMatching(/^route\[0\]\.cluster: "2001:db8::7" /)]);
  });

  it('reports an out-of-range local preference under its file key', () => {
    const path = file(
      'bigpref.toml',
      '[basics]\nlocalPref = 5000000000\n[[route]]\nprefix = "10.1.0.0/16"\nnexthops = ["10.0.0.1"]\n',
    );
    expect(problemsOf(path)).toEqual(['basics.localPref: must be at most 4294967295, got number 5000000000']);
  });

  it('reports host bits in the prefix with the corrected prefix', () => {
    const path = file('hostbits.toml', '[[route]]\nprefix = "10.123.0.1"\nlength = 24\nnexthops = ["10.0.0.1"]\n');
    expect(problemsOf(path)).toEqual([
      expect.stringMatching(/^route\[0\]\.prefix: .*host bits set; did you mean 10\.123\.0\.0\/24\?/),
    ]);
  });

  it('requires a length unless the prefix has one, and refuses both', () => {
    const path = file(
      'length.toml',
      '[[route]]\nprefix = "10.1.0.0"\nnexthops = ["10.0.0.1"]\n[[route]]\nprefix = "10.2.0.0/16"\nlength = 16\nnexthops = ["10.0.0.1"]\n',
    );
    expect(problemsOf(path)).toEqual([
      'route[0].length: is required (or write the prefix as address/length)',
      'route[1].length: not allowed when prefix "10.2.0.0/16" already has a length',
    ]);
  });

  it('refuses a route without next hops, naming nexthops', () => {
    const path = file('nohops.toml', '[[route]]\nprefix = "10.1.0.0/16"\n');
    expect(problemsOf(path)).toEqual(['route[0].nexthops: is required to announce a route']);
  });

  it('refuses unknown keys and wrong types, naming them', () => {
    const path = file(
      'typos.toml',
      '[basics]\nlocalpref = 200\n[[route]]\nprefix = "10.1.0.0"\nlength = "16"\nnexthop = ["10.0.0.1"]\n',
    );
    expect(problemsOf(path)).toEqual(
      expect.arrayContaining([
        'basics.localpref: unknown field',
        'route[0].nexthop: unknown field',
        'route[0].length: expected a number, got string "16"',
      ]),
    );
  });

  it('refuses the same prefix twice in one table', () => {
    const path = file(
      'dup.toml',
      '[[route]]\nprefix = "10.1.0.0/16"\nnexthops = ["10.0.0.1"]\n[[route]]\nprefix = "10.1.0.0"\nlength = 16\nnexthops = ["10.0.0.2"]\n',
    );
    expect(problemsOf(path)).toEqual(['route[1]: repeats route[0] (10.1.0.0/16 in inet.0)']);
  });

  it('accepts the same prefix in two tables', () => {
    const path = file(
      'twotables.toml',
      '[[route]]\nprefix = "10.1.0.0/16"\nnexthops = ["10.0.0.1"]\n[[route]]\nprefix = "10.1.0.0/16"\ntable = "blue.inet.0"\nnexthops = ["10.0.0.2"]\n',
    );
    expect(readRoutesFile(path).map((i) => i.table)).toEqual(['inet.0', 'blue.inet.0']);
  });

  it('refuses a file with no [[route]] entries', () => {
    expect(problemsOf(file('empty.toml', '[basics]\nlocalPref = 200\n'))).toEqual([
      'route: has no entries: add at least one [[route]] or [[flowspec]] table',
    ]);
  });

  it('reports TOML syntax errors with line and column', () => {
    const problems = problemsOf(file('syntax.toml', '[[route]]\nprefix = "10.1.0.0/16"\nnexthops = ["10.0.0.1",\n'));
    expect(problems).toEqual([expect.stringMatching(/^not valid TOML at line \d+, column \d+: /)]);
  });

  it('puts the path and every problem in the error message', () => {
    const path = file('message.toml', '[[route]]\nprefix = "10.1.0.0"\n[[route]]\nprefix = "10.2.0.0"\n');
    expect(() => readRoutesFile(path)).toThrow(
      `${path}: 2 problems:\n  route[0].length: is required (or write the prefix as address/length)\n` +
        '  route[1].length: is required (or write the prefix as address/length)',
    );
  });

  it('lists at most 20 problems and counts the rest', () => {
    const routes = Array.from({ length: 25 }, (_, i) => `[[route]]\nprefix = "10.${i}.0.0"\n`).join('');
    const error = (() => {
      try {
        readRoutesFile(file('many.toml', routes));
      } catch (e) {
        return e as RoutesFileError;
      }
      throw new Error('accepted');
    })();
    expect(error.problems).toHaveLength(25);
    expect(error.message.split('\n')).toHaveLength(1 + 20 + 1);
    expect(error.message).toMatch(/\n {2}and 5 more$/);
  });
});

describe('readRoutesFile, JSON intents', () => {
  it('reads the shipped JSON example into the same intents as the TOML one', () => {
    expect(readRoutesFile('examples/routes/routes.json')).toEqual(readRoutesFile('examples/routes/routes.toml'));
  });

  it('accepts {"intents": [...]} and withdraws, beyond the per-message intent limit', () => {
    const intents = Array.from({ length: 10_001 }, (_, i) => ({
      action: 'withdraw',
      prefix: `10.${Math.floor(i / 256)}.${i % 256}.0/24`,
    }));
    const read = readRoutesFile(file('many.json', JSON.stringify({ intents })));
    expect(read).toHaveLength(10_001);
    expect(read[10_000]).toMatchObject({ action: 'withdraw', prefix: '10.39.16.0', length: 24, nextHops: [] });
  });

  it('names the entry and field of a bad intent', () => {
    const path = file(
      'bad.json',
      JSON.stringify([
        { prefix: '10.1.0.0/16', nextHops: ['10.0.0.1'] },
        { prefix: '10.2.0.0/16', nextHops: ['x'] },
      ]),
    );
    expect(problemsOf(path)).toEqual([expect.stringMatching(/^intents\[1\]\.nextHops\[0\]: "x" /)]);
  });

  it('reports JSON that does not parse', () => {
    expect(problemsOf(file('broken.json', '[{"prefix": '))).toEqual([expect.stringMatching(/^payload is not JSON: /)]);
  });
});

describe('readRoutesFile, files', () => {
  it('refuses other file types by name', () => {
    expect(problemsOf(file('routes.yaml', 'route: []'))).toEqual([
      'unknown routes file type ".yaml": use .toml or .json',
    ]);
  });

  it('lets a missing file fail with the file system error', () => {
    expect(() => readRoutesFile(join(dir, 'absent.toml'))).toThrow(/ENOENT/);
  });
});
