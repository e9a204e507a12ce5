/**
 * The emulator's fault injection, as a client experiences it in both dialects:
 * an outage (UNAVAILABLE), a busy router (TRY_AGAIN / REQUEST_NOT_DONE), added
 * latency and dropped connections. Needs the emulator's control API.
 */
import * as grpc from '@grpc/grpc-js';
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

  beforeAll(async () => {
    target = await startTarget({ purgeTimeoutMs: 10_000 });
  });
  afterAll(async () => {
    await target.stop();
  });
  afterEach(() => {
    target.emulator!.setFaults({});
    client.close();
  });

  it('fails route calls with UNAVAILABLE during an outage, and serves them again after', async () => {
    client = await JetTestClient.ready(target, dialect, uniqueClientId('outage'));
    target.emulator!.setFaults({ unavailable: true });
    await expect(client.add(hostRoutes(1))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    await expect(client.get({})).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    target.emulator!.setFaults({});
    expect(await client.add(hostRoutes(1))).toMatchObject({ status: 'SUCCESS' });
    await client.cleanup();
  });

  it("answers route operations with the dialect's try-again status while the router is busy", async () => {
    client = await JetTestClient.ready(target, dialect, uniqueClientId('busy'));
    target.emulator!.setFaults({ tryAgain: true });
    expect(await client.add(hostRoutes(2))).toMatchObject({
      status: statusName(dialect, 'TRY_AGAIN'),
      ok: false,
      completed: 0,
    });
    const [get] = await client.get({});
    expect(get).toMatchObject({ status: 'TRY_AGAIN', ok: false });
    expect(target.emulator!.routes()).toEqual([]);
  });

  it('delays route calls by the injected latency', async () => {
    client = await JetTestClient.ready(target, dialect, uniqueClientId('slow'));
    target.emulator!.setFaults({ latencyMs: 150 });
    let answered = false;
    const pending = client.add(hostRoutes(1)).then((reply) => {
      answered = true;
      return reply;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    expect(await pending).toMatchObject({ status: 'SUCCESS' });
    target.emulator!.setFaults({});
    await client.cleanup();
  });

  it('drops every connection on dropConnections; the client rebinds its state', async () => {
    const clientId = uniqueClientId('dropped');
    client = await JetTestClient.ready(target, dialect, clientId);
    await client.add(hostRoutes(2, { secondOctet: 85 }));
    target.emulator!.setFaults({ dropConnections: true });
    await expect.poll(() => target.emulator!.clients().find((c) => c.clientId === clientId)?.connected).toBe(false);
    expect(target.emulator!.clients().find((c) => c.clientId === clientId)?.purgeAt).toBeDefined();

    // The same channel reconnects; the new connection must log in and Initialize again.
    await expect(client.initialize()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect((await client.login()).ok).toBe(true);
    expect(await client.initialize()).toMatchObject({ status: 'SUCCESS_STATE_REBOUND', routes: 2 });
    await client.cleanup();
  });
});
