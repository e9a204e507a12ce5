import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientRegistry, type ClientState, type Connection } from '../../src/emulator/clients.js';

const PURGE_MS = 1_000;

describe('ClientRegistry', () => {
  let purged: string[];
  let registry: ClientRegistry;
  let port = 40_000;

  const connect = (): Connection => registry.connect(`127.0.0.1:${port++}`, () => undefined);
  const loggedIn = (clientId: string): Connection => {
    const connection = connect();
    registry.login(connection, { user: 'jet', clientId, dialect: 'legacy' });
    return connection;
  };
  const state = (clientId: string): ClientState | undefined => registry.clients().find((c) => c.clientId === clientId);

  beforeEach(() => {
    vi.useFakeTimers();
    purged = [];
    registry = new ClientRegistry({ purgeTimeoutMs: PURGE_MS, onPurge: (s) => purged.push(s.clientId) });
  });
  afterEach(() => {
    registry.stop();
    vi.useRealTimers();
  });

  it('finds connections by peer and forgets them when they close', () => {
    const connection = connect();
    expect(registry.connection(connection.peer)).toBe(connection);
    expect(registry.connectionCount).toBe(1);
    registry.disconnect(connection);
    expect(registry.connection(connection.peer)).toBeUndefined();
    expect(registry.connectionCount).toBe(0);
  });

  it('answers SUCCESS for a new client id and ALREADY_INITIALIZED on the same connection', () => {
    const connection = loggedIn('c1');
    expect(registry.isInitialized(connection)).toBe(false);
    expect(registry.initialize(connection)).toBe('SUCCESS');
    expect(registry.isInitialized(connection)).toBe(true);
    expect(registry.initialize(connection)).toBe('ALREADY_INITIALIZED');
  });

  it("keeps a dropped client's state until the purge timeout, and rebinds it before then", () => {
    const first = loggedIn('c1');
    registry.initialize(first);
    registry.disconnect(first);
    expect(state('c1')).toMatchObject({ connection: undefined, active: true });
    expect(state('c1')?.purgeAt?.getTime()).toBe(Date.now() + PURGE_MS);

    vi.advanceTimersByTime(PURGE_MS - 1);
    const second = loggedIn('c1');
    expect(registry.initialize(second)).toBe('SUCCESS_STATE_REBOUND');
    expect(state('c1')?.purgeAt).toBeUndefined();
    vi.advanceTimersByTime(PURGE_MS * 2);
    expect(purged).toEqual([]);
  });

  it('purges the state when the timeout passes; the next Initialize starts afresh', () => {
    const first = loggedIn('c1');
    registry.initialize(first);
    registry.disconnect(first);
    vi.advanceTimersByTime(PURGE_MS);
    expect(purged).toEqual(['c1']);
    expect(state('c1')).toBeUndefined();
    expect(registry.initialize(loggedIn('c1'))).toBe('SUCCESS');
  });

  it('purges on time even when a new connection logged in but did not Initialize', () => {
    const first = loggedIn('c1');
    registry.initialize(first);
    registry.disconnect(first);
    const second = loggedIn('c1');
    vi.advanceTimersByTime(PURGE_MS);
    expect(purged).toEqual(['c1']);
    expect(registry.initialize(second)).toBe('SUCCESS');
  });

  it('forgets a client that never initialized as soon as it disconnects', () => {
    const connection = loggedIn('c1');
    registry.disconnect(connection);
    expect(state('c1')).toBeUndefined();
    vi.advanceTimersByTime(PURGE_MS);
    expect(purged).toEqual([]);
  });

  it('gives up the state at Cleanup: no rebind after a reconnect', () => {
    const first = loggedIn('c1');
    registry.initialize(first);
    expect(registry.cleanup(first)?.clientId).toBe('c1');
    expect(registry.isInitialized(first)).toBe(false);
    expect(registry.cleanup(first)).toBeUndefined();
    registry.disconnect(first);
    expect(state('c1')).toBeUndefined();
    expect(registry.initialize(loggedIn('c1'))).toBe('SUCCESS');
  });

  it('lets a newer connection take a live client id over; the older one must Initialize again', () => {
    const older = loggedIn('c1');
    registry.initialize(older);
    const newer = loggedIn('c1');
    expect(registry.isInitialized(older)).toBe(false);
    expect(registry.initialize(newer)).toBe('SUCCESS_STATE_REBOUND');
    // The older connection closing late must not start a purge of the newer one's state.
    registry.disconnect(older);
    vi.advanceTimersByTime(PURGE_MS);
    expect(purged).toEqual([]);
    expect(registry.isInitialized(newer)).toBe(true);
  });

  it('releases the old client id when a connection logs in again under another', () => {
    const connection = loggedIn('c1');
    registry.initialize(connection);
    registry.login(connection, { user: 'jet', clientId: 'c2', dialect: 'jnx' });
    expect(state('c1')).toMatchObject({ connection: undefined, active: true });
    expect(state('c2')).toMatchObject({ dialect: 'jnx', connection });
    expect(registry.initialize(connection)).toBe('SUCCESS');
  });
});
