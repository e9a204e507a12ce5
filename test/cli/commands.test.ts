/**
 * The `jetbridge` command without a bridge to talk to: help on every command,
 * `validate`, and the exit codes scripts rely on for bad usage (2) and an
 * unreachable broker (3). Each case runs the real CLI as a child process.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/bridge-process.js';
import { freePort } from '../helpers/ports.js';

const BROKER_FLAGS = [
  '--config',
  '--url',
  '--prefix',
  '--mqtt3',
  '--timeout',
  '--username',
  '--password',
  '--cafile',
  '--cert',
  '--key',
  '--insecure',
  '--device',
];

/** Every command and the long options its help must list. */
const COMMANDS: ReadonlyArray<[command: string, options: string[]]> = [
  ['run', ['--config', '--drain-timeout']],
  ['emulator', ['--host', '--port', '--dialect', '--user', '--admin-port', '--no-admin', '--tls-dir', '--notify-mqtt']],
  ['validate', []],
  ['schema', []],
  ['send', ['--file', ...BROKER_FLAGS]],
  ['routes', ['--match', '--or-longer', '--json', ...BROKER_FLAGS]],
  ['op', ['--format', '--json', ...BROKER_FLAGS]],
  ['apply', ['--withdraw', '--chunk', ...BROKER_FLAGS]],
  ['watch', ['--json', ...BROKER_FLAGS]],
];

describe('jetbridge --help', () => {
  it('lists every command and exits 0', { timeout: 30_000 }, async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const [command] of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it.each(COMMANDS)(
    'jetbridge %s --help lists its options and exits 0',
    { timeout: 30_000 },
    async (command, options) => {
      const { code, stdout } = await runCli([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: jetbridge ${command}`);
      for (const option of options) expect(stdout).toContain(option);
      // The client commands list the exit codes scripts rely on.
      if (options.includes('--mqtt3')) expect(stdout).toMatch(/^Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 .*\n {2}3 /m);
    },
  );
});

describe('jetbridge --version', () => {
  it('prints the version of package.json', { timeout: 30_000 }, async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });
});

describe('jetbridge validate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jetbridge-validate-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('accepts the checked-in bridge.config.json and summarises it', { timeout: 30_000 }, async () => {
    const { code, stdout } = await runCli(['validate', 'bridge.config.json']);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^bridge\.config\.json is valid: broker mqtt:\/\/127\.0\.0\.1:1883, topic prefix "jet", devices r1 \(legacy at 127\.0\.0\.1:32767\)/,
    );
  });

  it('refuses a broken config with exit code 2, naming each field', { timeout: 30_000 }, async () => {
    const file = join(dir, 'broken.json');
    await writeFile(
      file,
      JSON.stringify({
        mqtt: { qos: 3 },
        devices: [{ name: 'r1', address: '10.0.0.1:abc', username: 'jet', password: 'jet' }],
      }),
    );
    const { code, stderr } = await runCli(['validate', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^devices\[0\]\.address: expected host:port, got "10\.0\.0\.1:abc"/m);
    expect(stderr).toMatch(/^mqtt\.qos: /m);
  });

  it('says so when the file does not exist, with exit code 2', { timeout: 30_000 }, async () => {
    const { code, stderr } = await runCli(['validate', join(dir, 'missing.json')]);
    expect(code).toBe(2);
    expect(stderr).toContain('missing.json not found');
  });
});

describe('client commands without a bridge', () => {
  it('exit with code 3 when the broker cannot be reached', { timeout: 30_000 }, async () => {
    const url = `mqtt://127.0.0.1:${await freePort()}`;
    const { code, stderr } = await runCli([
      'send',
      '{"prefix":"10.1.0.0/24","nextHops":["10.0.0.1"]}',
      '--device',
      'r1',
      '--url',
      url,
    ]);
    expect(code).toBe(3);
    expect(stderr).toContain(`cannot connect to ${url}`);
  });

  it.each([
    ['an intent that is not JSON', ['send', '{prefix', '--device', 'r1'], /the intent is not valid JSON/],
    [
      'a chunk size of 0',
      ['apply', 'examples/routes/routes.toml', '--device', 'r1', '--chunk', '0'],
      /--chunk <n>' argument '0' is invalid\. expected a whole number 1\.\.10000/,
    ],
    [
      'a config file that does not exist',
      ['routes', 'r1', '--config', 'no-such.json'],
      /config file no-such\.json not found/,
    ],
    [
      'a broker URL that is not one',
      ['routes', 'r1', '--url', 'localhost'],
      /--url <url>' argument 'localhost' is invalid/,
    ],
  ])('exit with code 2 on %s, saying what is wrong', { timeout: 30_000 }, async (_case, args, message) => {
    const { code, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
