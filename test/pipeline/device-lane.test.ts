import { describe, expect, it } from 'vitest';
import { DeviceLane } from '../../src/pipeline/device-lane.js';

/** A task the test finishes by hand, recording when it started. */
function heldTask(log: string[], name: string) {
  let finish!: (value: string) => void;
  let fail!: (error: Error) => void;
  const result = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    task: () => {
      log.push(name);
      return result;
    },
    finish: () => finish(name),
    fail: () => fail(new Error(`${name} failed`)),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('DeviceLane', () => {
  it('runs batches with no destination in common side by side, up to maxRunning', async () => {
    const lane = new DeviceLane(2);
    const started: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => heldTask(started, name));
    const runs = [lane.run(['x'], a!.task), lane.run(['y'], b!.task), lane.run(['z'], c!.task)];
    await settle();
    expect(started).toEqual(['a', 'b']);

    b!.finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    a!.finish();
    c!.finish();
    expect(await Promise.all(runs)).toEqual(['a', 'b', 'c']);
  });

  it('holds a batch that shares a destination with a running one, and every batch behind it, keeping their order', async () => {
    const lane = new DeviceLane(4);
    const started: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => heldTask(started, name));
    const runs = [lane.run(['x', 'y'], a!.task), lane.run(['y'], b!.task), lane.run(['z'], c!.task)];
    await settle();
    expect(started).toEqual(['a']);

    a!.finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    b!.finish();
    c!.finish();
    await Promise.all(runs);
  });

  it('frees the destinations of a batch that failed', async () => {
    const lane = new DeviceLane(1);
    const started: string[] = [];
    const [a, b] = ['a', 'b'].map((name) => heldTask(started, name));
    const first = lane.run(['x'], a!.task);
    const second = lane.run(['x'], b!.task);
    a!.fail();
    await expect(first).rejects.toThrow('a failed');
    await settle();
    expect(started).toEqual(['a', 'b']);
    b!.finish();
    await expect(second).resolves.toBe('b');
  });

  it('counts reserved destinations until they are released', () => {
    const lane = new DeviceLane(1);
    lane.reserve(3);
    lane.release(1);
    expect(lane.reserved).toBe(2);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxRunning %s', (max) => {
    expect(() => new DeviceLane(max)).toThrow(/maxRunning must be a positive integer/);
  });
});
