import { Subject, Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { coalesce } from '../../src/pipeline/coalesce.js';

interface Item {
  key: string;
  v: number;
}

/** a, b, c share key "p"; x, y share key "q". */
const a: Item = { key: 'p', v: 1 };
const b: Item = { key: 'p', v: 2 };
const c: Item = { key: 'p', v: 3 };
const x: Item = { key: 'q', v: 1 };
const y: Item = { key: 'q', v: 2 };

/** Marble values of the source: one group (one message) per letter. */
const groups: Record<string, Item[]> = { a: [a], b: [b], c: [c], x: [x], y: [y], m: [a, x, b] };
const out: Record<string, Item> = { a, b, c, x, y };

interface Superseded {
  key: string;
  replaced: number[];
  winner: number;
}

function setup(windowMs: number) {
  const superseded: Superseded[] = [];
  const operator = coalesce<Item>({
    windowMs,
    keyOf: (item) => item.key,
    onSuperseded: (replaced, winner) =>
      superseded.push({ key: winner.key, replaced: replaced.map((r) => r.v), winner: winner.v }),
  });
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  return { operator, superseded, scheduler };
}

describe('coalesce', () => {
  it('lets the latest item of a key through when its window closes, and reports the ones it replaced', () => {
    const { operator, superseded, scheduler } = setup(10);
    scheduler.run(({ cold, expectObservable }) => {
      // The window opens with a at 0 and closes at 10, when c is the latest.
      expectObservable(cold('a-b-c 20ms |', groups).pipe(operator)).toBe('10ms c 14ms |', out);
    });
    expect(superseded).toEqual([{ key: 'p', replaced: [1, 2], winner: 3 }]);
  });

  it('keeps keys apart, each window closing windowMs after its first item', () => {
    const { operator, superseded, scheduler } = setup(10);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a 4ms x 2ms y 20ms |', groups).pipe(operator)).toBe('10ms a 4ms y 13ms |', out);
    });
    expect(superseded).toEqual([{ key: 'q', replaced: [1], winner: 2 }]);
  });

  it('closes the windows of one group together, even for a key replaced inside the group', () => {
    const { operator, superseded, scheduler } = setup(10);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('m 20ms |', groups).pipe(operator)).toBe('10ms (bx) 7ms |', out);
    });
    expect(superseded).toEqual([{ key: 'p', replaced: [1], winner: 2 }]);
  });

  it('opens a new window for a key whose last window has closed', () => {
    const { operator, superseded, scheduler } = setup(5);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a 9ms b 9ms |', groups).pipe(operator)).toBe('5ms a 9ms b 4ms |', out);
    });
    expect(superseded).toEqual([]);
  });

  it('lets every waiting item through at once when the source completes', () => {
    const { operator, superseded, scheduler } = setup(1000);
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('abxc|', groups).pipe(operator)).toBe('----(cx|)', out);
    });
    expect(superseded).toEqual([{ key: 'p', replaced: [1, 2], winner: 3 }]);
  });

  it('closes the open windows when the clock steps back rather than wait for the step', () => {
    let clock = 1_000_000;
    const timers: Array<{ run: () => void; at: number }> = [];
    const manual: SchedulerLike = {
      now: () => clock,
      schedule(work: (this: SchedulerAction<unknown>, state?: unknown) => void, delay = 0) {
        timers.push({ run: () => work.call({} as SchedulerAction<unknown>), at: clock + delay });
        return new Subscription();
      },
    };
    const seen: Item[] = [];
    const source = new Subject<Item[]>();
    source
      .pipe(coalesce<Item>({ windowMs: 10, keyOf: (i) => i.key, onSuperseded: () => {}, scheduler: manual }))
      .subscribe((item) => seen.push(item));

    source.next([a]);
    clock -= 60_000;
    timers.shift()!.run();
    expect(seen).toEqual([a]);
  });

  it('refuses a negative window', () => {
    expect(() => coalesce({ windowMs: -1, keyOf: String, onSuperseded: () => {} })).toThrow(/windowMs/);
  });
});
