/**
 * A bridge process for the CLI tests (`startBridge`): its own config in a
 * temporary directory, an emulated device on free loopback ports, its HTTP
 * endpoints on, and the broker it is given. The `jetbridge` commands themselves
 * run through ../helpers/bridge-process.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bridgeProcess, writeBridgeConfig, type CliProcess } from '../helpers/bridge-process.js';
import { freePort } from '../helpers/ports.js';

export interface BridgeOptions {
  /** Its one device. */
  device: string;
  /** The broker to use; omitted starts the embedded one on a free port. */
  broker?: { url: string };
  clientId: string;
}

export interface BridgeUnderTest {
  /** The config file, for the client commands' --config. */
  configFile: string;
  brokerUrl: string;
  /** The emulator's admin API: GET /routes lists what the device holds. */
  adminUrl: string;
  /** /metrics, /healthz and /readyz. */
  httpUrl: string;
  /** The latest run of the bridge. */
  process: CliProcess;
  /** Starts it again on the same config (and so the same client id and state). */
  restart(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Stops it if running and removes its directory. */
  dispose(): Promise<void>;
}

/**
 * Writes a config for one emulated device and starts `jetbridge run` on it,
 * resolving once the bridge is subscribed.
 */
export async function startBridge(options: BridgeOptions): Promise<BridgeUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'jetbridge-cli-'));
  const [jetPort, adminPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const brokerUrl = options.broker?.url ?? `mqtt://127.0.0.1:${await freePort()}`;
  const configFile = await writeBridgeConfig(dir, {
    mqtt: {
      url: brokerUrl,
      embeddedBroker: options.broker === undefined,
      clientId: options.clientId,
      subscribe: 'devices',
    },
    devices: [
      { name: options.device, address: `127.0.0.1:${jetPort}`, dialect: 'legacy', username: 'jet', password: 'jet' },
    ],
    emulator: { enabled: true, users: { jet: 'jet' }, adminPort },
    http: { enabled: true, port: httpPort },
    state: { path: join(dir, 'state.db') },
    log: { level: 'info' },
  });

  const bridge = bridgeProcess(configFile);
  try {
    await bridge.start();
  } catch (error) {
    await bridge.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    configFile,
    brokerUrl,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    get process() {
      return bridge.process!;
    },
    restart: () => bridge.start(),
    stop: () => bridge.stop(),
    async dispose() {
      await bridge.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface EmulatorRoute {
  table: string;
  prefix: string;
  nextHops: string[];
  owner: string;
}

/** The routes the emulated device holds, from its admin API. */
export async function emulatorRoutes(bridge: BridgeUnderTest): Promise<EmulatorRoute[]> {
  const response = await fetch(`${bridge.adminUrl}/routes`);
  if (!response.ok) throw new Error(`GET /routes answered ${response.status}`);
  return (await response.json()) as EmulatorRoute[];
}
