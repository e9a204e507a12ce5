import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { BridgeMetrics } from '../../src/http/metrics.js';
import { assessReadiness } from '../../src/http/readiness.js';
import { startHttpServer, type HttpServer, type Readiness } from '../../src/http/server.js';
import type { DeviceStatus } from '../../src/jet/device.js';
import { parseExposition, sampleValue } from './prom-text.js';

const logger = pino({ level: 'silent' });
const servers: HttpServer[] = [];

async function start(metrics: BridgeMetrics, readiness: () => Readiness): Promise<string> {
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, metrics, readiness, logger });
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

function get(url: string, init?: RequestInit): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('startHttpServer', () => {
  it('serves /metrics in the Prometheus text format with the values the bridge reported', async () => {
    const metrics = new BridgeMetrics();
    const base = await start(metrics, () => ({ ready: true, detail: {} }));
    metrics.intentReceived('r1');
    metrics.intentReceived('r1');
    metrics.result('r1', 'SUCCESS');
    metrics.jetRequest('r1', 'add', 2, 3);
    metrics.deviceState('r1', 'ready');
    metrics.mqttConnected(true);

    const res = await get(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const scraped = parseExposition(await res.text());
    expect(sampleValue(scraped, 'jetbridge_intents_received_total', { device: 'r1' })).toBe(2);
    expect(sampleValue(scraped, 'jetbridge_results_total', { device: 'r1', status: 'SUCCESS' })).toBe(1);
    expect(sampleValue(scraped, 'jetbridge_jet_request_routes_count', { device: 'r1', op: 'add' })).toBe(1);
    expect(sampleValue(scraped, 'jetbridge_device_state', { device: 'r1', state: 'ready' })).toBe(1);
    expect(sampleValue(scraped, 'jetbridge_mqtt_connected')).toBe(1);
  });

  it('answers /healthz with 200 {"status":"ok"} even when not ready', async () => {
    const base = await start(new BridgeMetrics(), () => ({ ready: false, detail: {} }));
    const res = await get(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('turns /readyz from 503 with the per-device detail to 200 once broker and devices are up', async () => {
    let mqttConnected = false;
    const statuses = new Map<string, DeviceStatus>([['r1', { state: 'connecting', since: new Date(0) }]]);
    const base = await start(new BridgeMetrics(), () => assessReadiness(mqttConnected, statuses));

    const notReady = await get(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      status: 'not ready',
      mqtt: { connected: false },
      devices: { r1: { state: 'connecting', since: '1970-01-01T00:00:00.000Z' } },
    });

    mqttConnected = true;
    expect((await get(`${base}/readyz`)).status).toBe(503);

    statuses.set('r1', { state: 'rebound', since: new Date(0) });
    const ready = await get(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', devices: { r1: { state: 'rebound' } } });
  });

  it('ignores a query string on a known path', async () => {
    const base = await start(new BridgeMetrics(), () => ({ ready: true, detail: {} }));
    expect((await get(`${base}/healthz?probe=k8s`)).status).toBe(200);
  });

  it('answers 404 for any other path', async () => {
    const base = await start(new BridgeMetrics(), () => ({ ready: true, detail: {} }));
    const res = await get(`${base}/metrics/extra`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'no such endpoint: /metrics/extra' });
  });

  it('refuses methods other than GET and HEAD with 405', async () => {
    const base = await start(new BridgeMetrics(), () => ({ ready: true, detail: {} }));
    const res = await get(`${base}/healthz`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect((await get(`${base}/healthz`, { method: 'HEAD' })).status).toBe(200);
  });

  it('answers 500 and keeps serving when the readiness check throws', async () => {
    const base = await start(new BridgeMetrics(), () => {
      throw new Error('device table unavailable');
    });
    expect((await get(`${base}/readyz`)).status).toBe(500);
    expect((await get(`${base}/healthz`)).status).toBe(200);
  });

  it('frees the port on close, even with a kept-alive connection open', async () => {
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics: new BridgeMetrics(),
      readiness: () => ({ ready: true, detail: {} }),
      logger,
    });
    const base = `http://127.0.0.1:${server.port}`;
    await (await get(`${base}/healthz`, { keepalive: true })).text();
    await server.close();
    await expect(get(`${base}/healthz`)).rejects.toThrow();
  });

  it('rejects when the port is taken', async () => {
    const first = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics: new BridgeMetrics(),
      readiness: () => ({ ready: true, detail: {} }),
      logger,
    });
    servers.push(first);
    await expect(
      startHttpServer({
        host: '127.0.0.1',
        port: first.port,
        metrics: new BridgeMetrics(),
        readiness: () => ({ ready: true, detail: {} }),
        logger,
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
