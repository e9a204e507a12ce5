/**
 * The hostile-input suite: a property-based fuzzer publishes what a hostile or
 * careless publisher might send (see hostile-payloads.ts) to a running bridge,
 * through a real Mosquitto, with a JET emulator as the router. It checks that
 * every message gets exactly one reply and that the reply says clearly what was
 * wrong, that the bridge keeps serving, that nothing crashes, and that no route
 * outside the device policy ever reaches the router: every route event the
 * emulator emits is judged by the suite's own reading of the policy
 * (policy-oracle.ts), and so is the RIB at the end.
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../../src/bridge.js';
import { parseConfig } from '../../src/config/load.js';
import { JetEmulator, type RouteEvent } from '../../src/emulator/emulator.js';
import type { ResultMessage } from '../../src/mqtt/results.js';
import { Topics } from '../../src/mqtt/topics.js';
import { startMosquitto, type RunningMosquitto } from '../helpers/mosquitto.js';
import { hostilePayload } from './hostile-payloads.js';
import { insidePolicy, POLICY_ALLOW } from './policy-oracle.js';
import { Requester } from './requester.js';

const DEVICE = 'r1';
/** Property runs, each a burst of MIN_BURST..MAX_BURST payloads: several hundred messages in all. */
const RUNS = 50;
const MIN_BURST = 4;
const MAX_BURST = 20;
const REPLY_TIMEOUT_MS = 15_000;
/** How long to keep listening for a second reply to any message. */
const QUIET_MS = 1000;
const MAX_PAYLOAD_BYTES = 1024 * 1024;

interface LogLine {
  level: number;
  msg: string;
}

const ERROR_LEVEL = 50;
const FATAL_LEVEL = 60;

/** What is wrong with a reply, or undefined when it is a well-formed, self-explaining result message. */
function replyProblem(text: string): string | undefined {
  let message: ResultMessage;
  try {
    message = JSON.parse(text) as ResultMessage;
  } catch {
    return 'reply is not JSON';
  }
  if (typeof message.ok !== 'boolean') return 'reply has no boolean "ok"';
  if (!Array.isArray(message.results)) return 'reply has no "results" array';
  for (const [i, result] of message.results.entries()) {
    if (typeof result.status !== 'string' || result.status === '') return `results[${i}] has no status`;
    // SUPERSEDED names the intent that replaced it; every other failure says why.
    const explained =
      result.status === 'SUCCESS' ||
      result.status === 'SUPERSEDED' ||
      (typeof result.error === 'string' && result.error.length > 0);
    if (!explained) return `results[${i}] is ${result.status} without an error text`;
  }
  if (!message.ok && message.results.every((r) => r.status === 'SUCCESS') && !message.error)
    return 'not ok, and nothing says why';
  return undefined;
}

describe('hostile intent payloads', () => {
  let broker: RunningMosquitto;
  let emulator: JetEmulator;
  let bridge: Bridge;
  let requester: Requester;
  let topics: Topics;
  const logLines: LogLine[] = [];
  const routeEvents: RouteEvent[] = [];
  const outsidePolicy: RouteEvent[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    emulator = await JetEmulator.start({ port: 0, users: { jet: 'jet' }, logger: pino({ level: 'silent' }) });
    emulator.events.on('route', (event: RouteEvent) => {
      routeEvents.push(event);
      if (event.op !== 'delete' && !insidePolicy(event.path)) outsidePolicy.push(event);
    });
    const prefix = `h-${randomUUID().slice(0, 8)}`;
    topics = new Topics(prefix);
    const config = parseConfig(
      {
        mqtt: {
          url: broker.url,
          clientId: `bridge-${prefix}`,
          topicPrefix: prefix,
          maxPayloadBytes: MAX_PAYLOAD_BYTES,
        },
        devices: [
          {
            name: DEVICE,
            address: emulator.address,
            username: 'jet',
            password: 'jet',
            policy: { allow: POLICY_ALLOW },
          },
        ],
        emulator: { enabled: false },
        pipeline: { debounceMs: 5, maxBatchDelayMs: 2 },
        state: { path: ':memory:' },
      },
      {},
      tmpdir(),
    );
    const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line) as LogLine) });
    bridge = await startBridge(config, logger);
    requester = await Requester.connect(broker.url);
  });

  afterAll(async () => {
    await requester?.close();
    await bridge?.stop({ drainTimeoutMs: 5000 });
    await emulator?.stop();
    await broker?.stop();
  });

  /** Publishes the payloads at once and checks that each gets a clear reply; returns the replies' texts. */
  async function expectOneClearReplyEach(topic: string, payloads: readonly Buffer[]): Promise<string[]> {
    const correlations = await Promise.all(payloads.map((payload) => requester.request(topic, payload)));
    const replies = await requester.replyTo(correlations, REPLY_TIMEOUT_MS);
    replies.forEach((reply, i) => {
      const problem = replyProblem(reply.text);
      expect(
        problem,
        `payload ${JSON.stringify(payloads[i]!.subarray(0, 200).toString())} got ${reply.text.slice(0, 500)}`,
      ).toBeUndefined();
    });
    return replies.map((reply) => reply.text);
  }

  it('answers each fuzzed payload once, with a clear result', { timeout: 180_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostilePayload, { minLength: MIN_BURST, maxLength: MAX_BURST }), async (payloads) => {
        await expectOneClearReplyEach(topics.intent(DEVICE), payloads);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers oversized payloads, 10 MB among them, without reading them as intents', { timeout: 60_000 }, async () => {
    const tenMegabytes = Buffer.alloc(10 * 1024 * 1024, ' ');
    Buffer.from('{"prefix":"0.0.0.0/0","nextHops":["192.0.2.1"]}').copy(tenMegabytes);
    const justOver = Buffer.from(
      `[${'{"prefix":"0.0.0.0/0","nextHops":["192.0.2.1"]},'.repeat(MAX_PAYLOAD_BYTES / 40)}{}]`,
    );
    expect(justOver.length).toBeGreaterThan(MAX_PAYLOAD_BYTES);
    const replies = await expectOneClearReplyEach(topics.intent(DEVICE), [tenMegabytes, justOver]);
    for (const reply of replies) {
      expect(JSON.parse(reply)).toMatchObject({
        ok: false,
        results: [],
        error: `INVALID_PAYLOAD: payload is larger than the limit of ${MAX_PAYLOAD_BYTES} bytes`,
      });
    }
  });

  it('answers intents for devices it does not serve', { timeout: 30_000 }, async () => {
    const intent = Buffer.from('{"id":"stray","prefix":"10.5.0.0/16","nextHops":["192.0.2.1"]}');
    const devices = ['r2', 'R1', 'r1 ', '\u0440\u0031', 'x'.repeat(5000), '..', '$SYS'];
    for (const device of devices) {
      const [reply] = await expectOneClearReplyEach(`${topics.prefix}/${device}/bgp/intent`, [intent]);
      expect(reply).toContain('UNKNOWN_DEVICE');
    }
  });

  it('answers on the default topic when the response topic cannot be published to', { timeout: 30_000 }, async () => {
    await requester.listen(topics.intentResult(DEVICE));
    const intent = Buffer.from('{"id":"odd-reply","prefix":"10.6.0.0/16","nextHops":["192.0.2.1"]}');
    // Publishing to any of these is a protocol error or a reserved topic; the broker passes them on.
    for (const responseTopic of ['x/#', 'x/+/y', '#', '', '$SYS/jetbridge']) {
      const correlation = await requester.request(topics.intent(DEVICE), intent, responseTopic);
      const [reply] = await requester.replyTo([correlation], REPLY_TIMEOUT_MS);
      expect(replyProblem(reply!.text), responseTopic).toBeUndefined();
    }
  });

  it('answered every message exactly once and let no route outside the policy reach the router', {
    timeout: 30_000,
  }, async () => {
    // Still serving: a valid intent inside the policy is programmed.
    const valid = await requester.request(
      topics.intent(DEVICE),
      Buffer.from('{"id":"after","prefix":"10.77.0.0/16","nextHops":["192.0.2.7"]}'),
    );
    const [reply] = await requester.replyTo([valid], REPLY_TIMEOUT_MS);
    const result = JSON.parse(reply!.text) as ResultMessage;
    expect(result.ok, reply!.text).toBe(true);
    expect(emulator.routes().some((r) => r.prefix === '10.77.0.0' && r.length === 16)).toBe(true);

    await sleep(QUIET_MS);
    const counts = [...requester.replyCounts().values()];
    const unanswered = counts.filter((n) => n === 0).length;
    const repeated = counts.filter((n) => n > 1).length;
    const crashes = logLines.filter((l) => l.level >= FATAL_LEVEL);
    const internalErrors = logLines.filter((l) => l.level >= ERROR_LEVEL);
    const ribOutside = emulator.routes().filter((r) => !insidePolicy(r));
    console.info(
      `[hostile] inputs tried ${requester.published}, replies ${counts.reduce((a, b) => a + b, 0)}, ` +
        `unanswered ${unanswered}, answered twice ${repeated}, crashes ${crashes.length}, errors logged ${internalErrors.length}, ` +
        `route changes at the router ${routeEvents.length}, outside policy ${outsidePolicy.length + ribOutside.length}`,
    );
    expect(unanswered).toBe(0);
    expect(repeated).toBe(0);
    expect(requester.strayReplies).toEqual([]);
    expect(crashes).toEqual([]);
    expect(internalErrors).toEqual([]);
    expect(outsidePolicy).toEqual([]);
    expect(ribOutside).toEqual([]);
    // The fuzzer did get valid, allowed routes through: the policy was exercised on both sides.
    expect(routeEvents.length).toBeGreaterThan(1);
  });
});
