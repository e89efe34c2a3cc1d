import fs from 'node:fs';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BiospecError, FederatedCountResponse, NodeInfo, httpStatusOf } from '@biospec/protocol';
import type { OpenCoordinator } from './open-coordinator.js';
import { createRestApi, type RestApi } from './rest-api.js';
import { CountBodySchema, FederatedCountResponseJson, HealthJson, JwksJson, NodeJwksJson, NodesResponseJson, QueryDocument } from './rest-schemas.js';
import type { RunningServer } from './grpc-server.js';

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

/** The routes of the REST API (each in the OpenAPI document, `GET /api/v1/openapi.json`). */
function registerRoutes(api: RestApi, coordinator: OpenCoordinator, authenticate: (request: FastifyRequest) => ReturnType<OpenCoordinator['authenticate']>): void {
  api.route(
    'post',
    '/api/v1/count',
    {
      summary: 'Ask every member node a feasibility question',
      description: "Signs the canonical query for each node, fans it out with a deadline, verifies every node's signed answer and merges them; each site's row says how its figure was protected.",
      body: CountBodySchema,
      bodyFields: { query: QueryDocument },
      response: FederatedCountResponseJson,
      errors: ['INVALID_QUERY', 'RATE_LIMITED', 'PERMISSION_DENIED'],
    },
    async ({ request, body }) => {
      const { person } = await authenticate(request);
      const { deadlineMs, ...rest } = body;
      const response = await coordinator.federatedCount(person, deadlineMs === undefined ? rest : { ...rest, deadlineMs });
      return FederatedCountResponse.toJSON(response);
    },
  );
  api.route(
    'get',
    '/api/v1/nodes',
    { summary: "The member nodes (status, noisy catalogue size, data epoch, policy) and the coordinator's own rate limits", response: NodesResponseJson },
    async ({ request }) => {
      await authenticate(request);
      return {
        nodes: (await coordinator.listNodes()).map((n) => NodeInfo.toJSON(n)),
        coordinator: { coordinatorId: coordinator.config.coordinatorId, rateLimits: coordinator.config.rateLimits },
      };
    },
  );
  api.route('get', '/api/v1/jwks', { summary: "Every member node's public keys, to verify saved answers offline", auth: false, response: NodeJwksJson }, async () => coordinator.nodeJwks());
  api.route('get', '/.well-known/jwks.json', { summary: "The coordinator's public keys (current and retired), for nodes to pin", auth: false, response: JwksJson }, async () => coordinator.jwks());
  api.route('get', '/healthz', { summary: 'Liveness', auth: false, response: HealthJson }, async () => ({ status: 'ok' }));
  api.route(
    'get',
    '/metrics',
    { summary: 'Prometheus metrics', auth: false, response: { text: 'text/plain', description: 'Prometheus text exposition format' } },
    async ({ reply }) => {
      void reply.header('content-type', coordinator.metrics.contentType);
      return coordinator.metrics.metrics();
    },
  );
}

/**
 * REST/JSON beside gRPC, for scripts and the web UI, over HTTPS when the config has `tls`.
 * Errors are `{ error: { code, message, issues } }`; the routes and their shapes are in the OpenAPI document.
 */
export async function startCoordinatorHttp(coordinator: OpenCoordinator): Promise<RunningServer & { url: string; servedRoutes(): { method: string; path: string }[] }> {
  const { tls } = coordinator.config;
  // `https: null` serves plain HTTP (fastify creates an HTTPS server only for an options object).
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, https: tls ? httpsOptions(tls) : null });

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
    if (err.code === 'INTERNAL') coordinator.logger.error({ err: reason }, 'internal error');
    void reply.status(httpStatusOf(err.code)).send({ error: { code: err.code, message: err.message, issues: err.issues } });
  });

  // Every route fastify serves, however it was added, so a test can check the OpenAPI document lists them all.
  const served: { method: string; path: string }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') served.push({ method: method.toLowerCase(), path: route.url });
  });
  const authenticate = (request: FastifyRequest) => coordinator.authenticate(request.headers.authorization);
  const api = createRestApi(app, {
    title: 'Biospecimen federation coordinator',
    version: '1',
    description:
      'Federated feasibility counts over the member biobanks, for researchers and scripts (docs/QUERY.md, docs/PROTOCOL.md). Every error is `{"error": {"code", "message", "issues"}}` with the HTTP status of its code.',
  });
  registerRoutes(api, coordinator, authenticate);
  api.route('get', '/api/v1/openapi.json', { summary: 'This OpenAPI 3.1 document', auth: false, response: z.record(z.string(), z.unknown()).meta({ id: 'OpenApiDocument' }) }, async () =>
    api.document(),
  );

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
    servedRoutes: () => [...served],
    stop: async () => void (await app.close()),
  };
}
