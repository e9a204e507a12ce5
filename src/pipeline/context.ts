/**
 * What the pipeline stages share: the per-device context (session, programmed
 * paths, policy, rate limit), the optional metrics hooks, and the settings the
 * stages read. Kept apart from pipeline.ts so each stage module can name its
 * inputs without importing the whole chain.
 */
import type { Logger } from 'pino';
import type { IntentLimits } from '../intent/intent.js';
import type { RoutePolicy } from '../intent/policy.js';
import type { TokenBucket } from '../intent/rate-limit.js';
import type { DeviceSession } from '../jet/device.js';
import type { InboundMessage } from '../mqtt/client.js';
import type { Topics } from '../mqtt/topics.js';
import type { ProgrammedPaths } from '../state/programmed.js';
import type { ProgrammedStore } from '../state/store.js';
import type { UnreconciledPaths } from '../state/unreconciled.js';

/** One configured router as the pipeline sees it. */
export interface DeviceContext {
  readonly session: DeviceSession;
  /** What JET confirmed on this device; the pipeline updates it after every reply. */
  readonly programmed: ProgrammedPaths;
  readonly policy: RoutePolicy;
  /** Bounds the intents per second this device accepts; absent means unlimited. */
  readonly rateLimit?: TokenBucket;
  /** Durable copy of `programmed`, written with every confirmed request when present. */
  readonly store?: ProgrammedStore;
  /**
   * Destinations where the router does not hold the durable record (a refusal
   * while reconciling, an unanswered request); the reconciler retries them.
   */
  readonly unreconciled?: UnreconciledPaths;
}

/** Observability hooks; the pipeline calls them when present (prom-client counters, say). */
export interface PipelineMetrics {
  intentReceived(device: string): void;
  result(device: string, status: string): void;
  jetRequest(device: string, op: 'update' | 'remove', size: number, ms: number): void;
  /** Intents accepted for the device and not resolved yet. */
  queueDepth(device: string, n: number): void;
}

/** Publishes `payload` as the answer to `msg`: to its MQTT 5 response topic if it named one, else to `topic`. */
export type ReplyFn = (msg: InboundMessage, topic: string, payload: string) => Promise<void>;

/** What every stage may read. */
export interface StageContext {
  readonly devices: ReadonlyMap<string, DeviceContext>;
  readonly topics: Topics;
  readonly limits: IntentLimits;
  readonly logger: Logger;
  readonly metrics?: PipelineMetrics;
  readonly reply: ReplyFn;
}
