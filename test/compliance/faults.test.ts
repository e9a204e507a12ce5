/**
 * The emulator's fault injection, as a client experiences it in both dialects:
 * an outage (UNAVAILABLE), a busy router (TRY_AGAIN / REQUEST_NOT_DONE), added
 * latency, dropped connections and route-level rejections. Needs the
 * emulator's control API.
 */
import * as grpc from '@grpc/grpc-js';
import type { JetEmulator } from '../../src/emulator/emulator.js';
import type { BgpPath } from '../../src/jet/model.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  complianceDialects,
  hostRoutes,
  JetTestClient,
  ROUTER_MODE,
  startTarget,
  statusName,
  uniqueClientId,
  type ComplianceTarget,
} from './jet-client.js';

describe.skipIf(ROUTER_MODE).each(complianceDialects())('faults (%s)', (dialect) => {
  let target: ComplianceTarget;
  let client: JetTestClient;
  const emulator = (): JetEmulator => {
    if (!target.emulator) throw new Error('the fault tests need the emulator');
    return target.emulator;
  };

  beforeAll(async () => {
    target = await startTarget({ purgeTimeoutMs: 10_000 });
  });
  afterAll(async () => {
    await target.stop();
  });
  afterEach(() => {
    emulator().setFaults({});
    client.close();
  });

  it('fails route calls with UNAVAILABLE during an outage, and serves them again after', async () => {
    client = await JetTestClient.ready(target, dialect, uniqueClientId('outage'));
    emulator().setFaults({ unavailable: true });
    await expect(client.add(hostRoutes(1))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    await expect(client.get({})).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    emulator().setFaults({});
    expect(await client.add(hostRoutes(1))).toMatchObject({ status: 'SUCCESS' });
    await client.cleanup();
  });

  it("answers route operations with the dialect's try-again status while the router is busy", async () => {
    client = await JetTestClient.ready(target, dialect, uniqueClientId('busy'));
    emulator().setFaults({ tryAgain: true });
    expect(await client.add(hostRoutes(2))).toMatchObject({
      status: statusName(dialect, 'TRY_AGAIN'),
      ok: false,
      completed: 0,
    });
    const [get] = await client.get({});
    expect(get).toMatchObject({ status: 'TRY_AGAIN', ok: false });
    expect(emulator().routes()).toEqual([]);
  });

  it('delays route calls by the injected latency', async () => {
    client = await JetTestClient.ready(target, dialect, uniqueClientId('slow'));
    emulator().setFaults({ latencyMs: 150 });
    let answered = false;
    const pending = client.add(hostRoutes(1)).then((reply) => {
      answered = true;
      return reply;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    expect(await pending).toMatchObject({ status: 'SUCCESS' });
    emulator().setFaults({});
    await client.cleanup();
  });

  it('drops every connection on dropConnections; the client rebinds its state', async () => {
    const clientId = uniqueClientId('dropped');
    client = await JetTestClient.ready(target, dialect, clientId);
    await client.add(hostRoutes(2, { secondOctet: 85 }));
    emulator().setFaults({ dropConnections: true });
    await expect
      .poll(
        () =>
          emulator()
            .clients()
            .find((c) => c.clientId === clientId)?.connected,
      )
      .toBe(false);
    expect(
      emulator()
        .clients()
        .find((c) => c.clientId === clientId)?.purgeAt,
    ).toBeDefined();

    // The same channel reconnects; the new connection must log in and Initialize again.
    await expect(client.initialize()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect((await client.login()).ok).toBe(true);
    expect(await client.initialize()).toMatchObject({ status: 'SUCCESS_STATE_REBOUND', routes: 2 });
    await client.cleanup();
  });

  describe('route-level rejections', () => {
    const route = (prefix: string, length = 24, cookie = 1n): BgpPath => ({
      table: prefix.includes(':') ? 'inet6.0' : 'inet.0',
      prefix,
      length,
      cookie,
      nextHops: [prefix.includes(':') ? '2001:db8::1' : '192.0.2.1'],
      peerType: 'internal',
    });
    const programmed = () =>
      emulator()
        .routes()
        .filter((r) => r.owner === client.clientId)
        .map((r) => `${r.prefix}/${r.length}#${r.cookie}`);

    it('refuses routes inside the prefixes with the chosen status, first-error abort with operations_completed', async () => {
      client = await JetTestClient.ready(target, dialect, uniqueClientId('reject-add'));
      emulator().setFaults({ reject: { prefixes: ['10.1.0.0/16'], status: 'NEXTHOP_ADDRESS_INVALID' } });
      const batch = [route('10.2.0.0'), route('10.1.5.0'), route('10.2.1.0')];
      expect(await client.add(batch)).toMatchObject({ status: 'NEXTHOP_ADDRESS_INVALID', ok: false, completed: 1 });
      expect(programmed()).toEqual(['10.2.0.0/24#1']);
      // The prefix itself and longer ones are inside; a covering, shorter prefix is not.
      expect(await client.add([route('10.1.0.0', 16)])).toMatchObject({ status: 'NEXTHOP_ADDRESS_INVALID' });
      expect(await client.add([route('10.0.0.0', 8)])).toMatchObject({ status: 'SUCCESS', completed: 1 });
      emulator().setFaults({});
      expect(await client.add([route('10.1.5.0'), route('10.2.1.0')])).toMatchObject({
        status: 'SUCCESS',
        completed: 2,
      });
      await client.cleanup();
    });

    it('refuses only the chosen operations', async () => {
      client = await JetTestClient.ready(target, dialect, uniqueClientId('reject-ops'));
      expect(await client.add([route('10.3.0.0')])).toMatchObject({ status: 'SUCCESS' });
      emulator().setFaults({
        reject: { prefixes: ['10.3.0.0/16'], status: 'ROUTE_ADD_FAILED', ops: ['remove'] },
      });
      expect(await client.oper('update', [{ ...route('10.3.0.0'), localPref: 200 }])).toMatchObject({
        status: 'SUCCESS',
      });
      expect(await client.remove([route('10.3.0.0')])).toMatchObject({ status: 'ROUTE_ADD_FAILED', completed: 0 });
      expect(programmed()).toEqual(['10.3.0.0/24#1']);

      emulator().setFaults({ reject: { prefixes: ['10.3.0.0/16'], status: 'TABLE_NOT_READY', ops: ['update'] } });
      expect(await client.oper('update', [route('10.3.0.0')])).toMatchObject({ status: 'TABLE_NOT_READY' });
      expect(await client.remove([route('10.3.0.0')])).toMatchObject({ status: 'SUCCESS', completed: 1 });
    });

    it("takes either dialect's status names and IPv6 prefixes", async () => {
      client = await JetTestClient.ready(target, dialect, uniqueClientId('reject-v6'));
      emulator().setFaults({ reject: { prefixes: ['2001:db8:1::/48'], status: 'REQUEST_NOT_DONE' } });
      expect(await client.add([route('2001:db8:1:2::', 64)])).toMatchObject({
        status: statusName(dialect, 'TRY_AGAIN'),
        ok: false,
        completed: 0,
      });
      expect(await client.add([route('2001:db8:2::', 48)])).toMatchObject({ status: 'SUCCESS' });
      await client.cleanup();
    });

    it('refuses a fault it cannot use, naming the field, and keeps the one in force', async () => {
      client = await JetTestClient.ready(target, dialect, uniqueClientId('reject-bad'));
      const inForce = { prefixes: ['10.4.0.0/16'], status: 'BGP_NOT_READY' };
      emulator().setFaults({ reject: inForce });
      expect(() => emulator().setFaults({ reject: { ...inForce, prefixes: ['10.4.0.0/33'] } })).toThrow(
        /prefixes\[0\]/,
      );
      expect(() => emulator().setFaults({ reject: { ...inForce, status: 'SUCCESS' } })).toThrow(
        /status: SUCCESS is not a refusal/,
      );
      expect(() => emulator().setFaults({ reject: { ...inForce, status: 'BOGUS' } })).toThrow(
        /"BOGUS" is not a JET status name/,
      );
      expect(await client.add([route('10.4.1.0')])).toMatchObject({ status: 'BGP_NOT_READY', completed: 0 });
    });
  });
});
