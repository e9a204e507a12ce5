/**
 * Opens the bridge's SQLite state file: WAL journaling so readers never block
 * the writer and a crash leaves the last committed transaction readable, and
 * `synchronous=NORMAL`, durable against a process crash (see store.ts).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export function openStateDb(file: string): Database.Database {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}
