/**
 * A pipeline wired to fake devices and a recording reply function, for the
 * pipeline tests: send a payload on a device's topic, wait for its answer.
 */
import pino from 'pino';
import { Subject } from 'rxjs';
import { vi } from 'vitest';
import { DEFAULT_INTENT_LIMITS } from '../../src/intent/intent.js';
import { compilePolicy, type PolicyConfig } from '../../src/intent/policy.js';
import type { TokenBucket } from '../../src/intent/rate-limit.js';
import type { InboundMessage } from '../../src/mqtt/client.js';
import type { ResultMessage } from '../../src/mqtt/results.js';
import { Topics } from '../../src/mqtt/topics.js';
import type { DeviceContext, PipelineMetrics } from '../../src/pipeline/context.js';
import {
  createIntentPipeline,
  type IntentPipeline,
  type OpHandler,
  type PipelineConfig,
} from '../../src/pipeline/pipeline.js';
import { ProgrammedPaths } from '../../src/state/programmed.js';
import type { ProgrammedStore } from '../../src/state/store.js';
import { UnreconciledPaths } from '../../src/state/unreconciled.js';
import { FakeDevice } from './fake-device.js';

export interface FakeMessage extends InboundMessage {
  /** How often ack() was called. */
  acks: number;
}

export interface Reply {
  topic: string;
  body: ResultMessage & Record<string, unknown>;
  msg: InboundMessage;
}

export interface HarnessOptions {
  devices?: string[];
  config?: Partial<PipelineConfig>;
  policy?: PolicyConfig;
  rateLimit?: TokenBucket;
  metrics?: PipelineMetrics;
  opHandler?: OpHandler;
  /** Runs before a reply is recorded; may wait. */
  beforeReply?: (msg: InboundMessage) => Promise<void>;
  /** Gives each device unreconciled-destination bookkeeping, as the bridge does. */
  unreconciled?: boolean;
  /** A durable store shared by every device. */
  store?: ProgrammedStore;
}

export const topics = new Topics('jet');

/** A message as the MQTT client would deliver it. */
export function inbound(topic: string, payload: unknown): FakeMessage {
  const text = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
  const msg: FakeMessage = {
    topic,
    payload: Buffer.from(text),
    qos: 1,
    receivedAt: performance.now(),
    acks: 0,
    ack: () => {
      msg.acks += 1;
    },
  };
  return msg;
}

export class Harness {
  readonly input = new Subject<InboundMessage>();
  readonly replies: Reply[] = [];
  readonly fakes = new Map<string, FakeDevice>();
  readonly contexts = new Map<string, DeviceContext>();
  readonly pipeline: IntentPipeline;

  constructor(options: HarnessOptions = {}) {
    for (const name of options.devices ?? ['r1']) {
      const session = new FakeDevice(name);
      this.fakes.set(name, session);
      this.contexts.set(name, {
        session,
        programmed: new ProgrammedPaths(),
        policy: compilePolicy(options.policy),
        ...(options.rateLimit && { rateLimit: options.rateLimit }),
        ...(options.unreconciled && { unreconciled: new UnreconciledPaths() }),
        ...(options.store && { store: options.store }),
      });
    }
    this.pipeline = createIntentPipeline({
      devices: this.contexts,
      topics,
      reply: async (msg, topic, payload) => {
        await options.beforeReply?.(msg);
        this.replies.push({ topic, body: JSON.parse(payload) as Reply['body'], msg });
      },
      limits: DEFAULT_INTENT_LIMITS,
      config: { debounceMs: 5, maxBatch: 1000, maxBatchDelayMs: 1, maxInFlight: 4, ...options.config },
      logger: pino({ level: 'silent' }),
      ...(options.metrics && { metrics: options.metrics }),
      ...(options.opHandler && { opHandler: options.opHandler }),
    });
    this.pipeline.run(this.input);
  }

  device(name = 'r1'): FakeDevice {
    return this.fakes.get(name)!;
  }

  programmed(name = 'r1'): ProgrammedPaths {
    return this.contexts.get(name)!.programmed;
  }

  /** Publishes `payload` on `topic`. */
  send(topic: string, payload: unknown): FakeMessage {
    const msg = inbound(topic, payload);
    this.input.next(msg);
    return msg;
  }

  intent(payload: unknown, device = 'r1'): FakeMessage {
    return this.send(topics.intent(device), payload);
  }

  /** The answer to `msg`, once it came. */
  async answer(msg: InboundMessage): Promise<Reply> {
    return vi.waitFor(
      () => {
        const reply = this.replies.find((r) => r.msg === msg);
        if (!reply) throw new Error(`no answer yet to the message on ${msg.topic}`);
        return reply;
      },
      { timeout: 5000, interval: 2 },
    );
  }

  /** Answers `msg` got so far (to check there is exactly one). */
  answersTo(msg: InboundMessage): Reply[] {
    return this.replies.filter((r) => r.msg === msg);
  }
}

/** An announce of `prefix` via `nextHops`. */
export function announce(
  prefix: string,
  nextHops: string[] = ['192.0.2.1'],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { prefix, nextHops, ...extra };
}
