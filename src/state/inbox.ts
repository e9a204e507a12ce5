/**
 * The bridge's durable inbox: every QoS 1/2 request is written here before it is
 * acknowledged to the broker, and removed once its result has been published.
 *
 * Why not acknowledge after the result? MQTT requires PUBACKs in the order the
 * messages arrived, and mqtt.js reads nothing more from the socket while one
 * acknowledgement is pending (see src/mqtt/client.ts). Holding each PUBACK until
 * its JET result would let one intent through at a time. So the guarantee is kept
 * in two halves: the broker holds a message until it is in this inbox, and the
 * inbox holds it until its result is out. After a crash, whatever is still here is
 * served again before new messages.
 */
import type Database from 'better-sqlite3';
import { openStateDb } from './sqlite.js';

export interface InboxMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  responseTopic?: string;
  correlationData?: Buffer;
}

export interface StoredInboxMessage extends InboxMessage {
  seq: number;
}

interface Row {
  seq: number;
  topic: string;
  payload: Buffer;
  qos: number;
  response_topic: string | null;
  correlation_data: Buffer | null;
}

export class SqliteInbox {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[string, Buffer, number, string | null, Buffer | null]>;
  private readonly settleMany: (seqs: number[]) => void;
  private settled: number[] = [];
  private flushScheduled = false;

  constructor(file: string) {
    this.db = openStateDb(file);
    // A plain INTEGER PRIMARY KEY, not AUTOINCREMENT: that would also rewrite the
    // sqlite_sequence page on every put, doubling what each put writes to the WAL and
    // how often a checkpoint (with its fsync) stalls the event loop. A seq is only
    // reused after its row is deleted, that is after its message was answered, and
    // new rows still sort after every unsettled one.
    this.db.exec(`CREATE TABLE IF NOT EXISTS inbox (
      seq INTEGER PRIMARY KEY,
      topic TEXT NOT NULL,
      payload BLOB NOT NULL,
      qos INTEGER NOT NULL,
      response_topic TEXT,
      correlation_data BLOB
    )`);
    this.insert = this.db.prepare('INSERT INTO inbox (topic, payload, qos, response_topic, correlation_data) VALUES (?, ?, ?, ?, ?)');
    const remove = this.db.prepare<[number]>('DELETE FROM inbox WHERE seq = ?');
    this.settleMany = this.db.transaction((seqs: number[]) => {
      for (const seq of seqs) remove.run(seq);
    });
  }

  /** Records a message durably (synchronously, before the caller acknowledges it). */
  put(msg: InboxMessage): number {
    return Number(this.insert.run(msg.topic, msg.payload, msg.qos, msg.responseTopic ?? null, msg.correlationData ?? null).lastInsertRowid);
  }

  /** Marks a message's result as published; removals are grouped into one transaction per tick. */
  settle(seq: number): void {
    this.settled.push(seq);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Messages accepted but not settled, oldest first: the work a crash interrupted. */
  pending(): StoredInboxMessage[] {
    const rows = this.db.prepare<[], Row>('SELECT * FROM inbox ORDER BY seq').all();
    return rows.map((r) => ({
      seq: r.seq,
      topic: r.topic,
      payload: r.payload,
      qos: r.qos as 0 | 1 | 2,
      ...(r.response_topic !== null && { responseTopic: r.response_topic }),
      ...(r.correlation_data !== null && { correlationData: r.correlation_data }),
    }));
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.settled.length === 0) return;
    const seqs = this.settled;
    this.settled = [];
    this.settleMany(seqs);
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
