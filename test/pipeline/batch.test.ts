import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { batchIntents } from '../../src/pipeline/batch.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
/** The key of an item is its letter; A is a second item with key "a". */
const keyOf = (item: string) => item.toLowerCase();
const letters: Record<string, string> = { a: 'a', b: 'b', c: 'c', d: 'd', A: 'A' };

describe('batchIntents', () => {
  it('emits a batch as soon as it holds maxSize items', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abcd 100ms |', letters);
      expectObservable(source.pipe(batchIntents({ maxSize: 2, maxDelayMs: 50, keyOf }))).toBe('-x-y 100ms |', {
        x: ['a', 'b'],
        y: ['c', 'd'],
      });
    });
  });

  it('emits a partial batch maxDelayMs after its first item', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 4ms b 100ms |', letters);
      expectObservable(source.pipe(batchIntents({ maxSize: 10, maxDelayMs: 10, keyOf }))).toBe('10ms x 95ms |', {
        x: ['a', 'b'],
      });
    });
  });

  it('starts a new batch rather than hold two items with the same key, keeping their order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abA 100ms |', letters);
      expectObservable(source.pipe(batchIntents({ maxSize: 10, maxDelayMs: 10, keyOf }))).toBe('--x 9ms y 90ms |', {
        x: ['a', 'b'],
        y: ['A'],
      });
    });
  });

  it('emits what it holds when the source completes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab|', letters);
      expectObservable(source.pipe(batchIntents({ maxSize: 10, maxDelayMs: 1000, keyOf }))).toBe('--(x|)', {
        x: ['a', 'b'],
      });
    });
  });

  it('refuses sizes and delays that cannot work', () => {
    expect(() => batchIntents({ maxSize: 0, maxDelayMs: 1, keyOf })).toThrow(/maxSize/);
    expect(() => batchIntents({ maxSize: 1, maxDelayMs: Number.NaN, keyOf })).toThrow(/maxDelayMs/);
  });
});
