/**
 * The fault-injection rig: a real Mosquitto (shared by the scenarios of a test
 * file), a JET emulator in the test process (its RIB outlives the bridge), the
 * bridge as its own process pointed at both, and the users' publisher and
 * result subscriber. `runScenario` drives one burst with one fault in the middle
 * and measures what came back.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { expect, vi } from 'vitest';
import { JetEmulator } from '../../src/emulator/emulator.js';
import { Topics } from '../../src/mqtt/topics.js';
import { bridgeProcess, writeBridgeConfig, type BridgeProcess } from '../helpers/bridge-process.js';
import type { RunningMosquitto } from '../helpers/mosquitto.js';
import type { LossAttribution } from './broker-log.js';
import { IntentPublisher, ResultCollector, intentFor, type BurstOptions, type Tally } from './intent-traffic.js';

const DEVICE = 'r1';
/** The JET client id the bridge logs in with (the config's default for device r1). */
export const JET_CLIENT_ID = `jetbridge-${DEVICE}`;
const JET_USER = { name: 'jet', password: 'jet' };

/**
 * Mosquitto options for the fault suites: persistent sessions, written after every
 * change. Mosquitto otherwise saves only on a clean exit, and a SIGKILL loses every
 * session and queued message; with these a killed broker comes back with all but
 * what it acknowledged in its last moment (it acknowledges before it writes, see
 * broker-log.ts).
 */
export const DURABLE_BROKER = { persistence: true, extraConfig: ['autosave_on_changes true', 'autosave_interval 1'] };

export interface FaultRigOptions {
  broker: RunningMosquitto;
  /** The emulator's purge timeout; default one minute, longer than any scenario. */
  purgeTimeoutMs?: number;
  /** The bridge's deadline per JET call; default 2000 ms. */
  rpcTimeoutMs?: number;
}

export interface FaultRig {
  readonly emulator: JetEmulator;
  readonly bridge: BridgeProcess;
  readonly publisher: IntentPublisher;
  readonly results: ResultCollector;
  readonly broker: RunningMosquitto;
  /** The bridge's MQTT client id, fixed across its restarts. */
  readonly bridgeId: string;
  readonly requestTopic: string;
  /** Intent n asks for its result on `resultRoot/intent-n`. */
  readonly resultRoot: string;
  /** The routes the bridge's JET client id owns, as sorted `table prefix/length via next hops` lines. */
  rib(): string[];
  stop(): Promise<void>;
}

function bridgeClientId(topicPrefix: string): string {
  return `bridge-${topicPrefix}`;
}

/** The bridge's config: the emulator as its device, its own topic prefix, state and fixed MQTT client id. */
function bridgeConfig(options: FaultRigOptions, emulator: JetEmulator, topicPrefix: string, stateDir: string): unknown {
  return {
    mqtt: { url: options.broker.url, clientId: bridgeClientId(topicPrefix), topicPrefix },
    devices: [
      {
        name: DEVICE,
        address: emulator.address,
        dialect: 'legacy',
        username: JET_USER.name,
        password: JET_USER.password,
        // Longer than any fault a scenario injects: intents wait instead of failing.
        unavailableBudgetMs: 30_000,
      },
    ],
    emulator: { enabled: false },
    pipeline: {
      rpcTimeoutMs: options.rpcTimeoutMs ?? 2000,
      retry: { initialMs: 50, maxMs: 400, maxAttempts: 40 },
    },
    state: { path: join(stateDir, 'state.db') },
    log: { level: 'info' },
  };
}

export async function startFaultRig(options: FaultRigOptions): Promise<FaultRig> {
  const stateDir = await mkdtemp(join(tmpdir(), 'jetbridge-faults-'));
  const topicPrefix = `f-${randomUUID().slice(0, 8)}`;
  const topics = new Topics(topicPrefix);
  const emulator = await JetEmulator.start({
    port: 0,
    users: { [JET_USER.name]: JET_USER.password },
    purgeTimeoutMs: options.purgeTimeoutMs ?? 60_000,
    logger: pino({ level: 'silent' }),
  });
  const configFile = await writeBridgeConfig(stateDir, bridgeConfig(options, emulator, topicPrefix, stateDir));
  const names = {
    bridgeId: bridgeClientId(topicPrefix),
    requestTopic: topics.intent(DEVICE),
    resultRoot: topics.intentResult(DEVICE),
  };
  const results = await ResultCollector.subscribe(options.broker.url, names.resultRoot);
  const publisher = await IntentPublisher.connect(options.broker.url, names.requestTopic, names.resultRoot);
  const bridge = bridgeProcess(configFile);
  await bridge.start();

  return {
    emulator,
    bridge,
    publisher,
    results,
    broker: options.broker,
    ...names,
    rib: () =>
      emulator
        .routes()
        .filter((route) => route.owner === JET_CLIENT_ID)
        .map((route) => `${route.table} ${route.prefix}/${route.length} via ${route.nextHops.join(',')}`)
        .sort(),
    async stop() {
      await bridge.stop();
      await publisher.close();
      await results.close();
      await emulator.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** The RIB lines of the announced intents among 0..count-1 (all, unless `announced` says otherwise). */
export function desiredRib(count: number, announced: (n: number) => boolean = () => true): string[] {
  const lines: string[] = [];
  for (let n = 0; n < count; n++) {
    if (!announced(n)) continue;
    const { prefix, nextHops } = intentFor(n);
    lines.push(`inet.0 ${prefix} via ${nextHops.join(',')}`);
  }
  return lines.sort();
}

export interface Scenario {
  name: string;
  burst: BurstOptions;
  /** The fault starts once this share of the burst has been published. */
  faultAt: number;
  fault(rig: FaultRig): Promise<void>;
  /**
   * For faults that can lose messages outside the bridge (a killed broker): says
   * which lost intents the bridge is answerable for. Without it, every loss is.
   */
  attributeLosses?(rig: FaultRig, lost: readonly number[]): LossAttribution;
}

/** Bounds on the waits after the burst; a scenario that needs longer is a failure. */
const ACK_TIMEOUT_MS = 30_000;
const RESULTS_TIMEOUT_MS = 30_000;
const QUIET_MS = 750;
const RIB_TIMEOUT_MS = 10_000;

export interface ScenarioOutcome extends Tally {
  /** Lost intents put on the broker by its log; only for scenarios that attribute losses. */
  lostAtBroker: number;
}

function summary(name: string, outcome: ScenarioOutcome): string {
  const atBroker = outcome.lostAtBroker > 0 ? ` (all at the broker: ${outcome.lostAtBroker})` : '';
  const failures = outcome.failed > 0 ? ` ${JSON.stringify(outcome.failures)}` : '';
  return (
    `[faults] ${name}: published ${outcome.published}, results ${outcome.results}, ` +
    `lost ${outcome.lost}${atBroker}, duplicates ${outcome.duplicates}, failed ${outcome.failed}${failures}`
  );
}

/**
 * Publishes the burst, injects the fault part-way, waits for the results and for
 * the RIB, prints the tally and asserts: no intent lost by the bridge, none
 * failed, and the RIB holds exactly the announced routes (less the intents a
 * killed broker lost before they reached the bridge).
 */
export async function runScenario(rig: FaultRig, scenario: Scenario): Promise<ScenarioOutcome> {
  const { count } = scenario.burst;
  const burst = rig.publisher.burst(scenario.burst);
  await rig.publisher.reached(Math.floor(count * scenario.faultAt));
  await scenario.fault(rig);
  await burst;
  await rig.publisher.allAcknowledged(ACK_TIMEOUT_MS);
  await rig.results.settle(count, { timeoutMs: RESULTS_TIMEOUT_MS, quietMs: QUIET_MS });
  const tally = rig.results.tally(count);
  const lost = rig.results.unanswered(count);
  const attribution = scenario.attributeLosses?.(rig, lost) ?? { atBroker: [], neverAnswered: [], byBridge: lost };
  const outcome: ScenarioOutcome = { ...tally, lostAtBroker: attribution.atBroker.length };
  console.info(summary(scenario.name, outcome));

  const problem = `${scenario.name}: ${JSON.stringify({ ...outcome, attribution })}\n--- bridge output (tail)\n${rig.bridge.output().slice(-6000)}`;
  expect(attribution.byBridge, problem).toEqual([]);
  expect(tally.failed, problem).toBe(0);
  const neverProgrammed = new Set(attribution.neverAnswered);
  const desired = desiredRib(count, (n) => !neverProgrammed.has(n));
  await vi.waitFor(() => expect(rig.rib()).toEqual(desired), { timeout: RIB_TIMEOUT_MS, interval: 100 });
  return outcome;
}
