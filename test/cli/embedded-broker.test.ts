/**
 * The client commands against a bridge with its embedded broker, which speaks
 * MQTT 3.1.1 only (as the checked-in default config runs it): replies are
 * matched by id on the device's result topic, with `--mqtt3` or by falling
 * back when the broker refuses MQTT 5.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultMessage } from '../../src/mqtt/results.js';
import { runCli } from '../helpers/bridge-process.js';
import { emulatorRoutes, startBridge, type BridgeUnderTest } from './support.js';

const TEST_TIMEOUT = { timeout: 60_000 };
const SEED_FILE = 'examples/routes/routes.toml';

let bridge: BridgeUnderTest;
beforeAll(async () => {
  bridge = await startBridge({ device: 'r1', clientId: 'cli-embedded-bridge' });
}, 60_000);
afterAll(() => bridge?.dispose(), 30_000);

const client = (args: string[]) => runCli([...args, '--config', bridge.configFile]);

describe('client commands on the embedded broker', () => {
  it('send --mqtt3 prints the result and exits 0', TEST_TIMEOUT, async () => {
    const { code, stdout, stderr } = await client([
      'send',
      '{"prefix":"10.1.0.0/24","nextHops":["10.0.0.1"]}',
      '--device',
      'r1',
      '--mqtt3',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout) as ResultMessage).toMatchObject({
      ok: true,
      results: [{ prefix: '10.1.0.0/24', status: 'SUCCESS' }],
    });
    expect(await emulatorRoutes(bridge)).toContainEqual(expect.objectContaining({ prefix: '10.1.0.0/24' }));
  });

  it(
    'falls back to MQTT 3.1.1 without --mqtt3, saying so, and matches the reply to a list of intents',
    TEST_TIMEOUT,
    async () => {
      const applied = await client(['apply', SEED_FILE, '--device', 'r1']);
      expect(applied.stderr).toContain('does not speak MQTT 5 (the embedded broker does not); using MQTT 3.1.1');
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain('SUCCESS 2 (paths added 8,');
      expect((await emulatorRoutes(bridge)).filter((r) => r.prefix.startsWith('10.123.'))).toHaveLength(8);

      const withdrawn = await client(['apply', SEED_FILE, '--device', 'r1', '--withdraw', '--mqtt3']);
      expect(withdrawn.code).toBe(0);
      expect((await emulatorRoutes(bridge)).filter((r) => r.prefix.startsWith('10.123.'))).toEqual([]);
    },
  );
});
