/**
 * Everything the bridge keeps, behind one interface with two backends:
 * SQLite files on the bridge's machine (`state.path`, the default) or a
 * PostgreSQL database several bridges share (`state.url`, see postgres.ts).
 *
 * State is per device: the paths programmed on it and the inbox of its
 * accepted-but-unanswered requests. A bridge opens a device's state when it
 * starts serving the device and closes it when it stops (in a fleet: when it
 * gains and loses the device's lease), and only then reads or writes it.
 * A newly opened device's `pending()` holds what any earlier holder accepted
 * and did not answer, in publish order.
 *
 * The inbox guarantee has two halves (see inbox.ts): a request is acknowledged
 * to the broker only once its inbox entry is durable, and it leaves the inbox
 * once its result is published. A backend that writes asynchronously says when
 * an entry is durable through `InboxEntry.committed`.
 *
 * The bridge opens the backend in src/bridge/state-backend.ts; the journal
 * (src/bridge/inbox-journal.ts) puts through a DeviceState and acknowledges
 * after `committed`; the device runtime records through `applyProgrammed`.
 */
import type { BgpPath, PathKey } from '../jet/model.js';
import type { InboxMessage, StoredInboxMessage } from './inbox.js';
import { inboxFileFor, SqliteInbox } from './inbox.js';
import { ThreadedProgrammedStore } from './threaded-store.js';

/** A message recorded in a device's inbox. */
export interface InboxEntry {
  /** Its place in the device's inbox; settle() names it. */
  readonly seq: number;
  /**
   * Resolves once the entry is durable; absent when it already is (SQLite
   * writes synchronously). Acknowledge the message to the broker only after it.
   */
  readonly committed?: Promise<void>;
}

/** The state of one device, open while this bridge serves it. */
export interface DeviceState {
  readonly device: string;
  /** Every path recorded as programmed on the device. */
  loadProgrammed(): Promise<BgpPath[]>;
  /** Records one batch JET confirmed, atomically; resolves once it is committed. */
  applyProgrammed(upserts: readonly BgpPath[], removes: readonly PathKey[]): Promise<void>;
  /** Records an accepted request. */
  put(msg: InboxMessage): InboxEntry;
  /** Removes a request whose result has been published (grouped, written soon after). */
  settle(seq: number): void;
  /** Requests accepted and not settled, in the order they were published. */
  pending(): Promise<StoredInboxMessage[]>;
  /** Writes what is queued for the device, then lets go of it; later calls fail. */
  close(): Promise<void>;
}

export interface StateBackend {
  readonly kind: 'sqlite' | 'postgres';
  /** Opens a device's state (one handle per device at a time). */
  openDevice(device: string): Promise<DeviceState>;
  /** Writes what is queued and closes the files or the connection. */
  close(): Promise<void>;
}

/** What opening the SQLite state has to report (the bridge logs it). */
export interface SqliteOpenNotes {
  /** The inbox file was unreadable and was moved here; the inbox started empty. */
  setAside?: { movedTo: string; reason: string };
  /** Requests moved from an old in-state inbox into the inbox file. */
  adopted: number;
}

/**
 * The embedded backend: the programmed store on a thread of its own and one
 * inbox file for all devices, whose messages a device's view picks by topic.
 */
export class SqliteState implements StateBackend {
  readonly kind = 'sqlite';

  private constructor(
    private readonly store: ThreadedProgrammedStore,
    private readonly inbox: SqliteInbox,
    private readonly deviceOf: (topic: string) => string | undefined,
    readonly notes: SqliteOpenNotes,
  ) {}

  /**
   * Opens `<file>` and `<file>-inbox`; `deviceOf` names the device a request
   * topic addresses; `inbox` passes the inbox file's options (busy timeout).
   */
  static async open(
    file: string,
    deviceOf: (topic: string) => string | undefined,
    inbox: { busyTimeoutMs?: number } = {},
  ): Promise<SqliteState> {
    const store = await ThreadedProgrammedStore.open(file);
    let opened: SqliteInbox;
    try {
      opened = new SqliteInbox(inboxFileFor(file), inbox);
    } catch (error) {
      await store.close();
      throw error;
    }
    const adopted = opened.adoptFrom(file);
    return new SqliteState(store, opened, deviceOf, { ...(opened.setAside && { setAside: opened.setAside }), adopted });
  }

  async openDevice(device: string): Promise<DeviceState> {
    const { store, inbox, deviceOf } = this;
    let open = true;
    const check = (): void => {
      if (!open) throw new Error(`the state of device ${device} is closed`);
    };
    return {
      device,
      loadProgrammed: () => store.load(device),
      applyProgrammed: (upserts, removes) => {
        check();
        return store.apply(device, upserts, removes);
      },
      put: (msg) => {
        check();
        return { seq: inbox.put(msg) };
      },
      settle: (seq) => inbox.settle(seq),
      pending: async () => inbox.pending().filter((m) => deviceOf(m.topic) === device),
      close: async () => {
        open = false;
      },
    };
  }

  async close(): Promise<void> {
    this.inbox.close();
    await this.store.close();
  }
}
