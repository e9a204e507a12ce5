/**
 * FlowSpec routes in routes files: `[[flowspec]]` tables in TOML and FlowSpec
 * intents in JSON become the same intents a published message would, with
 * problems named by the file's own entry.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRoutesFile, RoutesFileError } from '../../src/intent/routes-file.js';

const dir = mkdtempSync(join(tmpdir(), 'jetbridge-flow-routes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('FlowSpec routes files', () => {
  it('reads [[flowspec]] tables next to [[route]] tables', () => {
    const intents = readRoutesFile(
      file(
        'mixed.toml',
        [
          '[[route]]',
          'prefix = "10.123.0.0/24"',
          'nexthops = ["10.0.0.1"]',
          '',
          '[[flowspec]]',
          'id = "dns-flood"',
          'destination = "203.0.113.0/24"',
          'protocols = ["udp"]',
          'destinationPorts = [53]',
          'then = { rateLimit = 1000000 }',
        ].join('\n'),
      ),
    );
    expect(intents.map((i) => [i.table, i.prefix])).toEqual([
      ['inet.0', '10.123.0.0'],
      ['inetflow.0', '203.0.113.0/24,*,proto=17,dstport=53'],
    ]);
    expect(intents[1]).toMatchObject({ id: 'dns-flood', attributes: { then: { rateLimit: 1000000 } } });
  });

  it('reads a file of [[flowspec]] tables only', () => {
    const intents = readRoutesFile(
      file('only.toml', '[[flowspec]]\nsource = "198.51.100.7/32"\nthen = { discard = true }\n'),
    );
    expect(intents).toHaveLength(1);
  });

  it('names the entry and field of a bad [[flowspec]] table', () => {
    const path = file(
      'bad.toml',
      '[[flowspec]]\ndestination = "203.0.113.0/24"\ndscp = [99]\nthen = { discard = true }\n',
    );
    expect(() => readRoutesFile(path)).toThrow(RoutesFileError);
    expect(() => readRoutesFile(path)).toThrow('flowspec[0].dscp[0]: "99" is out of range 0..63');
  });

  it('reads FlowSpec intents from JSON', () => {
    const intents = readRoutesFile(
      file('flows.json', JSON.stringify([{ flowspec: { destination: '203.0.113.0/24' }, then: { discard: true } }])),
    );
    expect(intents[0]).toMatchObject({ table: 'inetflow.0', flowspec: { destination: '203.0.113.0/24' } });
  });
});
