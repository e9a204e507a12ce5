/**
 * The devices this bridge serves, each started and stopped on its own: a JET
 * session, the paths programmed on it (loaded from the durable store), its policy
 * and rate limit, the reconciliation at Initialize, its retained state and its
 * monitor and notify relays. The pipeline and the op handler read `contexts` and
 * `ops`, which hold exactly the devices started, so a device can join or leave a
 * running bridge (a fleet member taking over or handing back a device).
 */
import type { Logger } from 'pino';
import { combineLatest, map, of } from 'rxjs';
import type { BridgeConfig, DeviceConfig } from '../config/schema.js';
import { MonitorRelay } from '../events/monitor-relay.js';
import { NotifyRelay } from '../events/notify-relay.js';
import type { BridgeMetrics } from '../http/metrics.js';
import { compilePolicy } from '../intent/policy.js';
import { TokenBucket } from '../intent/rate-limit.js';
import { pathCookie } from '../intent/route-key.js';
import type { BgpPath } from '../jet/model.js';
import { JetDeviceSession } from '../jet/session.js';
import type { BridgeMqttClient } from '../mqtt/client.js';
import type { Topics } from '../mqtt/topics.js';
import type { DeviceContext } from '../pipeline/context.js';
import type { DeviceLane } from '../pipeline/device-lane.js';
import type { OpDevice } from '../pipeline/op-command.js';
import { Reconciler } from '../pipeline/reconciler.js';
import type { DeviceState, StateBackend } from '../state/backend.js';
import { ProgrammedPaths } from '../state/programmed.js';
import { UnreconciledPaths } from '../state/unreconciled.js';
import type { DeviceStatePublisher } from './device-state.js';
import { errorText, StartFailure } from './lifecycle.js';
import { readMqttTls } from './tls-files.js';

interface RunningDevice {
  config: DeviceConfig;
  state: DeviceState;
  session: JetDeviceSession;
  context: DeviceContext;
  reconciler: Reconciler;
  monitor?: MonitorRelay;
  notify?: NotifyRelay;
}

export interface DeviceRuntimeDeps {
  config: BridgeConfig;
  state: StateBackend;
  mqtt: BridgeMqttClient;
  topics: Topics;
  metrics: BridgeMetrics;
  states: DeviceStatePublisher;
  logger: Logger;
  /** The device's pipeline lane, which the reconciler's retries share with the pipeline's batches. */
  lane(device: string): DeviceLane;
}

export class DeviceRuntime {
  private readonly running = new Map<string, RunningDevice>();
  private readonly contextMap = new Map<string, DeviceContext>();
  private readonly opMap = new Map<string, OpDevice>();

  constructor(private readonly deps: DeviceRuntimeDeps) {}

  /** The started devices as the pipeline sees them; live, so it follows start and stop. */
  get contexts(): ReadonlyMap<string, DeviceContext> {
    return this.contextMap;
  }

  /** The started devices as the op-command handler sees them; live as well. */
  get ops(): ReadonlyMap<string, OpDevice> {
    return this.opMap;
  }

  /** The open state of a started device (its programmed paths and inbox), for the inbox journal. */
  stateOf(name: string): DeviceState | undefined {
    return this.running.get(name)?.state;
  }

  /** Names of the devices started, in start order. */
  names(): string[] {
    return [...this.running.keys()];
  }

  /** Starts serving the configured device `name`; a no-op when it is already served. */
  async start(name: string): Promise<void> {
    if (this.running.has(name)) return;
    const index = this.deps.config.devices.findIndex((d) => d.name === name);
    const device = this.deps.config.devices[index];
    if (device === undefined) throw new Error(`no device named ${name} in the config`);
    const state = await this.deps.state.openDevice(device.name);
    const session = this.createSession(device, index);
    const programmed = new ProgrammedPaths();
    for (const p of await state.loadProgrammed()) programmed.apply(p);
    const unreconciled = new UnreconciledPaths();
    const context: DeviceContext = {
      session,
      programmed,
      policy: compilePolicy(device.policy),
      store: { apply: (_device, upserts, removes) => state.applyProgrammed(upserts, removes) },
      unreconciled,
      ...(device.rateLimit && {
        rateLimit: new TokenBucket({ ratePerSec: device.rateLimit.perSec, burst: device.rateLimit.burst }),
      }),
    };
    this.deps.metrics.watchDevice(device.name, {
      programmedPaths: () => programmed.size,
      queueLimit: device.queueLimit,
    });
    const parts: RunningDevice = {
      config: device,
      state,
      session,
      context,
      reconciler: this.createReconciler(device.name, session, programmed, unreconciled),
      ...(device.events.enabled && { monitor: this.createMonitor(device, session) }),
      ...(device.notify && { notify: this.createNotify(device, device.notify, index) }),
    };
    this.deps.states.track({
      name: device.name,
      dialect: device.dialect,
      status$: session.status$,
      drops$: combineLatest([parts.monitor?.drops$ ?? of(0), parts.notify?.drops$ ?? of(0)]).pipe(
        map(([a, b]) => a + b),
      ),
      unreconciled$: unreconciled.count$,
    });
    this.running.set(name, parts);
    this.contextMap.set(name, context);
    this.opMap.set(name, { session, allowedCommands: device.op.allowedCommands });
    session.start();
    parts.monitor?.start();
    parts.notify?.start();
  }

  /**
   * Stops serving `name`: its relays stop, its retained state turns `down` with
   * `reason`, its session ends. Intents for it are answered as for an unknown
   * device from then on; drain the pipeline first to finish those in flight.
   */
  async stop(name: string, reason = 'bridge stopped'): Promise<void> {
    const parts = this.running.get(name);
    if (!parts) return;
    this.running.delete(name);
    this.contextMap.delete(name);
    this.opMap.delete(name);
    parts.reconciler.stop();
    await parts.monitor?.stop();
    await parts.notify?.stop();
    await this.deps.states.release(name, reason);
    await parts.session.stop();
    await parts.state.close();
  }

  /** Stops every device, side by side. */
  async stopAll(reason?: string): Promise<void> {
    await Promise.all(this.names().map((name) => this.stop(name, reason)));
  }

  private createSession(device: DeviceConfig, index: number): JetDeviceSession {
    const { config, logger } = this.deps;
    try {
      return new JetDeviceSession({
        device: device.name,
        address: device.address,
        dialect: device.dialect,
        username: device.username,
        password: device.password,
        clientId: device.clientId,
        ...(device.tls && {
          tls: {
            caFile: device.tls.ca,
            certFile: device.tls.cert,
            keyFile: device.tls.key,
            serverName: device.tls.serverName,
          },
        }),
        rpcTimeoutMs: config.pipeline.rpcTimeoutMs,
        retry: config.pipeline.retry,
        unavailableBudgetMs: device.unavailableBudgetMs,
        maxQueued: device.queueLimit,
        logger,
      });
    } catch (error) {
      throw new StartFailure('config', `devices[${index}] (${device.name}).${errorText(error)}`, { cause: error });
    }
  }

  /**
   * The device's reconciler: at the first Initialize and whenever the router has
   * lost this client's routes it makes the router hold the durable record, and it
   * retries what the router refused, in the pipeline's lane for the device.
   */
  private createReconciler(
    name: string,
    session: JetDeviceSession,
    programmed: ProgrammedPaths,
    unreconciled: UnreconciledPaths,
  ): Reconciler {
    const { config, metrics, logger } = this.deps;
    return new Reconciler({
      session,
      programmed,
      unreconciled,
      owned: (p: BgpPath) => {
        const first = p.nextHops[0];
        return first !== undefined && p.cookie === pathCookie(name, p.table, p.prefix, p.length, first);
      },
      lane: () => this.deps.lane(name),
      backoff: config.pipeline.retry,
      logger,
      metrics,
    });
  }

  private createMonitor(device: DeviceConfig, session: JetDeviceSession): MonitorRelay {
    const { config, mqtt, topics, metrics, logger } = this.deps;
    return new MonitorRelay({
      session,
      client: mqtt,
      topics,
      logger,
      rib: device.events.rib,
      retainedCensus: mqtt,
      queueLimit: device.events.queueLimit,
      overflow: device.events.overflow,
      qos: config.mqtt.qos,
      metrics: {
        relayed: () => metrics.eventRelayed(device.name, 'monitor'),
        dropped: (n) => metrics.eventDropped(device.name, 'monitor', n),
      },
    });
  }

  private createNotify(device: DeviceConfig, notify: NonNullable<DeviceConfig['notify']>, index: number): NotifyRelay {
    const { config, mqtt, topics, metrics, logger } = this.deps;
    return new NotifyRelay({
      device: device.name,
      notify: {
        url: notify.url,
        ...(notify.username && { username: notify.username }),
        ...(notify.password && { password: notify.password }),
        ...(notify.tls && { tls: readMqttTls(notify.tls, `devices[${index}].notify.tls`) }),
        topics: notify.topics,
        normalize: notify.normalize,
      },
      client: mqtt,
      topics,
      logger,
      qos: config.mqtt.qos,
      metrics: {
        relayed: () => metrics.eventRelayed(device.name, 'notify'),
        dropped: (n) => metrics.eventDropped(device.name, 'notify', n),
      },
    });
  }
}
