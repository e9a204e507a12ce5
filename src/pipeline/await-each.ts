/**
 * `awaitEach`: starts a promise-returning task for every item, as many at once
 * as items arrive, and completes once the source has completed and every task
 * has settled; a rejected task errors the stream. It is `mergeMap(task)` for
 * tasks whose values nobody reads, such as publishing result messages.
 *
 * Why not mergeMap: rxjs keeps each inner subscription in its parent's
 * finaliser array and removes it with a splice when it completes, which costs
 * time in proportion to the tasks still open. With thousands of results
 * waiting for their PUBACK that removal was the bridge's largest JavaScript
 * cost under load; a counter does the same job in constant time.
 */
import { Observable, type OperatorFunction } from 'rxjs';

export function awaitEach<T>(task: (item: T) => Promise<unknown>): OperatorFunction<T, never> {
  return (source) =>
    new Observable<never>((subscriber) => {
      let open = 0;
      let sourceDone = false;
      const settled = (): void => {
        open -= 1;
        if (sourceDone && open === 0) subscriber.complete();
      };
      const failed = (error: unknown): void => subscriber.error(error);
      return source.subscribe({
        next(item) {
          open += 1;
          let running: Promise<unknown>;
          try {
            running = task(item);
          } catch (error) {
            failed(error);
            return;
          }
          running.then(settled, failed);
        },
        error: failed,
        complete() {
          sourceDone = true;
          if (open === 0) subscriber.complete();
        },
      });
    });
}
