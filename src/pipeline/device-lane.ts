/**
 * The lane of one device: the order in which its batches reach JET.
 *
 * Batches start in the order they were formed. A batch may start while
 * earlier ones are still waiting for their JET reply, up to `maxRunning` at a
 * time, provided it shares no destination with any of them; otherwise it
 * waits, and every batch behind it waits too. So an intent never overtakes an
 * earlier one for the same route, the diff of a batch always sees the result
 * of every earlier batch for its destinations, and the device still has work
 * in hand while the router answers the previous request.
 *
 * The lane also holds the new destinations that running batches are adding,
 * so that the route limit counts them before JET has confirmed them.
 */
export class DeviceLane {
  /** Destinations of the running batches (a batch holds each at most once). */
  private readonly busy = new Set<string>();
  private running = 0;
  private readonly waiting: Array<{ destinations: readonly string[]; start(): void }> = [];
  private reservedDestinations = 0;

  constructor(readonly maxRunning: number) {
    if (!(Number.isInteger(maxRunning) && maxRunning >= 1))
      throw new RangeError(`maxRunning must be a positive integer, got ${maxRunning}`);
  }

  /** Runs `task` once the batch with these destinations may start; they are free again when it settles. */
  async run<T>(destinations: readonly string[], task: () => Promise<T>): Promise<T> {
    if (this.waiting.length > 0 || !this.canStart(destinations)) {
      await new Promise<void>((start) => this.waiting.push({ destinations, start }));
    } else {
      this.occupy(destinations);
    }
    try {
      return await task();
    } finally {
      this.running -= 1;
      for (const destination of destinations) this.busy.delete(destination);
      this.startWaiting();
    }
  }

  /** New destinations that running batches add and JET has not confirmed yet. */
  get reserved(): number {
    return this.reservedDestinations;
  }

  /** Counts `n` destinations a batch is about to add. */
  reserve(n: number): void {
    this.reservedDestinations += n;
  }

  /** Gives back `n` reserved destinations (now programmed, or not added after all). */
  release(n: number): void {
    this.reservedDestinations -= n;
  }

  private canStart(destinations: readonly string[]): boolean {
    if (this.running >= this.maxRunning) return false;
    for (const destination of destinations) if (this.busy.has(destination)) return false;
    return true;
  }

  private occupy(destinations: readonly string[]): void {
    this.running += 1;
    for (const destination of destinations) this.busy.add(destination);
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.canStart(this.waiting[0]!.destinations)) {
      const next = this.waiting.shift()!;
      this.occupy(next.destinations);
      next.start();
    }
  }
}
