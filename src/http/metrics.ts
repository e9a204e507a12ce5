/**
 * The bridge's Prometheus metrics, named for what the bridge does (intents in,
 * results out, JET requests, queues, device state, relayed events, the broker
 * link), over prom-client with a registry of its own plus the default process
 * metrics.
 *
 * The pipeline reports every intent and every result, up to about 100k per
 * second. A prom-client label child still hashes its labels on every `inc()`
 * (about 60-170 ns measured here), so the per-intent counters and the gauges are
 * kept as plain numbers in per-label-set tallies (a few ns to bump) and copied
 * into prom-client only when `/metrics` is scraped. The histograms are observed
 * once per JET request, not per intent, so they use cached prom-client children.
 *
 * Names follow Prometheus conventions (units in names, `_total` counters, a
 * `jetbridge_build_info` gauge). The `device` label is bounded: a topic can name
 * any device, so intents and results for devices the bridge does not serve
 * count under one value, `(unknown)`. deploy/prometheus and deploy/grafana query
 * these names (tested).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeviceState } from '../jet/device.js';
import type { RouteOperation } from '../jet/model.js';

/** Where a relayed or dropped event came from: BGP route monitoring or router notifications. */
export type EventKind = 'monitor' | 'notify';

/** What a timed JET request did: a route operation, or a Get of programmed routes. */
export type JetRequestOp = RouteOperation | 'get';

/** Every device state, so the state gauge can show 0 for the states a device is not in. */
const DEVICE_STATES = Object.keys({
  connecting: 0,
  ready: 0,
  rebound: 0,
  down: 0,
} satisfies Record<DeviceState, 0>) as DeviceState[];

/** JET request latency in seconds: a loopback call takes about a millisecond, a congested router seconds. */
const JET_REQUEST_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The `device` label of everything addressed to a device the bridge does not serve. */
export const UNKNOWN_DEVICE_LABEL = '(unknown)';

/** Routes per JET request: 1 (a lone intent) up to the 1000-route request limit. */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

/**
 * Values kept per pair of label values and created on first use. Nested maps,
 * so no key string is built on the hot path; metrics with one label use '' as
 * the second value.
 */
class PerLabels<V> {
  private readonly byFirst = new Map<string, Map<string, V>>();

  constructor(private readonly create: (first: string, second: string) => V) {}

  get(first: string, second = ''): V {
    let bySecond = this.byFirst.get(first);
    if (bySecond === undefined) {
      bySecond = new Map();
      this.byFirst.set(first, bySecond);
    }
    let value = bySecond.get(second);
    if (value === undefined) {
      value = this.create(first, second);
      bySecond.set(second, value);
    }
    return value;
  }

  *values(): IterableIterator<V> {
    for (const bySecond of this.byFirst.values()) yield* bySecond.values();
  }
}

/** One label set's number, updated in place by the hot path. */
interface Tally {
  readonly labels: Record<string, string>;
  value: number;
}

/** Tallies for a metric with one or two labels, in label-name order. */
function tallies(labelNames: readonly [string] | readonly [string, string]): PerLabels<Tally> {
  return new PerLabels((first, second) => {
    const labels: Record<string, string> = { [labelNames[0]]: first };
    if (labelNames[1] !== undefined) labels[labelNames[1]] = second;
    return { labels, value: 0 };
  });
}

export interface BridgeMetricsOptions {
  /** The devices the bridge serves; others count as UNKNOWN_DEVICE_LABEL. Omitted: every name counts as given. */
  devices?: readonly string[];
  /** The bridge's version, for jetbridge_build_info. */
  version?: string;
}

/** What a served device reports at scrape time. */
export interface DeviceGauges {
  /** Paths the bridge has programmed on the device (one per next hop). */
  programmedPaths(): number;
  /** The most intents that may wait for the device (its queueLimit). */
  queueLimit: number;
}

export class BridgeMetrics {
  /** Holds only the bridge's metrics and the process metrics; `/metrics` renders it. */
  readonly registry = new Registry();

  private readonly intentsReceived = tallies(['device']);
  private readonly results = tallies(['device', 'status']);
  private readonly queueDepths = tallies(['device']);
  private readonly deviceStates = tallies(['device', 'state']);
  private readonly eventsRelayed = tallies(['device', 'kind']);
  private readonly eventsDropped = tallies(['device', 'kind']);
  private readonly unreconciled = tallies(['device']);
  private readonly served: ReadonlySet<string> | undefined;
  private readonly deviceGauges = new Map<string, DeviceGauges>();

  private readonly jetRequestSeconds = new Histogram({
    name: 'jetbridge_jet_request_seconds',
    help: 'Duration of JET requests, from send to reply, in seconds.',
    labelNames: ['device', 'op'],
    buckets: JET_REQUEST_SECONDS_BUCKETS,
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'jetbridge_jet_request_routes',
    help: 'Routes per JET request.',
    labelNames: ['device', 'op'],
    buckets: BATCH_SIZE_BUCKETS,
    registers: [this.registry],
  });
  private readonly jetRequestChildren = new PerLabels((device, op) => ({
    seconds: this.jetRequestSeconds.labels(device, op),
    size: this.batchSize.labels(device, op),
  }));
  // Fleet events are rare (a handover, a lost lease): plain prom-client metrics.
  private readonly ownershipChanges = new Counter({
    name: 'jetbridge_fleet_ownership_changes_total',
    help: 'Devices this bridge acquired, released (handed over) or lost (lease gone), by device and change.',
    labelNames: ['device', 'change'],
    registers: [this.registry],
  });
  private readonly leaseLosses = new Counter({
    name: 'jetbridge_fleet_lease_losses_total',
    help: 'Device leases this bridge lost without handing them over (database session ended, heartbeat failed).',
    labelNames: ['device'],
    registers: [this.registry],
  });
  private readonly takeoverSeconds = new Histogram({
    name: 'jetbridge_fleet_takeover_seconds',
    help: 'From this bridge first seeing a device without an owner to serving it, in seconds.',
    labelNames: ['device'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly mqttConnectedGauge = new Gauge({
    name: 'jetbridge_mqtt_connected',
    help: '1 while the bridge is connected to the MQTT broker, else 0.',
    registers: [this.registry],
  });

  constructor(options: BridgeMetricsOptions = {}) {
    this.served = options.devices && new Set(options.devices);
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'jetbridge_build_info',
      help: 'Always 1; the labels say which jetbridge and Node.js run.',
      labelNames: ['version', 'nodejs'],
      registers: [this.registry],
    }).set({ version: options.version ?? 'unknown', nodejs: process.versions.node }, 1);
    this.exposeDeviceGauges();
    this.exposeCounter(
      'jetbridge_intents_received_total',
      'Route intents received from MQTT.',
      ['device'],
      this.intentsReceived,
    );
    this.exposeCounter(
      'jetbridge_results_total',
      'Per-route results, by status (SUCCESS, a JET status name or a bridge code).',
      ['device', 'status'],
      this.results,
    );
    this.exposeGauge(
      'jetbridge_queue_depth',
      'Intents waiting in the pipeline for a device.',
      ['device'],
      this.queueDepths,
    );
    this.exposeGauge(
      'jetbridge_device_state',
      '1 for the state a device session is in, 0 for the other states.',
      ['device', 'state'],
      this.deviceStates,
    );
    this.exposeCounter(
      'jetbridge_events_relayed_total',
      'Route monitor entries and router notifications published to MQTT.',
      ['device', 'kind'],
      this.eventsRelayed,
    );
    this.exposeCounter(
      'jetbridge_events_dropped_total',
      'Route monitor entries and router notifications dropped instead of published (backpressure).',
      ['device', 'kind'],
      this.eventsDropped,
    );
    this.exposeGauge(
      'jetbridge_unreconciled_paths',
      'Paths the router does not hold as the durable record says (refused while reconciling, or unverified); retried with backoff.',
      ['device'],
      this.unreconciled,
    );
    this.mqttConnectedGauge.set(0);
  }

  intentReceived(device: string): void {
    this.intentsReceived.get(this.deviceLabel(device)).value++;
  }

  /** One route's outcome: `SUCCESS`, a JET status name, or a bridge code such as `INVALID_PAYLOAD`. */
  result(device: string, status: string): void {
    this.results.get(this.deviceLabel(device), status).value++;
  }

  /** Reports a served device's programmed paths and queue limit at every scrape. */
  watchDevice(device: string, gauges: DeviceGauges): void {
    this.deviceGauges.set(device, gauges);
  }

  /** One JET request of `size` routes that took `ms` milliseconds. */
  jetRequest(device: string, op: JetRequestOp, size: number, ms: number): void {
    const children = this.jetRequestChildren.get(device, op);
    children.seconds.observe(ms / 1000);
    children.size.observe(size);
  }

  queueDepth(device: string, n: number): void {
    this.queueDepths.get(device).value = n;
  }

  deviceState(device: string, state: DeviceState): void {
    for (const candidate of DEVICE_STATES) {
      this.deviceStates.get(device, candidate).value = candidate === state ? 1 : 0;
    }
  }

  eventRelayed(device: string, kind: EventKind): void {
    this.eventsRelayed.get(device, kind).value++;
  }

  eventDropped(device: string, kind: EventKind, n: number): void {
    this.eventsDropped.get(device, kind).value += n;
  }

  unreconciledPaths(device: string, n: number): void {
    this.unreconciled.get(device).value = n;
  }

  mqttConnected(connected: boolean): void {
    this.mqttConnectedGauge.set(connected ? 1 : 0);
  }

  ownershipChanged(device: string, change: 'acquired' | 'released' | 'lost'): void {
    this.ownershipChanges.inc({ device, change });
  }

  leaseLost(device: string): void {
    this.leaseLosses.inc({ device });
  }

  takeover(device: string, seconds: number): void {
    this.takeoverSeconds.observe({ device }, seconds);
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type header value that goes with `render()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private deviceLabel(device: string): string {
    return this.served === undefined || this.served.has(device) ? device : UNKNOWN_DEVICE_LABEL;
  }

  private exposeDeviceGauges(): void {
    const gauges = this.deviceGauges;
    new Gauge({
      name: 'jetbridge_programmed_paths',
      help: 'BGP-static paths the bridge has programmed on a device (one per next hop), as the router confirmed them.',
      labelNames: ['device'],
      registers: [this.registry],
      collect() {
        for (const [device, source] of gauges) this.set({ device }, source.programmedPaths());
      },
    });
    new Gauge({
      name: 'jetbridge_queue_limit',
      help: 'The most intents that may wait in the pipeline for a device (queueLimit); compare jetbridge_queue_depth.',
      labelNames: ['device'],
      registers: [this.registry],
      collect() {
        for (const [device, source] of gauges) this.set({ device }, source.queueLimit);
      },
    });
  }

  /** A counter whose value prom-client reads from the tallies at scrape time. */
  private exposeCounter(name: string, help: string, labelNames: string[], source: PerLabels<Tally>): void {
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        // A counter has no set(): start from zero and add each tally's total.
        this.reset();
        for (const tally of source.values()) this.inc(tally.labels, tally.value);
      },
    });
  }

  /** A gauge whose value prom-client reads from the tallies at scrape time. */
  private exposeGauge(name: string, help: string, labelNames: string[], source: PerLabels<Tally>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        for (const tally of source.values()) this.set(tally.labels, tally.value);
      },
    });
  }
}
