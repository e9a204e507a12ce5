/**
 * A bound on the JET batches in flight across all devices. Each device already
 * runs its batches one after the other (concatMap in the pipeline); this limit
 * keeps many devices from opening more requests at once than `max`.
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max: number) {
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`max must be a positive integer, got ${max}`);
  }

  /** Runs `task` when a slot is free; the slot is released when it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.max) this.active += 1;
    // The releasing task hands its slot over directly, so `active` stays as it is.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.active -= 1;
    }
  }
}
