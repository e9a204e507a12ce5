/**
 * The emulator's notification side: what a router's JET notification broker
 * publishes when routes change. When programmed routes change (the emulator's
 * `route` events) it publishes Junos-style `jet-event` JSON over MQTT (QoS 0,
 * as a router's notification broker does), and `publish()` sends any other
 * event (the admin API's POST /notify).
 *
 * Topic layout, under `topicRoot` (default `/junos/events`):
 *   <root>/kernel/route/add/<family>/<prefix>_<length>      a path was added or changed
 *   <root>/kernel/route/delete/<family>/<prefix>_<length>   a path was removed
 * for example `/junos/events/kernel/route/add/inet/10.1.0.0_24`. `family` is
 * `inet` or `inet6`; the length joins the prefix with `_` so one topic level is
 * one destination and `+`/`#` wildcards work per family or per destination.
 *
 * Payload: `{"jet-event": {"event-id": "KERNEL_ROUTE_ADD" | "KERNEL_ROUTE_DELETE",
 * "hostname", "time" (ISO 8601), "severity": "info", "facility": "kernel",
 * "attributes": {"table", "family", "prefix", "prefix-length", "next-hops",
 * "protocol": "bgp-static", "path-cookie" (decimal text, 64-bit exact),
 * "flags": [...]}}}`. One event per path, so a prefix with four ECMP paths
 * yields four events. `flags` holds `replace` when a path's attributes changed
 * in place, and `no-advertise` / `no-export` when the path carries them.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { BgpPath } from '../jet/model.js';
import type { RouteEvent } from './jsd.js';

/** The `jet-event` object of a notification. */
export interface JetEvent {
  'event-id': string;
  hostname: string;
  time: string;
  severity: string;
  facility: string;
  attributes: Record<string, unknown>;
}

/** What a caller of `publish()` supplies; hostname and time default to the router's. */
export type JetEventInput = Pick<JetEvent, 'event-id'> & Partial<Omit<JetEvent, 'event-id'>>;

export interface NotifierOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  url: string;
  /** The router's hostname, stamped on every event. */
  hostname: string;
  logger: Logger;
  /** Default `/junos/events`. */
  topicRoot?: string;
  /** Route events waiting to be published before new ones are dropped (default 10,000). */
  maxQueued?: number;
}

export interface NotifierStats {
  /** Events the broker took: route events and publish() calls. */
  published: number;
  /** Route events not published: queue full, broker unreachable, or stopped with events pending. */
  dropped: number;
  queued: number;
}

export interface Notifier {
  /** Publishes one event on `topic` (QoS 0); rejects when the broker does not take it. */
  publish(topic: string, event: JetEventInput): Promise<void>;
  stats(): NotifierStats;
  stop(): Promise<void>;
}

/** What the notifier reads from the emulator. */
export interface RouteEventSource {
  readonly events: EventEmitter;
}

interface Outgoing {
  topic: string;
  payload: string;
}

const DEFAULT_TOPIC_ROOT = '/junos/events';
const DEFAULT_MAX_QUEUED = 10_000;
/** Consumed entries at the front of the queue that trigger compaction. */
const COMPACT_AFTER = 4_096;
/** How often (at most) the notifier logs that it is dropping events. */
const DROP_LOG_INTERVAL_MS = 5_000;

function familyOf(prefix: string): 'inet' | 'inet6' {
  return prefix.includes(':') ? 'inet6' : 'inet';
}

/** The topic for a route change, per the layout in the module comment. */
export function routeEventTopic(
  topicRoot: string,
  op: RouteEvent['op'],
  path: Pick<BgpPath, 'prefix' | 'length'>,
): string {
  const action = op === 'delete' ? 'delete' : 'add';
  return `${topicRoot}/kernel/route/${action}/${familyOf(path.prefix)}/${path.prefix}_${path.length}`;
}

/** The `jet-event` a router would publish for one path change. */
export function routeJetEvent(op: RouteEvent['op'], path: BgpPath, hostname: string, time: Date): JetEvent {
  const flags: string[] = [];
  if (op === 'modify') flags.push('replace');
  if (path.noAdvertise) flags.push('no-advertise');
  if (path.noExport) flags.push('no-export');
  return {
    'event-id': op === 'delete' ? 'KERNEL_ROUTE_DELETE' : 'KERNEL_ROUTE_ADD',
    hostname,
    time: time.toISOString(),
    severity: 'info',
    facility: 'kernel',
    attributes: {
      table: path.table,
      family: familyOf(path.prefix),
      prefix: path.prefix,
      'prefix-length': path.length,
      'next-hops': path.nextHops,
      protocol: 'bgp-static',
      'path-cookie': path.cookie.toString(),
      flags,
    },
  };
}

function completeEvent(event: JetEventInput, hostname: string): JetEvent {
  return {
    hostname,
    time: new Date().toISOString(),
    severity: 'info',
    facility: 'user',
    attributes: {},
    ...event,
  };
}

/**
 * Connects to the broker and starts relaying route events. Rejects when the
 * broker cannot be reached at start, so a misconfigured URL fails loudly;
 * after that the client reconnects on its own.
 */
export async function startNotifier(emulator: RouteEventSource, options: NotifierOptions): Promise<Notifier> {
  const client = await mqtt.connectAsync(options.url, {
    clientId: `jet-emulator-${options.hostname}-${randomBytes(4).toString('hex')}`,
    reconnectPeriod: 1_000,
    // Offline QoS 0 messages would pile up without bound in mqtt.js; drop (and count) them instead.
    queueQoSZero: false,
  });
  const notifier = new RouteNotifier(client, emulator, options);
  options.logger.info({ url: options.url, topicRoot: notifier.topicRoot }, 'emulator publishing JET notifications');
  return notifier;
}

/**
 * Backpressure: route events arrive synchronously and can come 1000 per gRPC
 * request, 100k in a burst. They go into a bounded FIFO that one pump drains,
 * awaiting each mqtt.js publish (which for QoS 0 resolves once the packet is
 * written to the socket, or after the socket drains). When the FIFO is full,
 * new events are dropped and counted in `stats().dropped`, with a throttled
 * warning in the log; nothing is merged or skipped silently.
 */
class RouteNotifier implements Notifier {
  readonly topicRoot: string;
  private readonly queue: Outgoing[] = [];
  /** Index of the next queued message; consumed entries are cut off in batches, not one shift() each. */
  private head = 0;
  private pumping = false;
  private stopped = false;
  private published = 0;
  private dropped = 0;
  private lastDropLog = 0;
  private readonly maxQueued: number;
  private readonly onRoute = (event: RouteEvent) => this.enqueue(event);

  constructor(
    private readonly client: MqttClient,
    private readonly emulator: RouteEventSource,
    private readonly options: NotifierOptions,
  ) {
    this.topicRoot = options.topicRoot ?? DEFAULT_TOPIC_ROOT;
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    // mqtt.js reports every failed reconnect as an error; the offline/connect pair is what an operator needs.
    client.on('error', (error) => options.logger.debug({ err: error }, 'notification broker error'));
    client.on('offline', () =>
      options.logger.warn({ url: options.url }, 'notification broker unreachable; reconnecting'),
    );
    client.on('connect', () => options.logger.info({ url: options.url }, 'notification broker connected'));
    emulator.events.on('route', this.onRoute);
  }

  async publish(topic: string, event: JetEventInput): Promise<void> {
    const payload = JSON.stringify({ 'jet-event': completeEvent(event, this.options.hostname) });
    await this.client.publishAsync(topic, payload, { qos: 0 });
    this.published += 1;
  }

  stats(): NotifierStats {
    return { published: this.published, dropped: this.dropped, queued: this.queue.length - this.head };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.emulator.events.off('route', this.onRoute);
    const pending = this.queue.length - this.head;
    this.dropped += pending;
    this.queue.length = 0;
    this.head = 0;
    if (pending > 0) this.options.logger.warn({ pending }, 'notifier stopped with route events unpublished');
    await this.client.endAsync();
  }

  private enqueue(event: RouteEvent): void {
    // Kernel route events are about forwarding-table prefixes; a flow route becomes a filter, not one.
    if (this.stopped || event.path.flowspec !== undefined) return;
    if (this.queue.length - this.head >= this.maxQueued) {
      this.drop('notification queue full');
      return;
    }
    const jetEvent = routeJetEvent(event.op, event.path, this.options.hostname, new Date());
    this.queue.push({
      topic: routeEventTopic(this.topicRoot, event.op, event.path),
      payload: JSON.stringify({ 'jet-event': jetEvent }),
    });
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    while (this.head < this.queue.length && !this.stopped) {
      const next = this.queue[this.head]!;
      this.head += 1;
      // Under a steady stream the queue never empties; reclaim the consumed front now and then.
      if (this.head >= COMPACT_AFTER) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      try {
        await this.client.publishAsync(next.topic, next.payload, { qos: 0 });
        this.published += 1;
      } catch (error) {
        this.drop((error as Error).message);
      }
    }
    this.queue.length = 0;
    this.head = 0;
    this.pumping = false;
  }

  private drop(reason: string): void {
    this.dropped += 1;
    const now = Date.now();
    if (now - this.lastDropLog >= DROP_LOG_INTERVAL_MS) {
      this.lastDropLog = now;
      this.options.logger.warn({ dropped: this.dropped, reason }, 'dropping route notifications');
    }
  }
}
