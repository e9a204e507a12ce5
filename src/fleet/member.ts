/**
 * A bridge's membership in a fleet: every check interval it reads the fleet
 * (the query is also its lease session's heartbeat), plans its share
 * (balance.ts), releases what it must hand over and leases free devices, and
 * starts or stops serving them through `DeviceOwnership`.
 *
 * Fencing. `holds(device)` answers from this process's own monotonic clock: a
 * lease counts only until `validityMs` after the start of the last heartbeat
 * that succeeded. The server cannot end the session before `leaseTimeoutMs`
 * after that heartbeat reached it, and validity is shorter, so a bridge that
 * was frozen, cut off or slow stops sending before anyone else may hold the
 * lease, and sends nothing after waking until a new heartbeat succeeds. A
 * failed heartbeat drops every lease at once: the devices stop, the loss is
 * logged and counted, and the bridge joins again with a new session.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { planOwnership } from './balance.js';
import { LeaseConnection, type FleetBridge } from './leases.js';

/** What the bridge does when it gains or gives up a device. */
export interface DeviceOwnership {
  /** Serve the device: this bridge holds its lease. */
  start(device: string): Promise<void>;
  /**
   * Stop serving it. `handover`: orderly (rebalance, shutdown), in-flight work may
   * finish while the lease is still held; otherwise the lease is already gone.
   */
  stop(device: string, handover: boolean): Promise<void>;
}

export interface FleetMetrics {
  ownershipChanged(device: string, change: 'acquired' | 'released' | 'lost'): void;
  leaseLost(device: string): void;
  /** From the moment the device had no owner (as far as this bridge saw) to serving it. */
  takeover(device: string, seconds: number): void;
}

export interface FleetMemberOptions {
  url: string;
  bridgeId: string;
  devices: readonly string[];
  leaseTimeoutMs: number;
  checkIntervalMs: number;
  ownership: DeviceOwnership;
  metrics?: FleetMetrics;
  logger: Logger;
}

export class FleetMember {
  private connection: LeaseConnection | undefined;
  private readonly owned = new Set<string>();
  private validUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastFleet: FleetBridge[] = [];
  /** When this bridge first saw each unowned device without an owner. */
  private readonly orphanedSince = new Map<string, number>();
  private readonly log: Logger;

  constructor(private readonly options: FleetMemberOptions) {
    this.log = options.logger.child({ component: 'fleet', bridge: options.bridgeId });
  }

  /** How long a heartbeat keeps the leases valid here: well inside the server's bound. */
  get validityMs(): number {
    return Math.max(this.options.checkIntervalMs, this.options.leaseTimeoutMs - 2 * this.options.checkIntervalMs);
  }

  /** Joins the fleet (fails if the database cannot be reached or the client id is taken), then checks periodically. */
  async start(): Promise<void> {
    this.connection = await this.open();
    this.log.info({ leaseTimeoutMs: this.options.leaseTimeoutMs }, 'joined the fleet');
    await this.check();
    this.schedule();
  }

  /** Whether this bridge may send to the device now: it holds the lease and its last heartbeat is recent. */
  holds(device: string): boolean {
    return this.owned.has(device) && performance.now() < this.validUntil;
  }

  /** Devices this bridge holds a lease on. */
  ownedDevices(): string[] {
    return [...this.owned].sort();
  }

  /** The fleet as last read. */
  fleet(): readonly FleetBridge[] {
    return this.lastFleet;
  }

  /** Hands every device over (stops serving, then releases), and leaves the fleet. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    for (const device of [...this.owned]) await this.handOver(device).catch(() => {});
    await this.connection?.close();
    this.connection = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.check().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.options.checkIntervalMs);
  }

  private open(): Promise<LeaseConnection> {
    return LeaseConnection.open({
      url: this.options.url,
      bridgeId: this.options.bridgeId,
      leaseTimeoutMs: this.options.leaseTimeoutMs,
      queryTimeoutMs: this.validityMs,
    });
  }

  /** One round: heartbeat and snapshot, then hand over or lease what the plan says. */
  private async check(): Promise<void> {
    try {
      this.connection ??= await this.open();
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'cannot reach the fleet database; retrying');
      return;
    }
    const connection = this.connection;
    try {
      const sentAt = performance.now();
      const fleet = await connection.snapshot();
      this.validUntil = sentAt + this.validityMs;
      this.lastFleet = fleet;
      this.noteOrphans(fleet);
      await this.follow(connection, fleet);
    } catch (error) {
      await this.loseAll(`the lease session failed: ${(error as Error).message}`);
    }
  }

  private async follow(connection: LeaseConnection, fleet: FleetBridge[]): Promise<void> {
    const me = this.options.bridgeId;
    const seen = new Set(fleet.find((b) => b.id === me)?.owned ?? []);
    for (const device of [...this.owned]) {
      if (!seen.has(device)) await this.lose(device, 'the database no longer shows this bridge holding it');
    }
    if (!fleet.some((b) => b.id === me)) throw new Error('this bridge is no longer registered');
    const plan = planOwnership(me, fleet, this.options.devices);
    for (const device of plan.release) await this.handOver(device);
    for (const device of plan.acquire) {
      if (this.stopped || this.owned.size >= plan.quota) break;
      if (await connection.tryAcquire(device)) await this.take(device);
    }
  }

  private async take(device: string): Promise<void> {
    this.owned.add(device);
    this.log.info({ device }, 'took the lease on the device; serving it');
    this.options.metrics?.ownershipChanged(device, 'acquired');
    await this.options.ownership.start(device);
    const since = this.orphanedSince.get(device);
    if (since !== undefined) this.options.metrics?.takeover(device, (performance.now() - since) / 1000);
    this.orphanedSince.delete(device);
  }

  private async handOver(device: string): Promise<void> {
    this.log.info({ device }, 'handing the device over to the fleet');
    await this.options.ownership.stop(device, true);
    this.owned.delete(device);
    await this.connection?.release(device);
    this.options.metrics?.ownershipChanged(device, 'released');
  }

  private async lose(device: string, reason: string): Promise<void> {
    this.owned.delete(device);
    this.log.error({ device, reason }, 'lost the lease on the device: stopped sending to it');
    this.options.metrics?.leaseLost(device);
    this.options.metrics?.ownershipChanged(device, 'lost');
    await this.options.ownership.stop(device, false);
  }

  private async loseAll(reason: string): Promise<void> {
    this.validUntil = 0;
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close();
    if (this.owned.size === 0) {
      this.log.warn({ reason }, 'left the fleet; joining again');
      return;
    }
    for (const device of [...this.owned]) await this.lose(device, reason);
  }

  private noteOrphans(fleet: FleetBridge[]): void {
    const owned = new Set(fleet.flatMap((b) => b.owned));
    const now = performance.now();
    for (const device of this.options.devices) {
      if (owned.has(device)) this.orphanedSince.delete(device);
      else if (!this.orphanedSince.has(device)) this.orphanedSince.set(device, now);
    }
  }
}
