import fs from 'node:fs';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BiospecError, FederatedCountResponse, NodeInfo, REQUEST_ID_HEADER, httpStatusOf, requestIdFrom } from '@biospec/protocol';
import type { OpenCoordinator } from './open-coordinator.js';
import type { RunningServer } from './grpc-server.js';

const CountBodySchema = z
  .object({
    query: z.unknown(),
    purpose: z.string(),
    project: z.string(),
    deadlineMs: z.number().int().min(0).max(120000).optional(),
  })
  .strict();

/**
 * HTTPS options from the coordinator's `tls` block, the one its gRPC server uses: the same
 * certificate, and with `requireClientCert` only clients with a certificate signed by `ca`.
 */
function httpsOptions(tls: NonNullable<OpenCoordinator['config']['tls']>) {
  return {
    cert: fs.readFileSync(tls.cert),
    key: fs.readFileSync(tls.key),
    ...(tls.ca === undefined ? {} : { ca: fs.readFileSync(tls.ca) }),
    requestCert: tls.requireClientCert,
    rejectUnauthorized: tls.requireClientCert,
  };
}

/**
 * REST/JSON beside gRPC, for scripts and the web UI, over HTTPS when the config has `tls`.
 * Errors are `{ error: { code, message, issues } }`.
 */
export async function startCoordinatorHttp(coordinator: OpenCoordinator): Promise<RunningServer & { url: string }> {
  const { tls } = coordinator.config;
  // `https: null` serves plain HTTP (fastify creates an HTTPS server only for an options object).
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    https: tls ? httpsOptions(tls) : null,
    // One id per call: the caller's x-request-id when well formed, else a new one; carried in every signed query.
    genReqId: (request) => requestIdFrom(request.headers[REQUEST_ID_HEADER]),
  });

  app.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });
  // The access log: one line per request, after its answer went out.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    coordinator.metrics.httpRequest(route, request.method, reply.statusCode, seconds);
    coordinator.logger.info(
      { requestId: request.id, method: request.method, url: request.url, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, remote: request.ip },
      'http request',
    );
  });

  app.setErrorHandler((reason: unknown, _request: FastifyRequest, reply: FastifyReply) => {
    const fastifyError = reason as { statusCode?: number; code?: string; message?: string };
    const err =
      reason instanceof BiospecError
        ? reason
        : fastifyError.statusCode === 413
          ? new BiospecError('TOO_LARGE', 'request body too large')
          : fastifyError.statusCode && fastifyError.statusCode < 500
            ? new BiospecError('INVALID_ARGUMENT', fastifyError.message ?? 'bad request')
            : BiospecError.from(reason);
    if (err.code === 'INTERNAL') coordinator.logger.error({ err: reason, requestId: _request.id }, 'internal error');
    // Rate limits, budgets, busy: when to ask again, in whole seconds (RFC 9110 10.2.3).
    if (err.retryAfterMs !== undefined) void reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
    void reply.status(httpStatusOf(err.code)).send({ error: { code: err.code, message: err.message, issues: err.issues } });
  });

  const authenticate = (request: FastifyRequest) => coordinator.authenticate(request.headers.authorization);

  app.post('/api/v1/count', async (request) => {
    const response = await coordinator.ask(request.headers.authorization, () => {
      const body = CountBodySchema.safeParse(request.body);
      if (!body.success) {
        throw new BiospecError('INVALID_ARGUMENT', 'request body is invalid', {
          issues: body.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
        });
      }
      const { deadlineMs, ...rest } = body.data;
      return { ...rest, ...(deadlineMs === undefined ? {} : { deadlineMs }), requestId: request.id };
    });
    return FederatedCountResponse.toJSON(response);
  });

  app.get('/api/v1/nodes', async (request) => {
    await authenticate(request);
    return { nodes: (await coordinator.listNodes()).map((n) => NodeInfo.toJSON(n)) };
  });

  app.get('/api/v1/jwks', async () => coordinator.nodeJwks());
  app.get('/.well-known/jwks.json', async () => coordinator.jwks());
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = coordinator.readiness.report();
    void reply.status(report.ready ? 200 : 503);
    return { status: report.ready ? 'ready' : 'not ready', ...report };
  });
  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', coordinator.metrics.registry.contentType);
    return coordinator.metrics.registry.metrics();
  });

  const { config } = coordinator;
  const separator = config.httpListen.lastIndexOf(':');
  const host = config.httpListen.slice(0, separator);
  await app.listen({ host, port: Number(config.httpListen.slice(separator + 1)) });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    address: `${host}:${port}`,
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    stop: async () => void (await app.close()),
  };
}
