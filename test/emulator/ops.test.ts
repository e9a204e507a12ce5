import { describe, expect, it } from 'vitest';
import type { BgpPath } from '../../src/jet/model.js';
import { createOpCommandHandler, formatAge, type OpCommandSource } from '../../src/emulator/ops.js';

type Route = BgpPath & { owner: string; since: number };

/** The clock every fixture starts at, in ms; seed routes were programmed then. */
const START_MS = 1_000_000;

/** The seed scenario's RIB: two /24s, four paths each (next hops 10.0.0.1-4), localpref 200, preference 10. */
function seedRoutes(): Route[] {
  return ['10.123.1.0', '10.123.0.0'].flatMap((prefix, p) =>
    [1, 2, 3, 4].map((n) => ({
      table: 'inet.0',
      prefix,
      length: 24,
      cookie: BigInt(p * 10 + n),
      nextHops: [`10.0.0.${n}`],
      localPref: 200,
      routePref: 10,
      owner: 'seed',
      since: START_MS,
    })),
  );
}

/** A RIB the handler reads, with a clock the test moves. */
function fixture(routes: Route[] = seedRoutes()) {
  let clock = START_MS;
  const source: OpCommandSource = { routes: () => routes };
  const handler = createOpCommandHandler(source, { hostname: 'r1', version: '0.1.0', now: () => clock });
  return { handler, routes, now: () => clock, advance: (ms: number) => (clock += ms) };
}

describe('show version', () => {
  it('answers in the Junos text layout', () => {
    const { handler } = fixture();
    const reply = handler('show version', 'text');
    expect(reply.ok).toBe(true);
    expect(reply.data.split('\n')).toEqual(['Hostname: r1', 'Model: jet-emulator', 'Junos: 0.1.0', '']);
  });

  it('answers as Junos JSON (elements as arrays, text under data)', () => {
    const { handler } = fixture();
    const json = JSON.parse(handler('show version', 'json').data);
    const info = json['software-information'][0];
    expect(info['host-name']).toEqual([{ data: 'r1' }]);
    expect(info['product-model']).toEqual([{ data: 'jet-emulator' }]);
    expect(info['junos-version']).toEqual([{ data: '0.1.0' }]);
  });

  it('answers as XML', () => {
    const { handler } = fixture();
    const xml = handler('show version', 'xml').data;
    expect(xml).toMatch(/^<software-information>/);
    expect(xml).toContain('<host-name>r1</host-name>');
    expect(xml).toContain('<junos-version>0.1.0</junos-version>');
  });

  it('accepts unique abbreviations, as the Junos CLI does', () => {
    const { handler } = fixture();
    expect(handler('sh ver', 'text').data).toContain('Hostname: r1');
  });
});

describe('show route protocol bgp-static', () => {
  it('renders the seed routes in the Junos text layout', () => {
    const { handler, advance } = fixture();
    advance(62_000);
    const reply = handler('show route protocol bgp-static', 'text');
    expect(reply.ok).toBe(true);
    const lines = reply.data.split('\n');
    expect(lines).toContain('inet.0: 2 destinations, 8 routes (2 active, 0 holddown, 0 hidden)');
    // Destinations in network order, the first path active, one "> to" line per next hop.
    const first = lines.findIndex((l) => l.startsWith('10.123.0.0/24'));
    const second = lines.findIndex((l) => l.startsWith('10.123.1.0/24'));
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(lines[first]).toBe('10.123.0.0/24      *[BGP-Static/10] 00:01:02, localpref 200');
    expect(lines[first + 1]).toBe('                      AS path: I');
    expect(lines[first + 2]).toBe('                    >  to 10.0.0.1');
    expect(lines[first + 3]).toBe('                    [BGP-Static/10] 00:01:02, localpref 200');
    const hops = lines
      .slice(first, second)
      .filter((l) => l.includes('>  to '))
      .map((l) => l.trim());
    expect(hops).toEqual(['>  to 10.0.0.1', '>  to 10.0.0.2', '>  to 10.0.0.3', '>  to 10.0.0.4']);
    expect(lines.slice(first, second).filter((l) => l.includes('*['))).toHaveLength(1);
  });

  it('renders route-information JSON shaped like Junos', () => {
    const { handler } = fixture();
    const json = JSON.parse(handler('show route protocol bgp-static', 'json').data);
    const table = json['route-information'][0]['route-table'][0];
    expect(table['table-name']).toEqual([{ data: 'inet.0' }]);
    expect(table['destination-count']).toEqual([{ data: '2' }]);
    expect(table['total-route-count']).toEqual([{ data: '8' }]);
    const rt = table.rt;
    expect(rt.map((r: Record<string, [{ data: string }]>) => r['rt-destination']![0].data)).toEqual([
      '10.123.0.0/24',
      '10.123.1.0/24',
    ]);
    const entries = rt[0]['rt-entry'];
    expect(entries).toHaveLength(4);
    expect(entries[0]['active-tag']).toEqual([{ data: '*' }]);
    expect(entries[1]['active-tag']).toBeUndefined();
    expect(entries[0]['protocol-name']).toEqual([{ data: 'BGP-Static' }]);
    expect(entries[0].preference).toEqual([{ data: '10' }]);
    expect(entries[0]['local-preference']).toEqual([{ data: '200' }]);
    expect(entries.map((e: { nh: [{ to: [{ data: string }] }] }) => e.nh[0].to[0].data)).toEqual([
      '10.0.0.1',
      '10.0.0.2',
      '10.0.0.3',
      '10.0.0.4',
    ]);
  });

  it('renders route-information XML', () => {
    const { handler } = fixture();
    const xml = handler('show route protocol bgp-static', 'xml').data;
    expect(xml).toMatch(/^<route-information>/);
    expect(xml.match(/<rt-destination>/g)).toHaveLength(2);
    expect(xml.match(/<rt-entry>/g)).toHaveLength(8);
    expect(xml).toContain('<selected-next-hop/>');
  });

  it('prints nothing when no route matches', () => {
    const { handler } = fixture([]);
    expect(handler('show route protocol bgp-static', 'text')).toEqual({ ok: true, data: '' });
  });

  it('lists no routes for other protocols', () => {
    const { handler } = fixture();
    expect(handler('show route protocol ospf', 'text').data).toBe('');
  });
});

describe('show route <prefix>', () => {
  it('lists one destination for its exact prefix', () => {
    const { handler } = fixture();
    const data = handler('show route 10.123.1.0/24', 'text').data;
    expect(data).toContain('inet.0: 1 destinations, 4 routes (1 active, 0 holddown, 0 hidden)');
    expect(data).toContain('10.123.1.0/24');
    expect(data).not.toContain('10.123.0.0/24');
  });

  it('lists more specific destinations under a shorter prefix', () => {
    const { handler } = fixture();
    const data = handler('show route 10.123.0.0/16', 'text').data;
    expect(data).toContain('10.123.0.0/24');
    expect(data).toContain('10.123.1.0/24');
    expect(handler('show route 10.123.0.0/16 exact', 'text').data).toBe('');
  });

  it('finds the longest match of a bare address', () => {
    const routes = [
      ...seedRoutes(),
      {
        table: 'inet.0',
        prefix: '10.123.0.0',
        length: 16,
        cookie: 99n,
        nextHops: ['10.0.0.9'],
        owner: 'x',
        since: START_MS,
      },
    ];
    const { handler } = fixture(routes);
    const data = handler('show route 10.123.1.77', 'text').data;
    expect(data).toContain('10.123.1.0/24');
    expect(data).not.toContain('10.123.0.0/16');
  });

  it('dates each path from when it was programmed or last changed', () => {
    const { handler, routes, now, advance } = fixture();
    advance(3_600_000);
    const at = routes.findIndex((r) => r.prefix === '10.123.1.0' && r.cookie === 1n);
    routes[at] = { ...routes[at]!, localPref: 300, since: now() };
    advance(5_000);
    const lines = handler('show route 10.123.1.0/24', 'text').data.split('\n');
    expect(lines.filter((l) => l.includes('00:00:05'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('01:00:05'))).toHaveLength(3);
  });
});

describe('errors', () => {
  it.each([
    ['show interfaces', 'syntax error, expecting <command>: interfaces'],
    ['request system reboot', 'syntax error, expecting <command>: request'],
    ['', 'syntax error, expecting <command>'],
    ['show route protocol nonsense', 'syntax error, expecting <protocol>: nonsense'],
    ['show route 10.0.0.0/33', 'syntax error, expecting <command>: 10.0.0.0/33'],
  ])('%j is refused', (command, error) => {
    const { handler } = fixture();
    expect(handler(command, 'text')).toEqual({ ok: false, data: '', error });
  });
});

describe('formatAge', () => {
  it.each([
    [0, '00:00:00'],
    [62, '00:01:02'],
    [86_400 + 3_723, '1d 01:02:03'],
    [8 * 86_400 + 5, '1w1d 00:00:05'],
  ])('%d s is %s', (seconds, text) => {
    expect(formatAge(seconds)).toBe(text);
  });
});
