/**
 * Batching for one device: items gather into a batch that goes on when it
 * holds `maxSize` items or `maxDelayMs` after its first item, whichever comes
 * first. A batch never holds two items with the same key: the second one
 * closes the batch and starts the next, so the diff of a batch can treat its
 * destinations independently and their order is kept.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

export interface BatchOptions<T> {
  maxSize: number;
  maxDelayMs: number;
  keyOf(item: T): string;
  scheduler?: SchedulerLike;
}

export function batchIntents<T>(options: BatchOptions<T>): OperatorFunction<T, T[]> {
  const { maxSize, maxDelayMs, keyOf, scheduler = asyncScheduler } = options;
  if (!(Number.isInteger(maxSize) && maxSize >= 1))
    throw new RangeError(`maxSize must be a positive integer, got ${maxSize}`);
  if (!(Number.isFinite(maxDelayMs) && maxDelayMs >= 0))
    throw new RangeError(`maxDelayMs must be a number >= 0, got ${maxDelayMs}`);
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let items: T[] = [];
      let keys = new Set<string>();
      let timer: Subscription | undefined;

      const emit = (): void => {
        timer?.unsubscribe();
        timer = undefined;
        if (items.length === 0) return;
        const batch = items;
        items = [];
        keys = new Set();
        subscriber.next(batch);
      };

      const subscription = source.subscribe({
        next(item) {
          const key = keyOf(item);
          if (keys.has(key)) emit();
          items.push(item);
          keys.add(key);
          if (items.length >= maxSize) emit();
          else if (timer === undefined) timer = scheduler.schedule(emit, maxDelayMs);
        },
        error(error: unknown) {
          subscriber.error(error);
        },
        complete() {
          emit();
          subscriber.complete();
        },
      });

      return () => {
        subscription.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
