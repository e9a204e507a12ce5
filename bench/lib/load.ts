/**
 * The load generator: two mqtt.js clients (MQTT 5, QoS 1) in this process,
 * one publishing requests stamped with correlation data, one subscribed to
 * the replies that carry the stamp back. Every scenario drives its target
 * through `exchange`, so the load generator does the same work per request
 * (one publish, one receive) whatever sits on the other side of the broker.
 *
 * Flow control: at most `PUBACK_WINDOW` publishes wait for the broker's
 * PUBACK, and a scenario may also cap the requests waiting for a reply.
 */
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeStamp, encodeStamp, monotonicMs } from './correlation.js';
import { summarize, type LatencySummary } from './stats.js';

/** Publishes the client keeps unacknowledged by the broker before it waits. */
export const PUBACK_WINDOW = 1000;

/** What a scenario makes of one reply: how many of its items succeeded and failed. */
export interface ReplyVerdict {
  ok: number;
  failed: number;
  /** The first failure's description, for the report. */
  failure?: string;
  /** The latency the replying bridge reports for itself (receipt to result), when it does. */
  reportedMs?: number;
}

export type ReplyJudge = (payload: Buffer) => ReplyVerdict;

export interface ExchangeOptions {
  topic: string;
  /** The topic of request `seq`, when requests go to several (`topic` then names them in errors). */
  topicOf?(seq: number): string;
  /** Requests to publish, numbered 0..count-1. */
  count: number;
  payloadOf(seq: number): string | Buffer;
  judge: ReplyJudge;
  /** Most requests waiting for their reply; unbounded when absent. */
  replyWindow?: number;
  /** Requests per second; as fast as the windows allow when absent. */
  ratePerSec?: number;
  /**
   * Fail when, after the last publish, no reply has arrived for this long: a
   * stuck target fails, a slow one (a busy machine) is waited for.
   */
  timeoutMs: number;
}

export interface ExchangeResult {
  requests: number;
  /** From the first publish to the last reply. */
  elapsedMs: number;
  /** From the first publish to the last PUBACK of a request. */
  publishMs: number;
  latency: LatencySummary;
  /** What the bridge reports it spent of that (from the result's `latencyMs`); absent when replies carry none. */
  reportedLatency?: LatencySummary;
  ok: number;
  failed: number;
  failure?: string;
  /** Replies that came a second time (QoS 1 redelivery) and were not counted again. */
  duplicates: number;
}

/** Book-keeping of one exchange's replies. */
class ReplyTally {
  readonly latencies: Float64Array;
  readonly reported: number[] = [];
  private readonly seen: Uint8Array;
  received = 0;
  duplicates = 0;
  ok = 0;
  failed = 0;
  failure: string | undefined;
  lastAtMs = 0;
  private waiter: (() => void) | undefined;

  constructor(
    readonly count: number,
    private readonly judge: ReplyJudge,
  ) {
    this.latencies = new Float64Array(count);
    this.seen = new Uint8Array(count);
  }

  record(seq: number, sentMs: number, payload: Buffer, nowMs: number): void {
    if (seq >= this.count) return;
    if (this.seen[seq] === 1) {
      this.duplicates++;
      return;
    }
    this.seen[seq] = 1;
    this.received++;
    this.lastAtMs = nowMs;
    this.latencies[seq] = nowMs - sentMs;
    const verdict = this.judge(payload);
    this.ok += verdict.ok;
    this.failed += verdict.failed;
    this.failure ??= verdict.failure;
    if (verdict.reportedMs !== undefined) this.reported.push(verdict.reportedMs);
    this.wake();
  }

  /** Resolves at the next reply (or at once when `ready` already holds). */
  async until(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((resolve) => (this.waiter = resolve));
  }

  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

export class LoadClient {
  private unacked = 0;
  private ackWaiter: (() => void) | undefined;
  private tally: ReplyTally | undefined;
  private publishFailure: Error | undefined;
  private lastAckMs = 0;
  private closing = false;
  /** Rejects when either connection closes before close(): nothing more will arrive. */
  private readonly lost: Promise<never>;

  private constructor(
    private readonly client: MqttClient,
    private readonly receiver: MqttClient,
  ) {
    receiver.on('message', (_topic, payload, packet: IPublishPacket) => this.onReply(payload, packet));
    this.lost = new Promise<never>((_resolve, reject) => {
      const onClose = (): void => {
        if (!this.closing) reject(new Error('the load generator lost its connection to the broker'));
      };
      client.once('close', onClose);
      receiver.once('close', onClose);
    });
    // Nobody may be waiting when it happens; the next wait sees it.
    this.lost.catch(() => undefined);
  }

  /** Connects both clients with clean sessions and subscribes the receiver (QoS 1) to the reply topics. */
  static async connect(url: string, clientId: string, replyTopics: string[]): Promise<LoadClient> {
    const options = { protocolVersion: 5, clean: true, reconnectPeriod: 0, connectTimeout: 5000 } as const;
    const [client, receiver] = await Promise.all([
      mqtt.connectAsync(url, { ...options, clientId: `${clientId}-pub` }),
      mqtt.connectAsync(url, { ...options, clientId: `${clientId}-sub` }),
    ]);
    await receiver.subscribeAsync(replyTopics, { qos: 1 });
    return new LoadClient(client, receiver);
  }

  /** Publishes `count` requests and waits for every reply; see ExchangeOptions. */
  async exchange(options: ExchangeOptions): Promise<ExchangeResult> {
    const tally = new ReplyTally(options.count, options.judge);
    this.tally = tally;
    try {
      const sent = await this.publishAll(options, tally);
      await this.untilAllReplies(tally, options, sent.lastAckMs);
      return {
        requests: options.count,
        elapsedMs: tally.lastAtMs - sent.firstMs,
        publishMs: sent.lastAckMs - sent.firstMs,
        latency: summarize(tally.latencies),
        ...(tally.reported.length > 0 && { reportedLatency: summarize(tally.reported) }),
        ok: tally.ok,
        failed: tally.failed,
        ...(tally.failure !== undefined && { failure: tally.failure }),
        duplicates: tally.duplicates,
      };
    } finally {
      this.tally = undefined;
      tally.wake();
    }
  }

  /** Waits for every reply; throws when none came for `timeoutMs` (counting from the last publish's PUBACK). */
  private async untilAllReplies(
    tally: ReplyTally,
    options: Pick<ExchangeOptions, 'count' | 'topic' | 'timeoutMs'>,
    lastAckMs: number,
  ): Promise<void> {
    const complete = tally.until(() => tally.received === options.count).then(() => 'done' as const);
    for (;;) {
      const quietMs = monotonicMs() - Math.max(tally.lastAtMs, lastAckMs);
      if (quietMs >= options.timeoutMs) {
        throw new Error(
          `${options.count - tally.received} of ${options.count} replies on ${options.topic} did not arrive: none for ${options.timeoutMs} ms`,
        );
      }
      const waited = sleep(options.timeoutMs - quietMs, 'check' as const, { ref: false });
      if ((await Promise.race([complete, waited, this.lost])) === 'done') return;
    }
  }

  /**
   * Publishes requests only, for a peer that reports on its own (the sink).
   * Returns when the broker has acknowledged all of them.
   */
  async publishOnly(
    options: Omit<ExchangeOptions, 'judge' | 'replyWindow' | 'timeoutMs'>,
  ): Promise<{ firstMs: number; lastAckMs: number }> {
    return this.publishAll(options, undefined);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([this.client.endAsync(), this.receiver.endAsync()]);
  }

  private async publishAll(
    options: Pick<ExchangeOptions, 'topic' | 'topicOf' | 'count' | 'payloadOf' | 'replyWindow' | 'ratePerSec'>,
    tally: ReplyTally | undefined,
  ): Promise<{ firstMs: number; lastAckMs: number }> {
    const { topic, topicOf, count, payloadOf, replyWindow, ratePerSec } = options;
    this.publishFailure = undefined;
    const firstMs = monotonicMs();
    for (let seq = 0; seq < count; seq++) {
      if (ratePerSec !== undefined) await this.pace(firstMs, seq, ratePerSec);
      if (tally !== undefined && replyWindow !== undefined)
        await Promise.race([tally.until(() => seq - tally.received < replyWindow), this.lost]);
      await this.acksBelow(PUBACK_WINDOW);
      this.send(topicOf?.(seq) ?? topic, payloadOf(seq), seq);
    }
    await this.acksBelow(1);
    return { firstMs, lastAckMs: this.lastAckMs };
  }

  /** Waits until fewer than `limit` publishes wait for their PUBACK; throws the first publish failure. */
  private async acksBelow(limit: number): Promise<void> {
    while (this.unacked >= limit && this.publishFailure === undefined) {
      await Promise.race([new Promise<void>((resolve) => (this.ackWaiter = resolve)), this.lost]);
    }
    if (this.publishFailure) throw this.publishFailure;
  }

  /** Waits until request `seq` is due at `ratePerSec` from `startMs`. */
  private async pace(startMs: number, seq: number, ratePerSec: number): Promise<void> {
    const dueMs = startMs + (seq * 1000) / ratePerSec;
    const waitMs = dueMs - monotonicMs();
    // Timers fire about a millisecond late; requests that fell due meanwhile go out together.
    if (waitMs >= 1) await sleep(waitMs);
  }

  private send(topic: string, payload: string | Buffer, seq: number): void {
    this.unacked++;
    const correlationData = encodeStamp(seq, monotonicMs());
    this.client.publish(topic, payload, { qos: 1, properties: { correlationData } }, (error) => {
      this.unacked--;
      this.lastAckMs = monotonicMs();
      if (error) this.publishFailure ??= error;
      const waiter = this.ackWaiter;
      this.ackWaiter = undefined;
      waiter?.();
    });
  }

  private onReply(payload: Buffer, packet: IPublishPacket): void {
    const stamp = decodeStamp(packet.properties?.correlationData);
    if (stamp !== undefined) this.tally?.record(stamp.seq, stamp.sentMs, payload, monotonicMs());
  }
}

interface ResultMessage {
  error?: string;
  results?: Array<{ status?: string; error?: string }>;
  latencyMs?: number;
}

export interface ResultSummary {
  statuses: string[];
  /** The message's error, or the first route's. */
  error?: string;
  latencyMs?: number;
}

/** The per-route statuses of a bridge-style result message, with the first error text met and its latencyMs. */
export function resultStatuses(payload: Buffer): ResultSummary {
  const message = JSON.parse(payload.toString('utf8')) as ResultMessage;
  const results = message.results ?? [];
  const error = message.error ?? results.find((r) => r.error !== undefined)?.error;
  return {
    statuses: results.map((r) => r.status ?? 'no status'),
    ...(error !== undefined && { error }),
    ...(typeof message.latencyMs === 'number' && { latencyMs: message.latencyMs }),
  };
}

/** Judges a result message: every route's status must be one of `accepted`, and there must be at least one. */
export function expectStatus(...accepted: string[]): ReplyJudge {
  return (payload) => {
    const { statuses, error, latencyMs } = resultStatuses(payload);
    const reported = latencyMs === undefined ? {} : { reportedMs: latencyMs };
    if (statuses.length === 0)
      return { ok: 0, failed: 1, failure: error ?? 'a result message without results', ...reported };
    let ok = 0;
    let failure: string | undefined;
    for (const status of statuses) {
      if (accepted.includes(status)) ok++;
      else failure ??= error === undefined ? status : `${status}: ${error}`;
    }
    return { ok, failed: statuses.length - ok, ...(failure !== undefined && { failure }), ...reported };
  };
}
