import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { awaitEach } from '../../src/pipeline/await-each.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets settled promises run their callbacks. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('awaitEach', () => {
  it('starts a task for every item as it arrives, without waiting for earlier ones', () => {
    const items = new Subject<number>();
    const started: number[] = [];
    items.pipe(awaitEach((n) => (started.push(n), new Promise(() => undefined)))).subscribe();
    items.next(1);
    items.next(2);
    items.next(3);
    expect(started).toEqual([1, 2, 3]);
  });

  it('completes only after the source has completed and every task has settled', async () => {
    const items = new Subject<number>();
    const gates = [deferred(), deferred()];
    let completed = false;
    items.pipe(awaitEach((n) => gates[n]!.promise)).subscribe({ complete: () => (completed = true) });
    items.next(0);
    items.next(1);
    items.complete();
    gates[1]!.resolve();
    await flush();
    expect(completed).toBe(false);
    gates[0]!.resolve();
    await flush();
    expect(completed).toBe(true);
  });

  it('completes at once when the source completes with nothing open', () => {
    const items = new Subject<number>();
    let completed = false;
    items.pipe(awaitEach(() => Promise.resolve())).subscribe({ complete: () => (completed = true) });
    items.complete();
    expect(completed).toBe(true);
  });

  it('does not complete while the source is still open, even with every task settled', async () => {
    const items = new Subject<number>();
    let completed = false;
    items.pipe(awaitEach(() => Promise.resolve())).subscribe({ complete: () => (completed = true) });
    items.next(1);
    await flush();
    expect(completed).toBe(false);
  });

  it('errors the stream when a task rejects or throws', async () => {
    const rejected = new Subject<number>();
    const errors: unknown[] = [];
    rejected.pipe(awaitEach(() => Promise.reject(new Error('refused')))).subscribe({ error: (e) => errors.push(e) });
    rejected.next(1);
    await flush();

    const thrown = new Subject<number>();
    thrown
      .pipe(
        awaitEach(() => {
          throw new Error('broken');
        }),
      )
      .subscribe({ error: (e) => errors.push(e) });
    thrown.next(1);
    expect(errors.map((e) => (e as Error).message)).toEqual(['refused', 'broken']);
  });

  it('passes on an error of the source', () => {
    const items = new Subject<number>();
    const errors: unknown[] = [];
    items.pipe(awaitEach(() => Promise.resolve())).subscribe({ error: (e) => errors.push(e) });
    items.error(new Error('source failed'));
    expect(errors).toHaveLength(1);
  });
});
