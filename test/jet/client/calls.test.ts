/**
 * observeStream's flow control: the server stream stops delivering replies
 * while `paused$` is true and picks up where it left off when it turns false.
 * A Node object stream stands in for the grpc-js call (which is one), so what
 * is checked is the adapter's use of pause(), resume() and cancel().
 */
import { PassThrough } from 'node:stream';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { BehaviorSubject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { observeStream } from '../../../src/jet/client/calls.js';

type Reply = { items: number[] };

/** An object stream with the `cancel()` a grpc-js server-stream call has. */
function fakeCall() {
  const stream = new PassThrough({ objectMode: true }) as PassThrough & { cancel: () => void };
  stream.cancel = vi.fn(() => stream.destroy());
  return stream;
}

const asCall = (stream: PassThrough) => stream as unknown as ClientReadableStream<Reply>;
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('observeStream', () => {
  it('delivers no reply while paused, and every reply in order after resuming', async () => {
    const call = fakeCall();
    const paused$ = new BehaviorSubject(false);
    const seen: number[] = [];
    const subscription = observeStream(
      () => asCall(call),
      (reply: Reply) => reply.items,
      paused$,
    ).subscribe((n) => seen.push(n));

    call.write({ items: [1, 2] });
    await flush();
    expect(seen).toEqual([1, 2]);

    paused$.next(true);
    call.write({ items: [3] });
    call.write({ items: [4, 5] });
    await flush();
    expect(call.isPaused()).toBe(true);
    expect(seen).toEqual([1, 2]);

    paused$.next(false);
    await flush();
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    subscription.unsubscribe();
  });

  it('finishes the reply being delivered when a pause comes during it', async () => {
    const call = fakeCall();
    const paused$ = new BehaviorSubject(false);
    const seen: number[] = [];
    const subscription = observeStream(
      () => asCall(call),
      (reply: Reply) => reply.items,
      paused$,
    ).subscribe((n) => {
      seen.push(n);
      // The consumer asks to pause on the first item, as a full relay queue does.
      if (n === 1) paused$.next(true);
    });

    call.write({ items: [1, 2, 3] });
    call.write({ items: [4] });
    await flush();
    expect(seen).toEqual([1, 2, 3]);
    paused$.next(false);
    await flush();
    expect(seen).toEqual([1, 2, 3, 4]);
    subscription.unsubscribe();
  });

  it('stops following paused$ and cancels the call on unsubscribe', () => {
    const call = fakeCall();
    const paused$ = new BehaviorSubject(false);
    const subscription = observeStream(
      () => asCall(call),
      (reply: Reply) => reply.items,
      paused$,
    ).subscribe();
    expect(paused$.observed).toBe(true);

    subscription.unsubscribe();
    expect(paused$.observed).toBe(false);
    expect(call.cancel).toHaveBeenCalledOnce();
  });

  it('flows without a paused$', async () => {
    const call = fakeCall();
    const seen: number[] = [];
    const subscription = observeStream(
      () => asCall(call),
      (reply: Reply) => reply.items,
    ).subscribe((n) => seen.push(n));
    call.write({ items: [7] });
    await flush();
    expect(seen).toEqual([7]);
    subscription.unsubscribe();
  });
});
