/**
 * Unreconciled destinations of one device: where the router does not hold
 * what the bridge's durable record says it should, and why.
 *
 * The bridge keeps three views of a destination. The durable record (the
 * state store) holds what the bridge's answers promised. `ProgrammedPaths`
 * holds what the router is known to hold, so every diff sends what the
 * router really needs. Where the two differ, an entry here holds the
 * record's paths (`desired`) until the reconciler has made the router match
 * them: a path the router refused during a reconcile, or a destination whose
 * request went unanswered (the device became unavailable mid-request).
 *
 * Pure bookkeeping, no I/O: the reconciler (src/pipeline/reconciler.ts) and
 * the pipeline (execute-batch.ts) change it, the device's state topic and
 * metrics read its count.
 */
import { BehaviorSubject, type Observable } from 'rxjs';
import { type BgpPath, type Destination, destinationKey, type PathKey } from '../jet/model.js';

export interface UnreconciledDestination {
  readonly destination: Destination;
  /** The durable record's paths: what the router should hold here. */
  desired: readonly BgpPath[];
  /** The JET status of the last refusal, or DEVICE_UNAVAILABLE when the router's state is unknown. */
  status: string;
  /** Paths of the destination the router does not hold as recorded (the last plan's size). */
  paths: number;
  /** Retries made so far, for the backoff. */
  attempts: number;
  /** When the next retry is due (ms since the epoch). */
  dueAt: number;
}

function withPath(paths: readonly BgpPath[], path: BgpPath): BgpPath[] {
  return [...paths.filter((p) => p.cookie !== path.cookie), path];
}

function withoutPath(paths: readonly BgpPath[], key: PathKey): BgpPath[] {
  return paths.filter((p) => p.cookie !== key.cookie);
}

export class UnreconciledPaths {
  private readonly entries = new Map<string, UnreconciledDestination>();
  private readonly pathCount = new BehaviorSubject(0);

  /** The number of unreconciled paths now and after every change. */
  get count$(): Observable<number> {
    return this.pathCount.asObservable();
  }

  get count(): number {
    return this.pathCount.value;
  }

  get size(): number {
    return this.entries.size;
  }

  get(destination: Destination): UnreconciledDestination | undefined {
    return this.entries.get(destinationKey(destination));
  }

  all(): UnreconciledDestination[] {
    return [...this.entries.values()];
  }

  /** Records (or updates) a destination the router does not hold as recorded. */
  note(entry: UnreconciledDestination): void {
    const key = destinationKey(entry.destination);
    const before = this.entries.get(key)?.paths ?? 0;
    this.entries.set(key, entry);
    this.add(entry.paths - before);
  }

  /** Forgets a destination: the router now holds what the record says. */
  resolve(destination: Destination): void {
    const key = destinationKey(destination);
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.add(-entry.paths);
  }

  /** Sets how many paths of an entry still differ. */
  setPaths(entry: UnreconciledDestination, paths: number): void {
    const before = entry.paths;
    entry.paths = paths;
    if (this.entries.get(destinationKey(entry.destination)) === entry) this.add(paths - before);
  }

  /**
   * An intent's confirmed change of a path: the record changes with it, so a
   * retry never undoes what an intent did after the entry was made.
   */
  confirmed(kind: 'update' | 'remove', path: BgpPath): void {
    const entry = this.entries.get(destinationKey(path));
    if (entry === undefined) return;
    entry.desired = kind === 'update' ? withPath(entry.desired, path) : withoutPath(entry.desired, path);
  }

  /** The entries due at `now`, earliest first, at most `limit`. */
  due(now: number, limit: number): UnreconciledDestination[] {
    return this.all()
      .filter((e) => e.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, limit);
  }

  /** When the earliest entry is due, or undefined when there are none. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const entry of this.entries.values()) if (next === undefined || entry.dueAt < next) next = entry.dueAt;
    return next;
  }

  private add(delta: number): void {
    if (delta !== 0) this.pathCount.next(this.pathCount.value + delta);
  }
}
