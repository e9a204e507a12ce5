/**
 * Starting the processes under test, each as its own OS process as a user
 * would run it: the JET emulator and the bridge from the built CLI
 * (`node dist/src/cli.js`), and the bench's own peers (baseline, sink, echo)
 * from TypeScript through tsx.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PeerMessage } from './mqtt-peer.js';
import { answersOk } from './http.js';
import { freePort } from './ports.js';
import { untilReady, type BenchChild, type ChildGroup } from './processes.js';

/** The repository root (bench/lib/ is two levels down). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO_ROOT, 'dist/src/cli.js');

/** The emulator's login, used by the bridges and the baseline. */
export const JET_USER = { user: 'jet', password: 'jet' };

export interface StackOptions {
  group: ChildGroup;
  /** Temporary folder for configs, state and logs. */
  dir: string;
  /** When set, Node writes a CPU profile of the process here on exit. */
  profileDir?: string;
}

/** `--cpu-prof` arguments naming the profile after `label`, or none. */
function profileArgs(options: StackOptions, label: string): string[] {
  if (options.profileDir === undefined) return [];
  return ['--cpu-prof', '--cpu-prof-dir', options.profileDir, '--cpu-prof-name', `${label}.cpuprofile`];
}

export interface RunningEmulator {
  child: BenchChild;
  /** `127.0.0.1:<port>` of its JET gRPC server. */
  jetAddress: string;
  adminUrl: string;
}

/** The emulator from the CLI; `label` names its log and profile files. */
export async function startEmulator(options: StackOptions, label = 'emulator'): Promise<RunningEmulator> {
  const [grpcPort, adminPort] = [await freePort(), await freePort()];
  const child = options.group.start({
    name: label,
    command: process.execPath,
    args: [
      ...profileArgs(options, label),
      CLI,
      'emulator',
      ...['--port', String(grpcPort), '--admin-port', String(adminPort)],
      ...['--user', `${JET_USER.user}:${JET_USER.password}`, '--dialect', 'both'],
    ],
    logFile: join(options.dir, `${label}.log`),
  });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await untilReady(child, 'admin API answer', () => answersOk(`${adminUrl}/healthz`));
  return { child, jetAddress: `127.0.0.1:${grpcPort}`, adminUrl };
}

export interface BridgeSetup {
  /** Names the config, state, log and profile files. */
  label: string;
  brokerUrl: string;
  jetAddress: string;
  /** The device name, also a topic level: `jet/<device>/bgp/intent`. */
  device: string;
  /** More devices on the same JET address (each its own JET client id). */
  moreDevices?: string[];
  /** `devices` makes the bridge subscribe to its own devices' topics only (several bridges on one broker). */
  subscribe?: 'all' | 'devices';
}

export interface RunningBridge {
  child: BenchChild;
  metricsUrl: string;
  intentTopic: string;
  resultTopic: string;
  /** The client id the bridge logs in to JET with (the emulator counts routes per client id). */
  jetClientId: string;
}

/**
 * The bridge with default pipeline settings, talking to an emulator in
 * another process, with /metrics on a free port and state in the temp folder.
 */
export async function startBridge(options: StackOptions, setup: BridgeSetup): Promise<RunningBridge> {
  const httpPort = await freePort();
  const config = {
    mqtt: {
      url: setup.brokerUrl,
      clientId: `bench-${setup.label}-mqtt`,
      ...(setup.subscribe !== undefined && { subscribe: setup.subscribe }),
    },
    devices: [setup.device, ...(setup.moreDevices ?? [])].map((name) => ({
      name,
      address: setup.jetAddress,
      username: JET_USER.user,
      password: JET_USER.password,
      clientId: jetClientIdOf(name),
    })),
    emulator: { enabled: false },
    http: { enabled: true, host: '127.0.0.1', port: httpPort },
    state: { path: join(options.dir, `${setup.label}-state.db`) },
  };
  const configFile = join(options.dir, `${setup.label}.config.json`);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child = options.group.start({
    name: `bridge (${setup.label})`,
    command: process.execPath,
    args: [...profileArgs(options, `bridge-${setup.label}`), CLI, 'run', '--config', configFile],
    logFile: join(options.dir, `${setup.label}.log`),
  });
  const base = `http://127.0.0.1:${httpPort}`;
  await untilReady(child, 'readiness (/readyz)', () => answersOk(`${base}/readyz`));
  return {
    child,
    metricsUrl: `${base}/metrics`,
    intentTopic: `jet/${setup.device}/bgp/intent`,
    resultTopic: `jet/${setup.device}/bgp/result`,
    jetClientId: jetClientIdOf(setup.device),
  };
}

/** The client id a bench bridge logs in to JET with for `device` (the emulator counts routes per client id). */
export function jetClientIdOf(device: string): string {
  return `bench-${device}`;
}

/** Starts a TypeScript entry under bench/lib as a process and waits for its `ready` report. */
async function startTsPeer(
  options: StackOptions,
  name: string,
  entry: string,
  args: string[],
  readyTimeoutMs = 120_000,
): Promise<BenchChild> {
  const child = options.group.start({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', join(REPO_ROOT, 'bench/lib', entry), ...args],
    logFile: join(options.dir, `${name}.log`),
    ipc: true,
  });
  await child.nextMessage((message) => ((message as PeerMessage).kind === 'ready' ? true : undefined), readyTimeoutMs);
  return child;
}

export interface BaselineSetup {
  brokerUrl: string;
  jetAddress: string;
  intentTopic: string;
  resultTopic: string;
}

export function startBaseline(options: StackOptions, setup: BaselineSetup): Promise<BenchChild> {
  return startTsPeer(options, 'baseline', 'baseline.ts', [
    ...['--url', setup.brokerUrl, '--jet', setup.jetAddress],
    ...['--user', JET_USER.user, '--password', JET_USER.password, '--client-id', 'bench-baseline'],
    ...['--topic', setup.intentTopic, '--reply-topic', setup.resultTopic],
  ]);
}

export function startSink(options: StackOptions, brokerUrl: string, topic: string, count: number): Promise<BenchChild> {
  return startTsPeer(options, 'sink', 'mqtt-peer.ts', [
    'sink',
    '--url',
    brokerUrl,
    '--topic',
    topic,
    '--count',
    String(count),
  ]);
}

export function startEcho(
  options: StackOptions,
  brokerUrl: string,
  topic: string,
  replyTopic: string,
): Promise<BenchChild> {
  return startTsPeer(options, 'echo', 'mqtt-peer.ts', [
    'echo',
    '--url',
    brokerUrl,
    '--topic',
    topic,
    '--reply-topic',
    replyTopic,
  ]);
}

export interface RunningNoopJet {
  child: BenchChild;
  jetAddress: string;
}

export async function startNoopJet(options: StackOptions): Promise<RunningNoopJet> {
  const port = await freePort();
  const child = await startTsPeer(options, 'noop-jet', 'noop-jet.ts', ['--port', String(port)]);
  return { child, jetAddress: `127.0.0.1:${port}` };
}

export interface JetBulkSetup {
  jetAddress: string;
  routes: number;
  arraySize: number;
  inFlight: number;
}

/** The direct gRPC bulk client, logged in and with its requests built (a while, for a million), waiting for `go`. */
export function startJetBulk(options: StackOptions, setup: JetBulkSetup): Promise<BenchChild> {
  return startTsPeer(options, 'jet-bulk', 'jet-bulk.ts', [
    ...['--jet', setup.jetAddress, '--user', JET_USER.user, '--password', JET_USER.password],
    ...['--client-id', 'bench-jet-bulk', '--routes', String(setup.routes)],
    ...['--array-size', String(setup.arraySize), '--in-flight', String(setup.inFlight)],
  ]);
}
