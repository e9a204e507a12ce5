import { describe, expect, it } from 'vitest';
import { BridgeMetrics } from '../../src/http/metrics.js';
import type { PipelineMetrics } from '../../src/pipeline/context.js';
import { parseExposition, sampleValue, type Exposition } from './prom-text.js';

async function scrape(metrics: BridgeMetrics): Promise<Exposition> {
  return parseExposition(await metrics.render());
}

describe('BridgeMetrics', () => {
  it('declares every bridge metric with its Prometheus type', async () => {
    const { types } = await scrape(new BridgeMetrics());
    expect(Object.fromEntries([...types].filter(([name]) => name.startsWith('jetbridge_')))).toEqual({
      jetbridge_intents_received_total: 'counter',
      jetbridge_results_total: 'counter',
      jetbridge_jet_request_seconds: 'histogram',
      jetbridge_jet_request_routes: 'histogram',
      jetbridge_queue_depth: 'gauge',
      jetbridge_device_state: 'gauge',
      jetbridge_events_relayed_total: 'counter',
      jetbridge_events_dropped_total: 'counter',
      jetbridge_mqtt_connected: 'gauge',
      jetbridge_fleet_ownership_changes_total: 'counter',
      jetbridge_fleet_lease_losses_total: 'counter',
      jetbridge_fleet_takeover_seconds: 'histogram',
      jetbridge_unreconciled_paths: 'gauge',
      jetbridge_build_info: 'gauge',
      jetbridge_programmed_paths: 'gauge',
      jetbridge_queue_limit: 'gauge',
    });
  });

  it('counts ownership changes and lease losses, and observes takeover durations', async () => {
    const metrics = new BridgeMetrics();
    metrics.ownershipChanged('r1', 'acquired');
    metrics.ownershipChanged('r1', 'lost');
    metrics.leaseLost('r1');
    metrics.takeover('r2', 1.5);
    const scraped = await scrape(metrics);
    expect(sampleValue(scraped, 'jetbridge_fleet_ownership_changes_total', { device: 'r1', change: 'lost' })).toBe(1);
    expect(sampleValue(scraped, 'jetbridge_fleet_lease_losses_total', { device: 'r1' })).toBe(1);
    expect(sampleValue(scraped, 'jetbridge_fleet_takeover_seconds_sum', { device: 'r2' })).toBe(1.5);
  });

  it('shows the unreconciled paths per device', async () => {
    const metrics = new BridgeMetrics();
    metrics.unreconciledPaths('r1', 3);
    metrics.unreconciledPaths('r1', 2);
    const text = await metrics.render();
    expect(text).toContain('jetbridge_unreconciled_paths{device="r1"} 2');
  });

  it('says which version runs in jetbridge_build_info', async () => {
    const scraped = await scrape(new BridgeMetrics({ version: '1.2.3' }));
    expect(sampleValue(scraped, 'jetbridge_build_info', { version: '1.2.3', nodejs: process.versions.node })).toBe(1);
  });

  it('counts intents and results for devices it does not serve under one device label', async () => {
    const metrics = new BridgeMetrics({ devices: ['r1'] });
    metrics.intentReceived('r1');
    for (const device of ['x1', 'x2', 'x3']) {
      metrics.intentReceived(device);
      metrics.result(device, 'UNKNOWN_DEVICE');
    }
    const scraped = await scrape(metrics);
    const devices = new Set(scraped.samples.filter((s) => s.labels.device !== undefined).map((s) => s.labels.device));
    expect([...devices].sort()).toEqual(['(unknown)', 'r1']);
    expect(sampleValue(scraped, 'jetbridge_intents_received_total', { device: '(unknown)' })).toBe(3);
    expect(sampleValue(scraped, 'jetbridge_results_total', { device: '(unknown)', status: 'UNKNOWN_DEVICE' })).toBe(3);
  });

  it("reads each served device's programmed paths and queue limit at scrape time", async () => {
    const metrics = new BridgeMetrics({ devices: ['r1'] });
    let paths = 4;
    metrics.watchDevice('r1', { programmedPaths: () => paths, queueLimit: 100 });
    expect(sampleValue(await scrape(metrics), 'jetbridge_programmed_paths', { device: 'r1' })).toBe(4);
    paths = 7;
    const scraped = await scrape(metrics);
    expect(sampleValue(scraped, 'jetbridge_programmed_paths', { device: 'r1' })).toBe(7);
    expect(sampleValue(scraped, 'jetbridge_queue_limit', { device: 'r1' })).toBe(100);
  });

  it('includes the default process metrics', async () => {
    const { types } = await scrape(new BridgeMetrics());
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  });

  it('counts intents and results per device and status', async () => {
    const metrics = new BridgeMetrics();
    for (let i = 0; i < 3; i++) metrics.intentReceived('r1');
    metrics.intentReceived('r2');
    metrics.result('r1', 'SUCCESS');
    metrics.result('r1', 'SUCCESS');
    metrics.result('r1', 'INVALID_PAYLOAD');

    const scraped = await scrape(metrics);
    expect(sampleValue(scraped, 'jetbridge_intents_received_total', { device: 'r1' })).toBe(3);
    expect(sampleValue(scraped, 'jetbridge_intents_received_total', { device: 'r2' })).toBe(1);
    expect(sampleValue(scraped, 'jetbridge_results_total', { device: 'r1', status: 'SUCCESS' })).toBe(2);
    expect(sampleValue(scraped, 'jetbridge_results_total', { device: 'r1', status: 'INVALID_PAYLOAD' })).toBe(1);
    expect(sampleValue(scraped, 'jetbridge_results_total', { device: 'r2' })).toBeUndefined();
  });

  it('reports counter totals, not increments since the last scrape, on every scrape', async () => {
    const metrics = new BridgeMetrics();
    metrics.intentReceived('r1');
    metrics.eventDropped('r1', 'notify', 5);
    await scrape(metrics);
    metrics.intentReceived('r1');
    const second = await scrape(metrics);
    expect(sampleValue(second, 'jetbridge_intents_received_total', { device: 'r1' })).toBe(2);
    expect(sampleValue(second, 'jetbridge_events_dropped_total', { device: 'r1', kind: 'notify' })).toBe(5);
  });

  it('observes JET request latency in seconds and batch size per device and operation', async () => {
    const metrics = new BridgeMetrics();
    metrics.jetRequest('r1', 'add', 1000, 40);
    metrics.jetRequest('r1', 'add', 3, 2);
    metrics.jetRequest('r1', 'remove', 1, 1);

    const scraped = await scrape(metrics);
    const add = { device: 'r1', op: 'add' };
    expect(sampleValue(scraped, 'jetbridge_jet_request_seconds_count', add)).toBe(2);
    expect(sampleValue(scraped, 'jetbridge_jet_request_seconds_sum', add)).toBeCloseTo(0.042);
    expect(sampleValue(scraped, 'jetbridge_jet_request_seconds_bucket', { ...add, le: '0.0025' })).toBe(1);
    expect(sampleValue(scraped, 'jetbridge_jet_request_seconds_bucket', { ...add, le: '0.05' })).toBe(2);
    expect(sampleValue(scraped, 'jetbridge_jet_request_routes_bucket', { ...add, le: '5' })).toBe(1);
    expect(sampleValue(scraped, 'jetbridge_jet_request_routes_bucket', { ...add, le: '500' })).toBe(1);
    expect(sampleValue(scraped, 'jetbridge_jet_request_routes_bucket', { ...add, le: '1000' })).toBe(2);
    expect(sampleValue(scraped, 'jetbridge_jet_request_routes_sum', add)).toBe(1003);
    expect(sampleValue(scraped, 'jetbridge_jet_request_routes_count', { device: 'r1', op: 'remove' })).toBe(1);
  });

  it('shows the latest queue depth', async () => {
    const metrics = new BridgeMetrics();
    metrics.queueDepth('r1', 120);
    metrics.queueDepth('r1', 7);
    expect(sampleValue(await scrape(metrics), 'jetbridge_queue_depth', { device: 'r1' })).toBe(7);
  });

  it('marks the current device state 1 and every other state 0', async () => {
    const metrics = new BridgeMetrics();
    metrics.deviceState('r1', 'connecting');
    metrics.deviceState('r1', 'rebound');

    const scraped = await scrape(metrics);
    const states = Object.fromEntries(
      scraped.samples
        .filter((s) => s.name === 'jetbridge_device_state' && s.labels.device === 'r1')
        .map((s) => [s.labels.state, s.value]),
    );
    expect(states).toEqual({ connecting: 0, ready: 0, rebound: 1, down: 0 });
  });

  it('counts relayed and dropped events by kind', async () => {
    const metrics = new BridgeMetrics();
    metrics.eventRelayed('r1', 'monitor');
    metrics.eventRelayed('r1', 'monitor');
    metrics.eventRelayed('r1', 'notify');
    metrics.eventDropped('r1', 'monitor', 3);
    metrics.eventDropped('r1', 'monitor', 4);

    const scraped = await scrape(metrics);
    expect(sampleValue(scraped, 'jetbridge_events_relayed_total', { device: 'r1', kind: 'monitor' })).toBe(2);
    expect(sampleValue(scraped, 'jetbridge_events_relayed_total', { device: 'r1', kind: 'notify' })).toBe(1);
    expect(sampleValue(scraped, 'jetbridge_events_dropped_total', { device: 'r1', kind: 'monitor' })).toBe(7);
  });

  it('shows the broker link as 0 until connected, then 1, then 0 again', async () => {
    const metrics = new BridgeMetrics();
    expect(sampleValue(await scrape(metrics), 'jetbridge_mqtt_connected')).toBe(0);
    metrics.mqttConnected(true);
    expect(sampleValue(await scrape(metrics), 'jetbridge_mqtt_connected')).toBe(1);
    metrics.mqttConnected(false);
    expect(sampleValue(await scrape(metrics), 'jetbridge_mqtt_connected')).toBe(0);
  });

  it('keeps instances apart: each has its own registry', async () => {
    const a = new BridgeMetrics();
    const b = new BridgeMetrics();
    a.intentReceived('r1');
    expect(sampleValue(await scrape(b), 'jetbridge_intents_received_total', { device: 'r1' })).toBeUndefined();
  });

  it("serves as the pipeline's metrics hooks", async () => {
    const metrics = new BridgeMetrics();
    const hooks: PipelineMetrics = metrics;
    hooks.intentReceived('r1');
    hooks.jetRequest('r1', 'update', 10, 5);
    hooks.result('r1', 'SUCCESS');
    hooks.queueDepth('r1', 3);

    const scraped = await scrape(metrics);
    expect(sampleValue(scraped, 'jetbridge_intents_received_total', { device: 'r1' })).toBe(1);
    expect(sampleValue(scraped, 'jetbridge_jet_request_routes_sum', { device: 'r1', op: 'update' })).toBe(10);
    expect(sampleValue(scraped, 'jetbridge_queue_depth', { device: 'r1' })).toBe(3);
  });

  it('renders in the Prometheus text format content type', () => {
    expect(new BridgeMetrics().contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
