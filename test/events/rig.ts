/**
 * The end-to-end rig for the event relays: a JET emulator as the router, a real
 * JetDeviceSession to it, the bridge's MQTT client on a real broker, and a
 * MonitorRelay between them. Everything started here is stopped by stop().
 */
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { MonitorRelay, type MonitorRelayOptions } from '../../src/events/monitor-relay.js';
import { JetEmulator, type PeerRouteInput } from '../../src/emulator/emulator.js';
import { JetDeviceSession } from '../../src/jet/session.js';
import type { DialectName } from '../../src/jet/model.js';
import { BridgeMqttClient } from '../../src/mqtt/client.js';
import { Topics } from '../../src/mqtt/topics.js';

export const quietLogger = pino({ level: 'silent' });
export const DEVICE = 'r1';

export interface Broker {
  url: string;
  protocolVersion: 4 | 5;
}

export interface RigOptions {
  dialect: DialectName;
  broker: Broker;
  /** Peer routes the router knows before the session connects. */
  peerRoutes?: PeerRouteInput[];
  relay?: Partial<Pick<MonitorRelayOptions, 'rib' | 'queueLimit' | 'overflow'>>;
  logger?: Logger;
}

export interface Rig {
  emulator: JetEmulator;
  session: JetDeviceSession;
  client: BridgeMqttClient;
  relay: MonitorRelay;
  topics: Topics;
  eventsTopic: string;
  /** Starts the session (and so the monitor stream); subscribe first to see everything. */
  connect(): void;
  stop(): Promise<void>;
}

/** `count` distinct /24 peer routes from 10.0.0.0/24 on, in inet.0. */
export function peerRoutes(count: number, first = 0): PeerRouteInput[] {
  return Array.from({ length: count }, (_, i) => peerRoute(first + i));
}

export function peerRoute(n: number, extra: Partial<PeerRouteInput> = {}): PeerRouteInput {
  const prefix = `${10 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}.0`;
  return { table: 'inet.0', prefix, length: 24, nextHops: ['192.0.2.1'], ...extra };
}

export async function startRig(options: RigOptions): Promise<Rig> {
  const logger = options.logger ?? quietLogger;
  const emulator = await JetEmulator.start({
    port: 0,
    dialects: 'both',
    users: { jet: 'secret' },
    logger: quietLogger,
  });
  if (options.peerRoutes) emulator.injectPeerRoutes(options.peerRoutes);
  // A prefix of its own, so that tests sharing a broker do not see each other's topics.
  const topics = new Topics(`t-${randomUUID().slice(0, 8)}/jet`);
  const clientId = `bridge-${randomUUID().slice(0, 8)}`;
  const client = new BridgeMqttClient({
    url: options.broker.url,
    protocolVersion: options.broker.protocolVersion,
    clientId,
    statusTopic: topics.bridgeStatus(clientId),
    reconnectPeriodMs: 100,
    stopTimeoutMs: 1000,
    logger: quietLogger,
  });
  await client.start();
  const session = new JetDeviceSession({
    device: DEVICE,
    address: emulator.address,
    dialect: options.dialect,
    username: 'jet',
    password: { value: 'secret' },
    clientId: `jetbridge-${DEVICE}`,
    rpcTimeoutMs: 5000,
    retry: { initialMs: 50, maxMs: 500, maxAttempts: 3 },
    unavailableBudgetMs: 10_000,
    logger: quietLogger,
  });
  const relay = new MonitorRelay({ session, client, topics, logger, retainedCensus: client, ...options.relay });
  relay.start();
  return {
    emulator,
    session,
    client,
    relay,
    topics,
    eventsTopic: topics.bgpEvents(DEVICE),
    connect: () => session.start(),
    async stop() {
      await relay.stop();
      await session.stop();
      await client.stop();
      await emulator.stop();
    },
  };
}
