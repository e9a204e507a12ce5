/**
 * Login, Initialize and client routing state across connections, in both
 * dialects: refused calls before login, wrong passwords, rebinding within the
 * purge timeout, losing routes after it, Cleanup, and the connection limit.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientEvent } from '../../src/emulator/emulator.js';
import {
  complianceDialects,
  hostRoutes,
  JetTestClient,
  ROUTER_MODE,
  startTarget,
  uniqueClientId,
  type ComplianceTarget,
} from './jet-client.js';

const unauthenticated = { code: grpc.status.UNAUTHENTICATED };

describe.each(complianceDialects())('sessions (%s)', (dialect) => {
  let target: ComplianceTarget;

  beforeAll(async () => {
    // Long enough that a reconnect always lands inside it, short enough not to matter.
    target = await startTarget({ purgeTimeoutMs: 10_000 });
  });
  afterAll(async () => {
    await target.stop();
  });

  it('refuses every call on a connection that has not logged in with UNAUTHENTICATED', async () => {
    const client = JetTestClient.open(target, dialect, uniqueClientId('anon'));
    try {
      await expect(client.initialize()).rejects.toMatchObject(unauthenticated);
      await expect(client.add(hostRoutes(1))).rejects.toMatchObject(unauthenticated);
      await expect(client.remove(hostRoutes(1))).rejects.toMatchObject(unauthenticated);
      await expect(client.cleanup()).rejects.toMatchObject(unauthenticated);
      await expect(client.get({})).rejects.toMatchObject(unauthenticated);
      await expect(client.unsubscribe()).rejects.toMatchObject(unauthenticated);
      await expect(client.opCommand('show version')).rejects.toMatchObject(unauthenticated);
      const stream = client.subscribe();
      expect(await stream.ended).toMatchObject(unauthenticated);
    } finally {
      client.close();
    }
  });

  it('answers a wrong password with a failed login, and the connection stays unauthenticated', async () => {
    const client = JetTestClient.open(target, dialect, uniqueClientId('badpw'));
    try {
      const login = await client.login(target.user, `${target.password}-wrong`);
      expect(login.ok).toBe(false);
      if (dialect === 'jnx') expect(login.message).not.toBe('');
      expect((await client.login('nobody-by-this-name', target.password)).ok).toBe(false);
      await expect(client.initialize()).rejects.toMatchObject(unauthenticated);
    } finally {
      client.close();
    }
  });

  it('rebinds a client whose connection dropped without Cleanup: SUCCESS_STATE_REBOUND, routes kept', async () => {
    const clientId = uniqueClientId('rebind');
    const first = await JetTestClient.ready(target, dialect, clientId);
    expect(await first.add(hostRoutes(3, { secondOctet: 70 }))).toMatchObject({ status: 'SUCCESS', completed: 3 });
    first.close();

    const second = JetTestClient.open(target, dialect, clientId);
    try {
      expect((await second.login()).ok).toBe(true);
      expect(await second.initialize()).toMatchObject({ status: 'SUCCESS_STATE_REBOUND', ok: true, routes: 3 });
      const routes = (await second.get({ table: 'inet.0' })).flatMap((r) => r.routes);
      expect(routes.map((r) => r.prefix).sort()).toEqual(['10.70.0.0', '10.70.0.1', '10.70.0.2']);
      // The rebound client owns its routes again: it can remove them.
      expect(await second.remove(hostRoutes(3, { secondOctet: 70 }))).toMatchObject({
        status: 'SUCCESS',
        completed: 3,
      });
    } finally {
      await second.cleanup();
      second.close();
    }
  });

  it('withdraws the routes at Cleanup; the client must Initialize again and starts afresh', async () => {
    const clientId = uniqueClientId('cleanup');
    const client = await JetTestClient.ready(target, dialect, clientId);
    try {
      expect(await client.add(hostRoutes(2, { secondOctet: 71 }))).toMatchObject({ status: 'SUCCESS' });
      expect(await client.cleanup()).toMatchObject({ status: 'SUCCESS', ok: true });
      expect(await client.cleanup()).toMatchObject({ status: 'NOT_INITIALIZED', ok: false });
      expect(await client.add(hostRoutes(1, { secondOctet: 71 }))).toMatchObject({ status: 'NOT_INITIALIZED' });
      expect(await client.initialize()).toMatchObject({ status: 'SUCCESS', routes: 0 });
      expect((await client.get({ table: 'inet.0' })).flatMap((r) => r.routes)).toEqual([]);
    } finally {
      await client.cleanup();
      client.close();
    }
  });

  it('starts afresh after Cleanup and a reconnect (SUCCESS, not SUCCESS_STATE_REBOUND)', async () => {
    const clientId = uniqueClientId('cleanup-reconnect');
    const first = await JetTestClient.ready(target, dialect, clientId);
    await first.add(hostRoutes(1, { secondOctet: 72 }));
    await first.cleanup();
    first.close();
    const second = await JetTestClient.ready(target, dialect, clientId);
    try {
      expect(await second.initialize()).toMatchObject({ status: 'ALREADY_INITIALIZED' });
      expect((await second.get({ table: 'inet.0' })).flatMap((r) => r.routes)).toEqual([]);
    } finally {
      await second.cleanup();
      second.close();
    }
  });

  it.skipIf(ROUTER_MODE)("withdraws a dropped client's routes once the purge timeout passes", async () => {
    const short = await startTarget({ purgeTimeoutMs: 40 });
    const emulator = short.emulator!;
    try {
      const clientId = uniqueClientId('purge');
      const purged = new Promise<ClientEvent>((resolve) =>
        emulator.events.on('client', (event: ClientEvent) => event.type === 'purged' && resolve(event)),
      );
      const first = await JetTestClient.ready(short, dialect, clientId);
      await first.add(hostRoutes(4, { secondOctet: 73 }));
      expect(emulator.routes()).toHaveLength(4);
      first.close();

      expect(await purged).toEqual({ type: 'purged', clientId, routes: 4 });
      expect(emulator.routes()).toEqual([]);
      const second = JetTestClient.open(short, dialect, clientId);
      try {
        await second.login();
        expect(await second.initialize()).toMatchObject({ status: 'SUCCESS', routes: 0 });
      } finally {
        second.close();
      }
    } finally {
      await short.stop();
    }
  });

  it.skipIf(ROUTER_MODE)('refuses connections above the connection limit', async () => {
    const limited = await startTarget({ maxConnections: 2 });
    const clients = [0, 1, 2].map((i) => JetTestClient.open(limited, dialect, uniqueClientId(`limit${i}`)));
    try {
      expect((await clients[0]!.login()).ok).toBe(true);
      expect((await clients[1]!.login()).ok).toBe(true);
      await expect(clients[2]!.login()).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      clients[0]!.close();
      await expect.poll(() => limited.emulator!.clients().filter((c) => c.connected).length).toBe(1);
      const latecomer = JetTestClient.open(limited, dialect, uniqueClientId('limit3'));
      try {
        expect((await latecomer.login()).ok).toBe(true);
      } finally {
        latecomer.close();
      }
    } finally {
      for (const client of clients) client.close();
      await limited.stop();
    }
  });
});
