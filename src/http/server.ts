/**
 * The bridge's HTTP port for operators: `/metrics` for Prometheus, `/healthz`
 * for liveness (the process answers) and `/readyz` for readiness (broker
 * connected, every device serving). Plain node:http: three read-only endpoints
 * need no framework.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { BridgeMetrics } from './metrics.js';

export interface Readiness {
  ready: boolean;
  /** Sent as the JSON body of `/readyz`, so an operator sees what is not ready. */
  detail: object;
}

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port; the bound one is in the returned `port`. */
  port: number;
  metrics: BridgeMetrics;
  readiness: () => Readiness;
  logger: Logger;
}

export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

type Handler = (res: ServerResponse) => Promise<void> | void;

function sendJson(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function routes(options: HttpServerOptions): ReadonlyMap<string, Handler> {
  return new Map<string, Handler>([
    [
      '/metrics',
      async (res) => {
        const text = await options.metrics.render();
        res.writeHead(200, { 'Content-Type': options.metrics.contentType, 'Cache-Control': 'no-store' });
        res.end(text);
      },
    ],
    ['/healthz', (res) => sendJson(res, 200, { status: 'ok' })],
    [
      '/readyz',
      (res) => {
        const { ready, detail } = options.readiness();
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...detail });
      },
    ],
  ]);
}

/** Starts listening and resolves once the port is bound. */
export function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { logger } = options;
  const handlers = routes(options);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // The query string is irrelevant to these endpoints (probes sometimes add one).
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const handler = handlers.get(path);
    if (handler === undefined) {
      sendJson(res, 404, { error: `no such endpoint: ${path}`, endpoints: [...handlers.keys()] });
      return;
    }
    // node:http sends no body for HEAD, so HEAD is served by the GET handler.
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, { error: `${req.method ?? 'this method'} not allowed on ${path}; use GET` });
      return;
    }
    Promise.resolve()
      .then(() => handler(res))
      .catch((err: unknown) => {
        logger.error({ err, path }, 'HTTP endpoint failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      server.on('error', (err) => logger.error({ err }, 'HTTP server error'));
      const { port } = server.address() as AddressInfo;
      logger.info({ host: options.host, port }, 'HTTP endpoints listening (/metrics, /healthz, /readyz)');
      resolve({
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // Scrapers keep connections alive; do not wait for them to time out.
            server.closeAllConnections();
          }),
      });
    });
  });
}
