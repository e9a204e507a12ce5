/**
 * Coalescing by key: the first item for a key opens a window of `windowMs`;
 * items for the same key inside the window replace the waiting one (the latest
 * wins). When the window closes the winner goes on and the items it replaced
 * are handed to `onSuperseded` with it, so their answers can name the item
 * that actually went on. A flapping prefix thus costs one JET operation per
 * window, and no intent waits longer than the window.
 *
 * One Map and one timer serve every key, however many: windows all last
 * `windowMs`, so they close in the order they opened, which is the Map's
 * insertion order (a replacement keeps its key's place). The timer is set for
 * the oldest open window only. Items come in groups (the intents of one
 * message) that share one clock reading, so their windows close together and
 * they reach the batcher together. When the source completes, every waiting
 * item goes on at once, so a drain does not wait for the windows.
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

export interface CoalesceOptions<T> {
  windowMs: number;
  keyOf(item: T): string;
  /** Called as a window closes, before `winner` goes on, with the items it replaced (oldest first). */
  onSuperseded(replaced: readonly T[], winner: T): void;
  scheduler?: SchedulerLike;
}

interface OpenWindow<T> {
  latest: T;
  /** Absent until a second item arrives, as for most keys it never does. */
  replaced?: T[];
  closesAt: number;
}

/** Groups of items in, surviving items out one by one. */
export function coalesce<T>(options: CoalesceOptions<T>): OperatorFunction<readonly T[], T> {
  const { windowMs, keyOf, onSuperseded, scheduler = asyncScheduler } = options;
  if (!(Number.isFinite(windowMs) && windowMs >= 0))
    throw new RangeError(`windowMs must be a number >= 0, got ${windowMs}`);
  return (source) =>
    new Observable<T>((subscriber) => {
      const windows = new Map<string, OpenWindow<T>>();
      let timer: Subscription | undefined;

      const close = (window: OpenWindow<T>): void => {
        if (window.replaced !== undefined) onSuperseded(window.replaced, window.latest);
        subscriber.next(window.latest);
      };

      // A wall clock stepped back would hold every window for the size of the step;
      // a window further away than windowMs can only mean that, so it is due.
      const isDue = (window: OpenWindow<T>, now: number): boolean =>
        window.closesAt <= now || window.closesAt - now > windowMs;

      const closeDueWindows = (): void => {
        timer = undefined;
        const now = scheduler.now();
        for (const [key, window] of windows) {
          if (!isDue(window, now)) break;
          windows.delete(key);
          close(window);
        }
        armTimer();
      };

      const armTimer = (): void => {
        if (timer !== undefined || windows.size === 0) return;
        const oldest = windows.values().next().value as OpenWindow<T>;
        const wait = oldest.closesAt - scheduler.now();
        timer = scheduler.schedule(closeDueWindows, Math.min(windowMs, Math.max(0, wait)));
      };

      const subscription = source.subscribe({
        next(group) {
          const closesAt = scheduler.now() + windowMs;
          for (const item of group) {
            const key = keyOf(item);
            const open = windows.get(key);
            if (open !== undefined) {
              open.replaced ??= [];
              open.replaced.push(open.latest);
              open.latest = item;
            } else {
              windows.set(key, { latest: item, closesAt });
            }
          }
          armTimer();
        },
        error(error: unknown) {
          subscriber.error(error);
        },
        complete() {
          timer?.unsubscribe();
          timer = undefined;
          for (const window of windows.values()) close(window);
          windows.clear();
          subscriber.complete();
        },
      });

      return () => {
        subscription.unsubscribe();
        timer?.unsubscribe();
        windows.clear();
      };
    });
}
