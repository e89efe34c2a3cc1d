import http from 'node:http';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness.js';

export interface HealthServerOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  readiness: Readiness;
  metrics: Registry;
  /** Called once per request served, for an access log. */
  onRequest?: (entry: { method: string; path: string; status: number; ms: number }) => void;
}

export interface RunningHealthServer {
  port: number;
  address: string;
  url: string;
  stop(): Promise<void>;
}

/**
 * The plain-HTTP listener a platform's probes and Prometheus use: `GET /healthz` (the
 * process is alive: always 200), `GET /readyz` (200 when ready, 503 with each check's
 * problem otherwise) and `GET /metrics` (Prometheus text format). It serves nothing
 * else, holds no secret and answers no question; bind it to an address only the
 * platform reaches.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<RunningHealthServer> {
  const server = http.createServer((request, response) => {
    const started = process.hrtime.bigint();
    const url = (request.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
      options.onRequest?.({ method: request.method ?? '', path: url, status, ms: Number(process.hrtime.bigint() - started) / 1e6 });
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'application/json', JSON.stringify({ error: 'method not allowed' }));
    if (url === '/healthz') return send(200, 'application/json', JSON.stringify({ status: 'ok' }));
    if (url === '/readyz') {
      const report = options.readiness.report();
      return send(report.ready ? 200 : 503, 'application/json', JSON.stringify({ status: report.ready ? 'ready' : 'not ready', ...report }));
    }
    if (url === '/metrics') {
      options.metrics.metrics().then(
        (text) => send(200, options.metrics.contentType, text),
        (reason: unknown) => send(500, 'text/plain', `cannot collect metrics: ${(reason as Error).message}`),
      );
      return;
    }
    return send(404, 'application/json', JSON.stringify({ error: 'not found' }));
  });
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 10_000;
  const separator = options.listen.lastIndexOf(':');
  const host = options.listen.slice(0, separator);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(options.listen.slice(separator + 1)), host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    address: `${host}:${port}`,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
