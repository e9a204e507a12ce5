import { afterEach, describe, expect, it } from 'vitest';
import { BoundedPublisher } from '../../src/events/bounded-publisher.js';
import type { Publication } from '../../src/events/publish-pump.js';
import { capturingLogger, HandDrivenPublisher, WARN } from './support.js';

const publication = (n: number): Publication => ({
  topic: 'jet/r1/bgp/events',
  payload: String(n),
  qos: 1,
  retain: false,
});

const publishers: BoundedPublisher[] = [];

function boundedPublisher(options: Omit<ConstructorParameters<typeof BoundedPublisher>[0], 'logger'>) {
  const { logger, lines } = capturingLogger();
  const publisher = new BoundedPublisher({ logger, dropLogIntervalMs: 60_000, ...options });
  publishers.push(publisher);
  return { publisher, lines };
}

afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.stop(0)));
});

describe('BoundedPublisher', () => {
  it('publishes in order with at most `window` in flight', async () => {
    const client = new HandDrivenPublisher();
    const { publisher } = boundedPublisher({ client, window: 2 });
    for (let n = 0; n < 5; n++) publisher.offer(publication(n));
    expect(client.inFlight).toBe(2);
    expect(publisher.stats).toMatchObject({ queued: 3, inFlight: 2, relayed: 0 });
    for (let i = 0; i < 3; i++) await client.ack();
    expect(client.payloads()).toEqual(['0', '1', '2', '3', '4']);
    expect(publisher.stats).toMatchObject({ queued: 0, inFlight: 0, relayed: 5, dropped: 0 });
  });

  it('with `block`, asks the producer to pause at the limit and to resume at half of it, losing nothing', async () => {
    const client = new HandDrivenPublisher();
    const { publisher, lines } = boundedPublisher({ client, limit: 4, window: 1 });
    const paused: boolean[] = [];
    publisher.paused$.subscribe((value) => paused.push(value));
    for (let n = 0; n < 5; n++) publisher.offer(publication(n));
    // One in flight, four queued: the limit.
    expect(paused).toEqual([false, true]);
    // A producer that reacts late still loses nothing.
    publisher.offer(publication(5));
    expect(publisher.stats.queued).toBe(5);
    await client.ack(1);
    await client.ack(1);
    expect(paused).toEqual([false, true]);
    await client.ack(1);
    expect(paused).toEqual([false, true, false]);
    for (let i = 0; i < 3; i++) await client.ack(1);
    expect(client.payloads()).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(publisher.stats).toMatchObject({ relayed: 6, dropped: 0, highWater: 5 });
    expect(lines.filter((line) => line.level === WARN)).toEqual([]);
  });

  it('with `block`, warns once per pause when the producer ignores it and the queue passes twice the limit', async () => {
    const client = new HandDrivenPublisher();
    const { publisher, lines } = boundedPublisher({ client, limit: 2, window: 1 });
    for (let n = 0; n < 8; n++) publisher.offer(publication(n));
    expect(publisher.stats).toMatchObject({ queued: 7, dropped: 0 });
    expect(lines.filter((line) => line.level === WARN)).toEqual([
      expect.objectContaining({
        queued: 4,
        queueLimit: 2,
        msg: 'producer keeps sending while asked to pause: the publish queue is past twice its limit',
      }),
    ]);
  });

  it('with `drop-oldest`, drops the head of a full queue, counts it and reports it in one log line', async () => {
    const client = new HandDrivenPublisher();
    const dropped: number[] = [];
    const hookDrops: number[] = [];
    const { publisher, lines } = boundedPublisher({
      client,
      limit: 3,
      window: 1,
      overflow: 'drop-oldest',
      metrics: { dropped: (n) => hookDrops.push(n) },
    });
    publisher.dropped$.subscribe((total) => dropped.push(total));
    for (let n = 0; n < 10; n++) publisher.offer(publication(n));
    expect(publisher.stats).toMatchObject({ dropped: 6, queued: 3, highWater: 3 });
    expect(dropped).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(hookDrops).toEqual([1, 1, 1, 1, 1, 1]);
    for (let i = 0; i < 4; i++) await client.ack();
    // 0 was already in flight; 1..6 were dropped.
    expect(client.payloads()).toEqual(['0', '7', '8', '9']);

    // The first drop is logged at once, the rest when the interval ends (here: at stop).
    const warnings = () => lines.filter((line) => line.level === WARN);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({
      count: 1,
      byCause: { queueFull: 1 },
      queueLimit: 3,
      overflow: 'drop-oldest',
    });
    await publisher.stop(0);
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]).toMatchObject({ count: 5, droppedTotal: 6, msg: '5 monitor events dropped' });
  });

  it('counts a publish the client refuses as dropped, with the error', async () => {
    const client = new HandDrivenPublisher();
    const relayedHook: number[] = [];
    const { publisher, lines } = boundedPublisher({ client, metrics: { relayed: (n) => relayedHook.push(n) } });
    publisher.offer(publication(1));
    publisher.offer(publication(2));
    await client.ack(1);
    await client.fail(new Error('outbox full'));
    expect(publisher.stats).toMatchObject({ relayed: 1, dropped: 1 });
    expect(relayedHook).toEqual([1]);
    expect(lines.find((line) => line.level === WARN)).toMatchObject({
      byCause: { publishFailed: 1 },
      lastError: 'outbox full',
    });
  });

  it('counts what is still queued when stop() gives up waiting', async () => {
    const client = new HandDrivenPublisher();
    const { publisher, lines } = boundedPublisher({ client, window: 1 });
    for (let n = 0; n < 4; n++) publisher.offer(publication(n));
    await publisher.stop(20);
    expect(publisher.stats).toMatchObject({ dropped: 3, queued: 0 });
    expect(lines.find((line) => line.level === WARN)).toMatchObject({ byCause: { abandonedAtStop: 3 } });
  });

  it('refuses a limit that is not a positive integer', () => {
    const client = new HandDrivenPublisher();
    expect(() => boundedPublisher({ client, limit: 0 })).toThrow('queueLimit must be a positive integer, got 0');
  });
});
