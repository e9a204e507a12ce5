/**
 * Keeps retained topics equal to a piece of state, latest value wins.
 *
 * Only the current value of a retained topic matters to a late subscriber, so
 * writes to a topic that has not gone out yet replace each other and the
 * payload is rendered when it is sent. That makes the retained RIB view
 * lossless without a drop policy: what waits is at most one entry per topic,
 * bounded by the size of the state itself, however fast it changes. An empty
 * payload clears a retained topic (MQTT's rule).
 */
import type { Logger } from 'pino';
import type { QoS } from '../mqtt/client.js';
import { PublishPump, type MqttPublisher, type Publication } from './publish-pump.js';

/** Renders a topic's payload from the state as it is when the write goes out. */
export type RenderPayload = () => string;

export interface RetainedWriterOptions {
  client: MqttPublisher;
  logger: Logger;
  qos?: QoS;
  window?: number;
}

export class RetainedTopicWriter {
  /** Topics whose retained message is behind the state, in first-changed order. */
  private readonly behind = new Map<string, RenderPayload>();
  private readonly pump: PublishPump;
  private readonly qos: QoS;
  private written = 0;
  private failed = 0;

  constructor(private readonly options: RetainedWriterOptions) {
    this.qos = options.qos ?? 1;
    this.pump = new PublishPump({
      client: options.client,
      window: options.window,
      take: () => this.take(),
      settled: (publication, error) => this.settled(publication, error),
    });
  }

  get stats(): { written: number; failed: number; behind: number } {
    return { written: this.written, failed: this.failed, behind: this.behind.size };
  }

  /** Marks `topic` as changed; `render` is called when it is published. */
  write(topic: string, render: RenderPayload): void {
    this.behind.set(topic, render);
    this.pump.kick();
  }

  /** Resolves true once every retained topic has caught up; false after `timeoutMs`. */
  idle(timeoutMs?: number): Promise<boolean> {
    return this.pump.idle(timeoutMs);
  }

  private take(): Publication | undefined {
    const next = this.behind.entries().next();
    if (next.done) return undefined;
    const [topic, render] = next.value;
    this.behind.delete(topic);
    return { topic, payload: render(), qos: this.qos, retain: true };
  }

  private settled(publication: Publication, error?: Error): void {
    if (!error) {
      this.written += 1;
      return;
    }
    // The client keeps an outbox while disconnected, so a refusal is rare and worth a line each.
    this.failed += 1;
    this.options.logger.warn(
      { topic: publication.topic, err: error },
      'retained RIB topic could not be written; it stays stale until the destination changes again',
    );
  }
}
