/**
 * `send`, `routes`, `apply` and `watch` against a running bridge process on a
 * real Mosquitto (MQTT 5 request/response), with the device emulated; the
 * bridge's /metrics, /healthz and /readyz after that traffic; and the bridge
 * stopping on SIGTERM with exit code 0. Everything runs as `jetbridge` child processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultMessage } from '../../src/mqtt/results.js';
import { parseExposition, sampleValue } from '../http/prom-text.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { runCli, startCli } from '../helpers/bridge-process.js';
import { emulatorRoutes, startBridge, type BridgeUnderTest } from './support.js';

const TEST_TIMEOUT = { timeout: 60_000 };
/** The seed file: two prefixes with four next hops each. */
const SEED_FILE = 'examples/routes/routes.toml';
const SEED_PREFIXES = ['10.123.0.0/24', '10.123.1.0/24'];

let mosquitto: RunningMosquitto;
let bridge: BridgeUnderTest;

beforeAll(async () => {
  mosquitto = await startMosquitto();
  bridge = await startBridge({ device: 'r1', broker: { url: mosquitto.url }, clientId: 'cli-test-bridge' });
}, 60_000);

afterAll(async () => {
  await bridge?.dispose();
  await mosquitto?.stop();
}, 30_000);

/** Runs a client command against the test bridge's config (broker URL and topic prefix). */
const client = (args: string[]) => runCli([...args, '--config', bridge.configFile]);

describe('jetbridge send', () => {
  it('prints the result of an announced route and exits 0', TEST_TIMEOUT, async () => {
    const { code, stdout, stderr } = await client([
      'send',
      '{"prefix":"10.1.0.0/24","nextHops":["10.0.0.1"]}',
      '--device',
      'r1',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as ResultMessage;
    expect(result).toMatchObject({
      ok: true,
      device: 'r1',
      results: [{ prefix: '10.1.0.0/24', action: 'announce', status: 'SUCCESS', added: 1 }],
    });
    expect(result.id).toMatch(/^cli-/);
    expect(await emulatorRoutes(bridge)).toContainEqual(
      expect.objectContaining({ prefix: '10.1.0.0/24', nextHops: ['10.0.0.1'] }),
    );
  });

  it('prints the refusal of a policy-denied route and exits 1', TEST_TIMEOUT, async () => {
    const { code, stdout } = await client(['send', '{"prefix":"0.0.0.0/0","nextHops":["10.0.0.1"]}', '--device', 'r1']);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      results: [{ prefix: '0.0.0.0/0', status: 'POLICY_DENIED' }],
    });
    expect(await emulatorRoutes(bridge)).not.toContainEqual(expect.objectContaining({ prefix: '0.0.0.0/0' }));
  });

  it('sends a file of intents as one request and prints every result', TEST_TIMEOUT, async () => {
    const { code, stdout } = await client(['send', '--file', 'examples/routes/routes.json', '--device', 'r1']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as ResultMessage;
    expect(result.results.map((r) => [r.prefix, r.status])).toEqual(SEED_PREFIXES.map((p) => [p, 'SUCCESS']));
    const withdrawn = await client(['apply', 'examples/routes/routes.json', '--device', 'r1', '--withdraw']);
    expect(withdrawn.code).toBe(0);
  });
});

describe('jetbridge routes', () => {
  it("lists the device's programmed routes", TEST_TIMEOUT, async () => {
    const { code, stdout } = await client(['routes', 'r1']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^inet\.0\s+10\.1\.0\.0\/24\s+via 10\.0\.0\.1\s+.*cookie \d+$/m);
    expect(stdout).toMatch(/^1 paths$/m);
  });

  it('prints the raw reply with --json, narrowed by --match', TEST_TIMEOUT, async () => {
    const { code, stdout } = await client(['routes', 'r1', '--json', '--match', '10.9.0.0/16', '--or-longer']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, routes: [] });
  });
});

describe('jetbridge apply', () => {
  it('programs the seed routes file, prints a summary and exits 0; --withdraw removes them', TEST_TIMEOUT, async () => {
    const applied = await client(['apply', SEED_FILE, '--device', 'r1']);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toBe(
      `announced 2 routes from ${SEED_FILE} on r1: SUCCESS 2 (paths added 8, modified 0, removed 0)\n`,
    );
    const seeded = (await emulatorRoutes(bridge)).filter((r) => SEED_PREFIXES.includes(r.prefix));
    expect(seeded).toHaveLength(8);
    expect(new Set(seeded.map((r) => r.nextHops.join()))).toEqual(
      new Set(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']),
    );

    const withdrawn = await client(['apply', SEED_FILE, '--device', 'r1', '--withdraw']);
    expect(withdrawn.code).toBe(0);
    expect(withdrawn.stdout).toBe(
      `withdrew 2 routes from ${SEED_FILE} on r1: SUCCESS 2 (paths added 0, modified 0, removed 8)\n`,
    );
    expect((await emulatorRoutes(bridge)).filter((r) => SEED_PREFIXES.includes(r.prefix))).toEqual([]);
  });
});

describe('jetbridge watch', () => {
  it('prints a JSON line for each result on the device result topic, and exits 0 on SIGINT', TEST_TIMEOUT, async () => {
    const watch = startCli(['watch', 'r1', '--json', '--config', bridge.configFile]);
    try {
      await watch.waitFor('watching ');
      // Without MQTT 5 the bridge answers on the public result topic, where watch listens.
      const sent = await client([
        'send',
        '{"id":"watched-1","prefix":"10.2.0.0/24","nextHops":["10.0.0.2"]}',
        '--device',
        'r1',
        '--mqtt3',
      ]);
      expect(sent.code).toBe(0);
      await watch.waitFor('"watched-1"', 15_000);
    } finally {
      expect(await watch.signal('SIGINT')).toBe(0);
    }
    const lines = watch
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { time: string; topic: string; payload: unknown });
    expect(lines).toContainEqual({
      time: expect.any(String),
      topic: 'jet/r1/state',
      payload: expect.objectContaining({ state: 'ready' }),
    });
    expect(lines).toContainEqual({
      time: expect.any(String),
      topic: 'jet/r1/bgp/result',
      payload: expect.objectContaining({
        id: 'watched-1',
        ok: true,
        results: [expect.objectContaining({ prefix: '10.2.0.0/24', status: 'SUCCESS' })],
      }),
    });
  });
});

describe('the running bridge', () => {
  it('counts the intents and results in /metrics', TEST_TIMEOUT, async () => {
    const response = await fetch(`${bridge.httpUrl}/metrics`);
    expect(response.status).toBe(200);
    const metrics = parseExposition(await response.text());
    expect(metrics.types.get('jetbridge_intents_received_total')).toBe('counter');
    expect(sampleValue(metrics, 'jetbridge_intents_received_total', { device: 'r1' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(metrics, 'jetbridge_results_total', { device: 'r1', status: 'SUCCESS' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(sampleValue(metrics, 'jetbridge_results_total', { device: 'r1', status: 'POLICY_DENIED' })).toBe(1);
  });

  it('answers /healthz and /readyz with 200', TEST_TIMEOUT, async () => {
    expect((await fetch(`${bridge.httpUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${bridge.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      mqtt: { connected: true },
      devices: { r1: { state: 'ready' } },
    });
  });

  it('stops on SIGTERM with exit code 0', TEST_TIMEOUT, async () => {
    expect(await bridge.stop()).toBe(0);
    expect(bridge.process.stderr()).toContain('jetbridge stopped');
  });
});
