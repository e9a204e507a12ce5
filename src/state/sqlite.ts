/**
 * Opens the bridge's SQLite state file: WAL journaling so readers never block
 * the writer and a crash leaves the last committed transaction readable, and
 * `synchronous=NORMAL`, durable against a process crash (see store.ts).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export interface StateDbOptions {
  /**
   * `OFF` leaves every write to the operating system: still durable against a
   * crash of the process, not against one of the machine (see inbox.ts).
   */
  synchronous?: 'NORMAL' | 'OFF';
  /** Holds the file for this connection alone, which saves the locking of every transaction. */
  exclusive?: boolean;
  /** How long to wait for a file another connection holds; better-sqlite3's default is 5 s. */
  busyTimeoutMs?: number;
}

export function openStateDb(file: string, options: StateDbOptions = {}): Database.Database {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, options.busyTimeoutMs === undefined ? {} : { timeout: options.busyTimeoutMs });
  if (options.exclusive === true) db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  return db;
}
