/**
 * The two state backends as the parameterised suites see them: each fixture
 * opens a backend on storage of its own (a temporary folder, or a database
 * created for it) that survives close() and reopening; reset() empties it
 * between tests (cheaper than a new database each), dispose() removes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SqliteState, type StateBackend } from '../../src/state/backend.js';
import { PostgresState } from '../../src/state/postgres.js';
import { createTestDatabase } from '../helpers/postgres.js';

export interface BackendFixture {
  /** Opens the backend on this fixture's storage (again after a close). */
  open(): Promise<StateBackend>;
  /** Empties the storage (close the backend first): the next open starts from nothing. */
  reset(): Promise<void>;
  dispose(): Promise<void>;
}

export interface BackendKind {
  kind: 'sqlite' | 'postgres';
  create(label: string): Promise<BackendFixture>;
}

/** The device a request topic names, as the bridge's topics read it. */
export const deviceOfTopic = (topic: string): string | undefined => topic.split('/')[1];

export const sqliteBackend: BackendKind = {
  kind: 'sqlite',
  async create() {
    const newFile = () => path.join(mkdtempSync(path.join(tmpdir(), 'jetbridge-state-')), 'nested', 'state.db');
    let file = newFile();
    const remove = () => rmSync(path.dirname(path.dirname(file)), { recursive: true, force: true });
    return {
      open: () => SqliteState.open(file, deviceOfTopic),
      async reset() {
        remove();
        file = newFile();
      },
      dispose: async () => remove(),
    };
  },
};

export const postgresBackend: BackendKind = {
  kind: 'postgres',
  async create(label) {
    const db = await createTestDatabase(label);
    return {
      open: () => PostgresState.open({ url: db.url }),
      async reset() {
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        try {
          await client.query('DROP SCHEMA IF EXISTS jetbridge CASCADE');
        } finally {
          await client.end();
        }
      },
      dispose: () => db.drop(),
    };
  },
};

export const BACKENDS: readonly BackendKind[] = [sqliteBackend, postgresBackend];
