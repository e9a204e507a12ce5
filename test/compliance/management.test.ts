/**
 * Operational commands through the management service (ExecuteOpCommand /
 * OpCommandGet), in both dialects. Against the emulator the command handler is
 * a stand-in installed by the test; against a router, `show version` must work.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_PART_CHARS } from '../../src/emulator/jsd.js';
import {
  complianceDialects,
  JetTestClient,
  ROUTER_MODE,
  startTarget,
  uniqueClientId,
  type ComplianceTarget,
} from './jet-client.js';

describe.each(complianceDialects())('operational commands (%s)', (dialect) => {
  let target: ComplianceTarget;
  let client: JetTestClient;

  beforeAll(async () => {
    target = await startTarget();
    client = JetTestClient.open(target, dialect, uniqueClientId('ops'));
    expect((await client.login()).ok).toBe(true);
  });
  afterAll(async () => {
    client.close();
    await target.stop();
  });
  afterEach(() => {
    if (target.emulator) delete target.emulator.opCommand;
  });

  it.runIf(ROUTER_MODE)('runs show version on the router', async () => {
    const parts = await client.opCommand('show version');
    expect(parts.every((p) => p.ok)).toBe(true);
    expect(parts.map((p) => p.data).join('')).not.toBe('');
  });

  it.skipIf(ROUTER_MODE)('answers a failure while no command handler is installed', async () => {
    const [reply, ...rest] = await client.opCommand('show version');
    expect(rest).toEqual([]);
    expect(reply).toMatchObject({ ok: false, data: '' });
    expect(reply?.message).toMatch(/not available/);
  });

  it.skipIf(ROUTER_MODE)('streams long output in several parts that join to the whole', async () => {
    const output = 'x'.repeat(OUTPUT_PART_CHARS * 2 + 10);
    const seen: string[] = [];
    target.emulator!.opCommand = (command, format) => {
      seen.push(`${format}:${command}`);
      return { ok: true, data: output };
    };
    const parts = await client.opCommand('show route');
    expect(seen).toEqual(['text:show route']);
    expect(parts.map((p) => p.data.length)).toEqual([OUTPUT_PART_CHARS, OUTPUT_PART_CHARS, 10]);
    expect(parts.every((p) => p.ok)).toBe(true);
    expect(parts.map((p) => p.data).join('')).toBe(output);
  });

  it.skipIf(ROUTER_MODE)("passes a failed command's error to the client", async () => {
    target.emulator!.opCommand = () => ({ ok: false, data: '', error: 'syntax error, expecting <command>' });
    expect(await client.opCommand('show nonsense')).toEqual([
      { ok: false, data: '', message: 'syntax error, expecting <command>' },
    ]);
  });
});
