/**
 * The retained `<prefix>/<device>/state` topic of each device the bridge serves,
 * with the relays' drop counts so losses are never silent, and the statuses that
 * readiness is judged on. A device released (bridge stopping, device handed over)
 * is announced `down` so the retained state never says `ready` for nobody.
 */
import type { Logger } from 'pino';
import { combineLatest, type Observable, type Subscription } from 'rxjs';
import type { BridgeMetrics } from '../http/metrics.js';
import type { DeviceStatus } from '../jet/device.js';
import type { BridgeMqttClient } from '../mqtt/client.js';
import type { DeviceStateMessage } from '../mqtt/results.js';
import type { Topics } from '../mqtt/topics.js';

/** How long a release waits for the broker to take the `down` state. */
const RELEASE_TIMEOUT_MS = 2000;

export interface TrackedDevice {
  name: string;
  dialect: DeviceStateMessage['dialect'];
  status$: Observable<DeviceStatus>;
  drops$: Observable<number>;
  /** Paths the router refused and the reconciler still retries. */
  unreconciled$: Observable<number>;
}

export class DeviceStatePublisher {
  private readonly tracked = new Map<string, { dialect: TrackedDevice['dialect']; subscription: Subscription }>();
  private readonly latest = new Map<string, DeviceStatus>();

  constructor(
    private readonly deps: { mqtt: BridgeMqttClient; topics: Topics; metrics: BridgeMetrics; logger: Logger },
  ) {}

  /** The latest status of each tracked device, for readiness. */
  get statuses(): ReadonlyMap<string, DeviceStatus> {
    return this.latest;
  }

  /** Publishes the device's state whenever its session status or drop count changes. */
  track(device: TrackedDevice): void {
    const { mqtt, topics, metrics, logger } = this.deps;
    const changes = combineLatest([device.status$, device.drops$, device.unreconciled$]);
    const subscription = changes.subscribe(([status, drops, unreconciled]) => {
      this.latest.set(device.name, status);
      metrics.deviceState(device.name, status.state);
      metrics.unreconciledPaths(device.name, unreconciled);
      const message: DeviceStateMessage = {
        state: status.state,
        dialect: device.dialect,
        since: status.since.toISOString(),
        ...(status.error && { error: status.error }),
        ...(drops > 0 && { drops }),
        ...(unreconciled > 0 && { unreconciled }),
      };
      mqtt
        .publish(topics.state(device.name), JSON.stringify(message), { retain: true, qos: 1 })
        .catch((err) =>
          logger.debug({ device: device.name, err: (err as Error).message }, 'device state not published'),
        );
    });
    this.tracked.set(device.name, { dialect: device.dialect, subscription });
  }

  /**
   * Stops following the device and publishes it `down` with `reason`. Waits for the
   * broker at most a bound: with the broker gone the message waits in the outbox,
   * which the client's stop discards.
   */
  async release(name: string, reason: string): Promise<void> {
    const entry = this.tracked.get(name);
    if (!entry) return;
    entry.subscription.unsubscribe();
    this.tracked.delete(name);
    this.latest.delete(name);
    const message: DeviceStateMessage = {
      state: 'down',
      dialect: entry.dialect,
      since: new Date().toISOString(),
      error: reason,
    };
    const published = this.deps.mqtt
      .publish(this.deps.topics.state(name), JSON.stringify(message), { retain: true, qos: 1 })
      .catch(() => {});
    await Promise.race([published, new Promise((resolve) => setTimeout(resolve, RELEASE_TIMEOUT_MS).unref())]);
  }
}
