/**
 * The six measurements, each a function of the running stack. Each returns
 * its raw figures; judging them against the targets is report.ts's job.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { getJson } from './http.js';
import { expectStatus, resultStatuses, type ExchangeResult, type LoadClient, type ReplyJudge } from './load.js';
import { jetRequestCount, processMemory, resetPeakRss, unmetered, type Meter } from './metrics.js';
import type { SinkReport } from './mqtt-peer.js';
import { arrayPayload, rangeSize, singlePayload, type PrefixRange } from './payloads.js';
import type { JetBulkReport } from './jet-bulk.js';
import type { BenchChild } from './processes.js';
import type { Sizes } from './sizes.js';
import { jetClientIdOf, type RunningBridge } from './stack.js';
import type { LatencySummary } from './stats.js';

/** Longest time with no reply after the last publish before a scenario fails. */
const REPLY_TIMEOUT_MS = 60_000;
/** Longest wait for a peer's report of a whole scenario (minutes on a busy machine). */
const REPORT_TIMEOUT_MS = 600_000;

export interface Throughput {
  count: number;
  elapsedMs: number;
  perSec: number;
  latency: LatencySummary;
  /** The part of `latency` the bridge reports for itself (receipt to result publish). */
  bridgeLatency?: LatencySummary;
  /** Items whose result was not the expected status. */
  failed: number;
  failure?: string;
}

function throughput(result: ExchangeResult, items = result.requests): Throughput {
  return {
    count: items,
    elapsedMs: result.elapsedMs,
    perSec: (items * 1000) / result.elapsedMs,
    latency: result.latency,
    ...(result.reportedLatency !== undefined && { bridgeLatency: result.reportedLatency }),
    failed: result.failed,
    ...(result.failure !== undefined && { failure: result.failure }),
  };
}

/**
 * Payloads built before the clock starts, so that the load generator's own
 * JSON work does not take CPU from what is measured on this two-core machine.
 */
function prebuilt(count: number, make: (seq: number) => string): (seq: number) => Buffer {
  const payloads = Array.from({ length: count }, (_, seq) => Buffer.from(make(seq)));
  return (seq) => payloads[seq]!;
}

const single = (range: PrefixRange, count: number) => prebuilt(count, (seq) => singlePayload(range, seq));
const allSucceed = expectStatus('SUCCESS');
export const anyReply: ReplyJudge = () => ({ ok: 1, failed: 0 });

/** Requests sent to each target before it is measured, so that measured code runs JIT-compiled as in a long-lived process. */
export const WARM_UP_REQUESTS = 2_000;

/**
 * Sends `count` single intents to `topic` and waits for their replies, not
 * measured and whatever they answer. They use the top of `range`, away from
 * the measured prefixes.
 */
export async function warmUp(
  load: LoadClient,
  topic: string,
  range: PrefixRange,
  count = WARM_UP_REQUESTS,
): Promise<void> {
  const offset = rangeSize(range) - count;
  await load.exchange({
    topic,
    count,
    payloadOf: (seq) => singlePayload(range, offset + seq),
    judge: anyReply,
    timeoutMs: REPLY_TIMEOUT_MS,
  });
}

/**
 * 1. The ceiling: the load generator's publisher client → broker → its
 * subscriber client, same process, QoS 1, the single-intent payloads. The
 * load generator does exactly this work per intent in every scenario.
 */
export async function measureCeiling(
  load: LoadClient,
  topic: string,
  count: number,
  meter: Meter = unmetered,
): Promise<Throughput> {
  const payloadOf = single('ceiling', count);
  return throughput(
    await meter(() => load.exchange({ topic, count, payloadOf, judge: anyReply, timeoutMs: REPLY_TIMEOUT_MS })),
  );
}

/** 1b. Publisher → broker → a subscriber in its own process (reference): the broker's one-way rate. */
export async function measureOneWay(
  load: LoadClient,
  sink: BenchChild,
  topic: string,
  count: number,
  meter: Meter = unmetered,
): Promise<Throughput> {
  const payloadOf = single('ceiling', count);
  const report = sink.nextMessage(
    (m) => ((m as SinkReport).kind === 'sink-report' ? (m as SinkReport) : undefined),
    REPORT_TIMEOUT_MS,
  );
  const [sent, { lastAtMs, latency }] = await meter(() =>
    Promise.all([load.publishOnly({ topic, count, payloadOf }), report]),
  );
  const elapsedMs = lastAtMs - sent.firstMs;
  return { count, elapsedMs, perSec: (count * 1000) / elapsedMs, latency, failed: 0 };
}

/** 1c. Publisher → broker → echo process → broker → subscriber (reference): a bridge's MQTT path with no work. */
export async function measureEcho(
  load: LoadClient,
  topic: string,
  count: number,
  meter: Meter = unmetered,
): Promise<Throughput> {
  const payloadOf = single('ceiling', count);
  return throughput(
    await meter(() => load.exchange({ topic, count, payloadOf, judge: anyReply, timeoutMs: REPLY_TIMEOUT_MS })),
  );
}

/** 2. The per-message baseline bridge. */
export async function measureBaseline(
  load: LoadClient,
  topic: string,
  count: number,
  meter: Meter = unmetered,
): Promise<Throughput> {
  const payloadOf = single('baseline', count);
  return throughput(
    await meter(() => load.exchange({ topic, count, payloadOf, judge: allSucceed, timeoutMs: REPLY_TIMEOUT_MS })),
  );
}

/** The routes the emulator holds for `clientId`. */
export async function emulatorRouteCount(adminUrl: string, clientId: string): Promise<number> {
  const clients = (await getJson(`${adminUrl}/clients`)) as Array<{ clientId: string; routes: number }>;
  return clients.find((c) => c.clientId === clientId)?.routes ?? 0;
}

export interface SingleResult extends Throughput {
  /** Routes the emulator gained for the bridge's client id. */
  programmed: number;
}

/** 3. One intent per message on distinct prefixes, as fast as the publisher goes. */
export async function measureSingle(
  load: LoadClient,
  bridge: RunningBridge,
  adminUrl: string,
  count: number,
  meter: Meter = unmetered,
  range: PrefixRange = 'single',
): Promise<SingleResult> {
  const payloadOf = single(range, count);
  const before = await emulatorRouteCount(adminUrl, bridge.jetClientId);
  const result = await meter(() =>
    load.exchange({ topic: bridge.intentTopic, count, payloadOf, judge: allSucceed, timeoutMs: REPLY_TIMEOUT_MS }),
  );
  const programmed = (await emulatorRouteCount(adminUrl, bridge.jetClientId)) - before;
  return { ...throughput(result), programmed };
}

export interface SteadyResult extends Throughput {
  targetRatePerSec: number;
  /** The rate the publisher actually kept. */
  sentRatePerSec: number;
}

/** Seconds of the steady load run before the measured ones. */
export const STEADY_LEAD_IN_SECONDS = 2;

/**
 * 4. A fixed rate of single intents to `topic` (a bridge's, or the echo
 * reference's with `judge` taking any reply); latency is what matters here.
 * The same load runs for STEADY_LEAD_IN_SECONDS first, unmeasured, on other
 * prefixes: the figure is the target in its steady state, not still clearing
 * up after whatever ran before.
 */
export async function measureSteady(
  load: LoadClient,
  topic: string,
  ratePerSec: number,
  seconds: number,
  meter: Meter = unmetered,
  judge: ReplyJudge = allSucceed,
): Promise<SteadyResult> {
  const count = ratePerSec * seconds;
  const leadIn = ratePerSec * STEADY_LEAD_IN_SECONDS;
  // One set of distinct prefixes: the measured intents first, the lead-in's after them.
  const payloadOf = single('steady', count + leadIn);
  await load.exchange({
    topic,
    count: leadIn,
    payloadOf: (seq) => payloadOf(count + seq),
    judge,
    ratePerSec,
    timeoutMs: REPLY_TIMEOUT_MS,
  });
  const result = await meter(() =>
    load.exchange({
      topic,
      count,
      payloadOf,
      judge,
      ratePerSec,
      timeoutMs: REPLY_TIMEOUT_MS,
    }),
  );
  return { ...throughput(result), targetRatePerSec: ratePerSec, sentRatePerSec: (count * 1000) / result.publishMs };
}

export interface CoalescingResult {
  intents: number;
  /** JET requests the bridge made while serving them (from /metrics). */
  jetRequests: number;
  succeeded: number;
  superseded: number;
  failed: number;
  failure?: string;
}

/** 6. `flaps` intents for one prefix, published back to back inside one debounce window. */
export async function measureCoalescing(
  load: LoadClient,
  bridge: RunningBridge,
  flaps: number,
): Promise<CoalescingResult> {
  let succeeded = 0;
  let superseded = 0;
  const either = expectStatus('SUCCESS', 'SUPERSEDED');
  const judge: ReplyJudge = (payload) => {
    for (const status of resultStatuses(payload).statuses) {
      if (status === 'SUCCESS') succeeded++;
      if (status === 'SUPERSEDED') superseded++;
    }
    return either(payload);
  };
  const before = await jetRequestCount(bridge.metricsUrl);
  // Every flap names the same prefix; the variant changes its next hop and local preference.
  const result = await load.exchange({
    topic: bridge.intentTopic,
    count: flaps,
    payloadOf: (seq) => singlePayload('coalescing', 0, seq),
    judge,
    timeoutMs: REPLY_TIMEOUT_MS,
  });
  // The JET request is observed before its result is published; a moment more catches a stray second one.
  await sleep(200);
  const jetRequests = (await jetRequestCount(bridge.metricsUrl)) - before;
  return {
    intents: flaps,
    jetRequests,
    succeeded,
    superseded,
    failed: result.failed,
    ...(result.failure !== undefined && { failure: result.failure }),
  };
}

export interface BulkResult extends Throughput {
  routes: number;
  arraySize: number;
  /** Routes the emulator gained for the bridge's client id; absent against a JET server that keeps none. */
  programmed?: number;
  rssBeforeBytes: number;
  peakRssBytes: number;
  bytesPerRoute: number;
  /** False when the kernel did not let the bench reset VmHWM; the peak then counts from the bridge's start. */
  peakReset: boolean;
}

/**
 * 5. Array payloads into a freshly started bridge; memory from /proc. With
 * `adminUrl` the emulator's route count confirms every route arrived.
 */
export async function measureBulk(
  load: LoadClient,
  bridge: RunningBridge,
  adminUrl: string | undefined,
  sizes: Sizes,
  routes = sizes.bulkRoutes,
  meter: Meter = unmetered,
): Promise<BulkResult> {
  const messages = Math.ceil(routes / sizes.bulkArraySize);
  const payloadOf = prebuilt(messages, (seq) =>
    arrayPayload('bulk', seq * sizes.bulkArraySize, Math.min(sizes.bulkArraySize, routes - seq * sizes.bulkArraySize)),
  );
  const countRoutes = async () =>
    adminUrl === undefined ? undefined : emulatorRouteCount(adminUrl, bridge.jetClientId);
  const before = await countRoutes();
  const peakReset = resetPeakRss(bridge.child.pid);
  const { rssBytes: rssBeforeBytes } = processMemory(bridge.child.pid);
  const result = await meter(() =>
    load.exchange({
      topic: bridge.intentTopic,
      count: messages,
      payloadOf,
      judge: allSucceed,
      replyWindow: sizes.bulkInFlight,
      timeoutMs: REPLY_TIMEOUT_MS,
    }),
  );
  const { peakRssBytes } = processMemory(bridge.child.pid);
  const after = await countRoutes();
  return {
    ...throughput(result, routes),
    routes,
    arraySize: sizes.bulkArraySize,
    ...(after !== undefined && before !== undefined && { programmed: after - before }),
    rssBeforeBytes,
    peakRssBytes,
    bytesPerRoute: (peakRssBytes - rssBeforeBytes) / routes,
    peakReset,
  };
}

/**
 * 5b. The direct gRPC bulk reference (jet-bulk.ts), its requests already
 * built: sends `go` and waits for its report.
 */
export async function measureJetBulk(peer: BenchChild, meter: Meter = unmetered): Promise<Omit<Throughput, 'latency'>> {
  const report = await meter(() => {
    const done = peer.nextMessage(
      (m) => ((m as JetBulkReport).kind === 'jet-bulk-report' ? (m as JetBulkReport) : undefined),
      REPORT_TIMEOUT_MS,
    );
    peer.child.send({ kind: 'go' });
    return done;
  });
  return {
    count: report.routes,
    elapsedMs: report.elapsedMs,
    perSec: (report.routes * 1000) / report.elapsedMs,
    failed: report.failed,
    ...(report.failure !== undefined && { failure: report.failure }),
  };
}

/**
 * 5c. Bulk spread over several devices: array message `seq` goes to the
 * intent topic of device `seq % devices.length`, however many bridges serve
 * them; the emulator's route counts for the devices' client ids confirm every
 * route arrived.
 */
export async function measureBulkOverDevices(
  load: LoadClient,
  devices: readonly string[],
  adminUrl: string,
  sizes: Sizes,
  meter: Meter = unmetered,
): Promise<Throughput & { programmed: number }> {
  const routes = sizes.bulkRoutes;
  const messages = Math.ceil(routes / sizes.bulkArraySize);
  const payloadOf = prebuilt(messages, (seq) =>
    arrayPayload('bulk', seq * sizes.bulkArraySize, Math.min(sizes.bulkArraySize, routes - seq * sizes.bulkArraySize)),
  );
  const topics = devices.map((device) => `jet/${device}/bgp/intent`);
  const countRoutes = async () => {
    let total = 0;
    for (const device of devices) total += await emulatorRouteCount(adminUrl, jetClientIdOf(device));
    return total;
  };
  const before = await countRoutes();
  const result = await meter(() =>
    load.exchange({
      topic: `jet/{${devices.join(',')}}/bgp/intent`,
      topicOf: (seq) => topics[seq % topics.length]!,
      count: messages,
      payloadOf,
      judge: allSucceed,
      replyWindow: sizes.bulkInFlight,
      timeoutMs: REPLY_TIMEOUT_MS,
    }),
  );
  return { ...throughput(result, routes), programmed: (await countRoutes()) - before };
}
