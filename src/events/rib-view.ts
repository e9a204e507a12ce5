/**
 * The peer-learned RIB as the retained `jet/<device>/bgp/rib/...` topics should
 * show it, rebuilt from the monitor stream.
 *
 * A monitor stream restarts with a full set and `end-of-rib` whenever it is
 * reopened. Paths that were in the view before and are not in the new full set
 * went away while nobody was looking, and no `remove` will ever say so; they
 * have to be swept out at the `end-of-rib` that closes the new set. To know
 * which paths the new set repeated, every path remembers the epoch it was last
 * announced in. Epochs advance at every `end-of-rib` and at `beginResync`:
 *   - after `beginResync` (the caller knows a new stream started: the session
 *     reconnected, or the caller subscribed again), the next `end-of-rib` sweeps
 *     every path not announced since then;
 *   - a second `end-of-rib` without `beginResync` can only close a full set from
 *     a stream reopened unseen, which announced every current path after the
 *     previous `end-of-rib`: paths not announced since then are gone. (This
 *     keeps a path that was announced after the previous `end-of-rib` and
 *     vanished before the reopen; it never sweeps a live one.)
 * Pure state, no I/O: callers publish the destinations it reports as changed.
 */
import { destinationKey, type BgpPath, type Destination, type MonitorEntry } from '../jet/model.js';

interface KnownPath {
  path: BgpPath;
  /** The epoch of its latest announcement. */
  seenIn: number;
}

interface DestinationPaths {
  destination: Destination;
  /** Keyed by path cookie: one prefix may carry several peer-learned paths. */
  paths: Map<bigint, KnownPath>;
}

export class PeerRibView {
  private readonly destinations = new Map<string, DestinationPaths>();
  private epoch = 0;
  /** Set by beginResync: paths announced before this epoch are swept at the next end-of-rib. */
  private resyncEpoch: number | undefined;
  private endOfRibSeen = false;

  /** A new stream starts: the next `end-of-rib` sweeps what its full set did not repeat. */
  beginResync(): void {
    this.epoch += 1;
    this.resyncEpoch = this.epoch;
  }

  /**
   * Applies one monitor entry and returns the destinations whose set of paths
   * changed (empty when nothing did, e.g. a remove of an unknown path).
   */
  apply(entry: MonitorEntry): Destination[] {
    if (entry.op === 'end-of-rib') return this.endOfRib();
    if (!entry.path) return [];
    return entry.op === 'update' ? this.upsert(entry.path) : this.remove(entry.path);
  }

  /** Current paths to a destination; empty when none. */
  pathsTo(destination: Destination): BgpPath[] {
    const known = this.destinations.get(destinationKey(destination))?.paths.values() ?? [];
    return [...known].map(({ path }) => path);
  }

  /** Number of destinations with at least one path. */
  get size(): number {
    return this.destinations.size;
  }

  /** Every destination with at least one path. */
  *allDestinations(): IterableIterator<Destination> {
    for (const entry of this.destinations.values()) yield entry.destination;
  }

  private upsert(path: BgpPath): Destination[] {
    const key = destinationKey(path);
    let entry = this.destinations.get(key);
    if (!entry) {
      entry = { destination: { table: path.table, prefix: path.prefix, length: path.length }, paths: new Map() };
      this.destinations.set(key, entry);
    }
    entry.paths.set(path.cookie, { path, seenIn: this.epoch });
    return [entry.destination];
  }

  private remove(path: BgpPath): Destination[] {
    const key = destinationKey(path);
    const entry = this.destinations.get(key);
    if (!entry?.paths.delete(path.cookie)) return [];
    if (entry.paths.size === 0) this.destinations.delete(key);
    return [entry.destination];
  }

  private endOfRib(): Destination[] {
    const sweepBefore = this.resyncEpoch ?? (this.endOfRibSeen ? this.epoch : undefined);
    this.resyncEpoch = undefined;
    this.endOfRibSeen = true;
    this.epoch += 1;
    return sweepBefore === undefined ? [] : this.sweep(sweepBefore);
  }

  /** Removes paths last announced before `epoch`; returns the destinations that lost any. */
  private sweep(epoch: number): Destination[] {
    const changed: Destination[] = [];
    for (const [key, entry] of this.destinations) {
      const before = entry.paths.size;
      for (const [cookie, known] of entry.paths) {
        if (known.seenIn < epoch) entry.paths.delete(cookie);
      }
      if (entry.paths.size === before) continue;
      changed.push(entry.destination);
      if (entry.paths.size === 0) this.destinations.delete(key);
    }
    return changed;
  }
}
