/**
 * Routes the emulated router learned from BGP peers, and the Monitor/Subscribe
 * streams that report them: each stream first gets the full set, then one
 * END_OF_RIBS entry, then changes. A stream whose reader is slow is not fed an
 * ever-growing buffer: while its transport is full, changes are coalesced per
 * path key (the latest update or removal wins), so what waits is bounded by the
 * number of peer routes.
 */
import type { BgpPath, Destination, MonitorEntry } from '../jet/model.js';
import { pathKeyString } from '../jet/model.js';
import type { Connection } from './clients.js';
import { PathTable } from './rib.js';

/** Where a stream's replies go: one reply per call; `false` asks the writer to wait for `drained`. */
export interface MonitorSink {
  write(entries: MonitorEntry[]): boolean;
  /** Resolves when the transport can take more, or the stream closed. */
  drained(): Promise<void>;
  end(): void;
  readonly closed: boolean;
}

export type SubscribeStatus = 'SUCCESS' | 'ALREADY_REGISTERED';

const END_OF_RIBS: MonitorEntry = { op: 'end-of-rib' };

/** One open Monitor/Subscribe stream. */
class Subscription {
  private readonly pending = new Map<string, MonitorEntry>();
  private snapshot: Iterator<BgpPath> | undefined;
  private fullSetWanted = true;
  private endOfRibsDue = false;
  private pumping = false;
  private ended = false;

  constructor(
    readonly connection: Connection,
    private readonly batchSize: number,
    private readonly sink: MonitorSink,
    private readonly currentRoutes: () => BgpPath[],
  ) {}

  get open(): boolean {
    return !this.ended && !this.sink.closed;
  }

  /** Queues a change; a later change to the same path replaces an unsent earlier one. */
  change(entry: MonitorEntry & { path: BgpPath }): void {
    const key = pathKeyString(entry.path);
    this.pending.delete(key);
    this.pending.set(key, entry);
    this.pump();
  }

  /** Sends the full set and END_OF_RIBS again (Refresh); queued changes are part of it. */
  refresh(): void {
    this.fullSetWanted = true;
    this.pump();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.pending.clear();
    this.snapshot = undefined;
    this.sink.end();
  }

  /** Writes batches until there is nothing to send or the transport is full, then resumes on drain. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for (let batch = this.nextBatch(); batch; batch = this.nextBatch()) {
        if (!this.sink.write(batch)) await this.sink.drained();
      }
    } finally {
      // Cleared in the same tick the loop finds nothing to send, so a change queued after it starts a new pump.
      this.pumping = false;
    }
  }

  private nextBatch(): MonitorEntry[] | undefined {
    if (!this.open) return undefined;
    if (this.fullSetWanted) {
      this.fullSetWanted = false;
      this.pending.clear();
      this.endOfRibsDue = false;
      this.snapshot = this.currentRoutes()[Symbol.iterator]();
    }
    if (this.snapshot) {
      const batch = this.nextSnapshotBatch(this.snapshot);
      if (batch.length > 0) return batch;
    }
    if (this.endOfRibsDue) {
      // END_OF_RIBS goes in a reply of its own once the full set is out.
      this.endOfRibsDue = false;
      return [END_OF_RIBS];
    }
    return this.nextChangeBatch();
  }

  private nextSnapshotBatch(snapshot: Iterator<BgpPath>): MonitorEntry[] {
    const batch: MonitorEntry[] = [];
    while (batch.length < this.batchSize) {
      const next = snapshot.next();
      if (next.done) {
        this.snapshot = undefined;
        this.endOfRibsDue = true;
        break;
      }
      batch.push({ op: 'update', path: next.value });
    }
    return batch;
  }

  private nextChangeBatch(): MonitorEntry[] | undefined {
    if (this.pending.size === 0) return undefined;
    const batch: MonitorEntry[] = [];
    for (const [key, entry] of this.pending) {
      if (batch.length >= this.batchSize) break;
      this.pending.delete(key);
      batch.push(entry);
    }
    return batch;
  }
}

/** Peer-learned routes and the streams of every client that registered for them. */
export class PeerRouteFeed {
  private readonly table = new PathTable<BgpPath>();
  private readonly subscriptions = new Map<string, Subscription>();

  routes(): BgpPath[] {
    return [...this.table.values()];
  }

  /** Learns (or relearns) paths and reports them to every stream. */
  inject(paths: readonly BgpPath[]): void {
    for (const path of paths) {
      this.table.put(path);
      this.broadcast({ op: 'update', path });
    }
  }

  /** Forgets every path of these destinations and reports their removal. */
  withdraw(destinations: readonly Destination[]): void {
    for (const destination of destinations) {
      for (const path of this.table.deleteDestination(destination)) this.broadcast({ op: 'remove', path });
    }
  }

  /**
   * Opens a stream for `clientId`; one per client. A stream the client id left
   * behind on an older connection (it reconnected before the old one closed)
   * is ended and replaced.
   */
  subscribe(clientId: string, connection: Connection, batchSize: number, sink: MonitorSink): SubscribeStatus {
    const existing = this.openSubscription(clientId);
    if (existing?.connection === connection) return 'ALREADY_REGISTERED';
    existing?.end();
    const subscription = new Subscription(connection, batchSize, sink, () => this.routes());
    this.subscriptions.set(clientId, subscription);
    subscription.pump();
    return 'SUCCESS';
  }

  /** Ends the client's stream; false when it had none. */
  unsubscribe(clientId: string): boolean {
    const subscription = this.openSubscription(clientId);
    this.subscriptions.delete(clientId);
    subscription?.end();
    return subscription !== undefined;
  }

  /** Re-sends the full set on the client's stream; false when it has none. */
  refresh(clientId: string): boolean {
    const subscription = this.openSubscription(clientId);
    subscription?.refresh();
    return subscription !== undefined;
  }

  /** Forgets the streams of a closed connection. */
  dropConnection(connection: Connection): void {
    for (const [clientId, subscription] of this.subscriptions) {
      if (subscription.connection === connection) {
        this.subscriptions.delete(clientId);
        subscription.end();
      }
    }
  }

  closeAll(): void {
    for (const subscription of this.subscriptions.values()) subscription.end();
    this.subscriptions.clear();
  }

  private openSubscription(clientId: string): Subscription | undefined {
    const subscription = this.subscriptions.get(clientId);
    return subscription?.open ? subscription : undefined;
  }

  private broadcast(entry: MonitorEntry & { path: BgpPath }): void {
    for (const [clientId, subscription] of this.subscriptions) {
      if (subscription.open) subscription.change(entry);
      else this.subscriptions.delete(clientId);
    }
  }
}
