import fs from 'node:fs';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BiospecError, FederatedAvailabilityResponse, FederatedCountResponse, NodeInfo, REQUEST_ID_HEADER, httpStatusOf, requestIdFrom } from '@biospec/protocol';
import { MEMBERSHIP_ACTIONS, REQUEST_ACTIONS, SITE_ACTIONS, type MembershipAction, type RequestAction, type SiteAction } from '@biospec/access';
import type { OpenCoordinator } from './open-coordinator.js';
import { createRestApi, type RestApi } from './rest-api.js';
import { CountBodySchema, FederatedCountResponseJson, HealthJson, JwksJson, NodeJwksJson, NodesResponseJson, QueryDocument, ReadinessJson, SignInProvidersJson } from './rest-schemas.js';
import {
  AccessRequestListJson,
  AccessRequestViewJson,
  ApplicationBodySchema,
  CommentBodySchema,
  DeclineHoldBodySchema,
  FederatedAvailabilityResponseJson,
  GrantViewResponseJson,
  GrantedBodySchema,
  GrantedDeliveryJson,
  HeldQuestionResponseJson,
  HoldsQuerySchema,
  ListQuerySchema,
  MeJson,
  MembershipListJson,
  MembershipViewJson,
  NetworkHealthJson,
  ReasonBodySchema,
  ReleaseHoldBodySchema,
  RequestBodySchema,
  RevokeBodySchema,
  SiteHoldsJson,
} from './rest-access-schemas.js';
import { MAX_GRPC_REQUEST_BYTES, type RunningServer } from './grpc-server.js';
import { networkHealth } from './network-health.js';
import { registerWebUi, signInProviders } from './web-ui.js';

type Authenticate = (request: FastifyRequest) => ReturnType<OpenCoordinator['authenticate']>;

function actionOf<T extends string>(value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new BiospecError('NOT_FOUND', `no action '${value}'; actions are ${allowed.join(', ')}`, { issues: [{ field: 'action', message: `unknown action '${value}'` }] });
}

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
function registerRoutes(api: RestApi, coordinator: OpenCoordinator, authenticate: Authenticate): void {
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
      const { deadlineMs, ...rest } = body;
      // The request id (x-request-id) is carried in every signed query and audit entry.
      const response = await coordinator.ask(request.headers.authorization, () => ({ ...rest, ...(deadlineMs === undefined ? {} : { deadlineMs }), requestId: request.id }));
      return FederatedCountResponse.toJSON(response);
    },
  );
  api.route(
    'post',
    '/api/v1/availability',
    {
      summary: 'Ask every member node which of its collections hold matching available specimens',
      description: "Protected counts per collection and material type, with each node's published collection descriptions; under the same signatures, policy, noise and budget as counts (docs/ACCESS.md).",
      body: CountBodySchema,
      bodyFields: { query: QueryDocument },
      response: FederatedAvailabilityResponseJson,
      errors: ['INVALID_QUERY', 'RATE_LIMITED', 'PERMISSION_DENIED'],
    },
    async ({ request, body }) => {
      const caller = await authenticate(request);
      const { deadlineMs, ...rest } = body;
      const response = await coordinator.federatedAvailability(caller, { ...rest, ...(deadlineMs === undefined ? {} : { deadlineMs }), requestId: request.id });
      return FederatedAvailabilityResponse.toJSON(response);
    },
  );
  api.route(
    'get',
    '/api/v1/nodes',
    { summary: "The member nodes (status, noisy catalogue size, data epoch, policy) and the coordinator's own rate limits", response: NodesResponseJson },
    async ({ request }) => {
      const caller = await authenticate(request);
      return {
        nodes: (await coordinator.listNodes(caller)).map((n) => NodeInfo.toJSON(n)),
        coordinator: { coordinatorId: coordinator.config.coordinatorId, rateLimits: coordinator.config.rateLimits },
      };
    },
  );
  api.route(
    'get',
    '/api/v1/network',
    {
      summary: "Each node's health, for coordinator staff: membership, status, last seen, calls, error rate, latency p50/p95, software version, data epoch and what the directory last heard",
      response: NetworkHealthJson,
      errors: ['PERMISSION_DENIED'],
    },
    async ({ request }) => networkHealth(coordinator, await authenticate(request)),
  );
  api.route(
    'get',
    '/api/v1/sign-in',
    { summary: 'The OpenID Connect providers the web UI offers for signing in (authorization code with PKCE)', auth: false, response: SignInProvidersJson },
    async () => ({ providers: signInProviders(coordinator.config) }),
  );
  api.route('get', '/api/v1/jwks', { summary: "Every member node's public keys, to verify saved answers offline", auth: false, response: NodeJwksJson }, async () => coordinator.nodeJwks());
  api.route('get', '/.well-known/jwks.json', { summary: "The coordinator's public keys (current and retired), for nodes to pin", auth: false, response: JwksJson }, async () => coordinator.jwks());
  api.route('get', '/healthz', { summary: 'Liveness: the process answers', auth: false, response: HealthJson }, async () => ({ status: 'ok' }));
  api.route(
    'get',
    '/readyz',
    {
      summary: 'Readiness: whether the coordinator can serve now (its databases take writes)',
      description: 'Status 200 when ready, 503 with the same body when not; gRPC health says SERVING exactly when this says ready (docs/OPERATIONS.md).',
      auth: false,
      response: ReadinessJson,
    },
    async ({ reply }) => {
      const report = coordinator.readiness.report();
      void reply.status(report.ready ? 200 : 503);
      return { status: report.ready ? 'ready' : 'not ready', ...report };
    },
  );
  api.route(
    'get',
    '/metrics',
    { summary: 'Prometheus metrics', auth: false, response: { text: 'text/plain', description: 'Prometheus text exposition format' } },
    async ({ reply }) => {
      void reply.header('content-type', coordinator.metrics.registry.contentType);
      return coordinator.metrics.registry.metrics();
    },
  );
}

/**
 * The access workflow's REST routes (docs/ACCESS.md lists each with the role it needs; the
 * role is checked once, in the workflow). Responses are the workflow's JSON.
 */
function registerAccessRoutes(api: RestApi, coordinator: OpenCoordinator, authenticate: Authenticate): void {
  const { access, memberships } = coordinator;
  const caller = async (request: FastifyRequest) => coordinator.accessCaller(await authenticate(request));
  // Requests carry the result bundle they came from.
  const bodyLimit = MAX_GRPC_REQUEST_BYTES;
  const id = { id: 'The request id' };
  const site = { ...id, nodeId: 'The site (node id)' };
  const roleErrors = ['PERMISSION_DENIED', 'NOT_FOUND'] as const;
  const moveErrors = [...roleErrors, 'FAILED_PRECONDITION'] as const;

  api.route('get', '/api/v1/me', { summary: 'Who the token belongs to: person, roles and the pseudonym nodes see', response: MeJson, errors: ['PERMISSION_DENIED'] }, async ({ request }) => {
    const who = await authenticate(request);
    return { personId: who.person.id, name: who.person.name, email: who.person.email, roles: who.roles, pseudonym: who.pseudonym };
  });
  api.route(
    'get',
    '/api/v1/access/requests',
    { summary: 'The access requests the caller may see (own requests; all for staff; their sites for stewards)', query: ListQuerySchema, response: AccessRequestListJson, errors: ['PERMISSION_DENIED'] },
    async ({ request, query }) => ({ requests: await access.list(await caller(request), query) }),
  );
  api.route(
    'post',
    '/api/v1/access/requests',
    { summary: 'Create a draft access request', body: RequestBodySchema, response: AccessRequestViewJson, status: 201, bodyLimit, errors: ['PERMISSION_DENIED'] },
    async ({ request, body }) => access.create(await caller(request), body as never),
  );
  api.route('get', '/api/v1/access/requests/:id', { summary: 'One access request with its timeline, comments, grants and deliveries', params: id, response: AccessRequestViewJson, errors: [...roleErrors] }, async ({ request, params }) =>
    access.get(await caller(request), params['id']!),
  );
  api.route(
    'patch',
    '/api/v1/access/requests/:id',
    { summary: 'Edit a draft or returned request', params: id, body: RequestBodySchema, response: AccessRequestViewJson, bodyLimit, errors: [...moveErrors] },
    async ({ request, params, body }) => access.update(await caller(request), params['id']!, body as never),
  );
  api.route(
    'post',
    '/api/v1/access/requests/:id/actions/:action',
    {
      summary: `Move a request: ${REQUEST_ACTIONS.join(', ')}`,
      params: { ...id, action: REQUEST_ACTIONS.join(' | ') },
      body: ReasonBodySchema,
      response: AccessRequestViewJson,
      errors: [...moveErrors],
    },
    async ({ request, params, body }) => access.act(await caller(request), params['id']!, actionOf<RequestAction>(params['action']!, REQUEST_ACTIONS), body),
  );
  api.route(
    'post',
    '/api/v1/access/requests/:id/sites/:nodeId/actions/:action',
    {
      summary: `A site's answer, by its steward: ${SITE_ACTIONS.join(', ')}`,
      params: { ...site, action: SITE_ACTIONS.join(' | ') },
      body: ReasonBodySchema,
      response: AccessRequestViewJson,
      errors: [...moveErrors],
    },
    async ({ request, params, body }) =>
      access.decideSite(await caller(request), params['id']!, params['nodeId']!, actionOf<SiteAction>(params['action']!, SITE_ACTIONS), body),
  );
  api.route(
    'post',
    '/api/v1/access/requests/:id/comments',
    { summary: 'Comment on a request (or on one site of it)', params: id, body: CommentBodySchema, response: AccessRequestViewJson, errors: [...moveErrors] },
    async ({ request, params, body }) => access.comment(await caller(request), params['id']!, body),
  );
  api.route(
    'post',
    '/api/v1/access/requests/:id/sites/:nodeId/granted-availability',
    {
      summary: "The granted detail of one approving site, encrypted by the node to the researcher's key",
      params: site,
      body: GrantedBodySchema,
      response: GrantedDeliveryJson,
      errors: [...moveErrors, 'UNAVAILABLE', 'DEADLINE_EXCEEDED'],
    },
    async ({ request, params, body }) => coordinator.fetchGranted(await authenticate(request), params['id']!, params['nodeId']!, body.deadlineMs),
  );
  api.route(
    'post',
    '/api/v1/access/grants/:grantId/revoke',
    { summary: 'Revoke a grant (staff); every node learns it with the next revocation list', params: { grantId: 'The grant id' }, body: RevokeBodySchema, response: GrantViewResponseJson, errors: [...moveErrors] },
    async ({ request, params, body }) => access.revokeGrant(await caller(request), params['grantId']!, body),
  );

  // A site's held questions live at the node: each call is relayed to it, and it may refuse (its config, its checks).
  const holdSite = { nodeId: 'The site (node id)' };
  const holdErrors = [...moveErrors, 'UNAUTHENTICATED', 'UNAVAILABLE', 'DEADLINE_EXCEEDED'] as const;
  api.route(
    'get',
    '/api/v1/sites/:nodeId/holds',
    {
      summary: "The site's held questions, for its steward: the questions and their decisions, never the held figures",
      description: 'Asked of the node itself, which answers only when its config allows decisions from the coordinator (`holds.decisionsFromCoordinator`; FAILED_PRECONDITION otherwise).',
      params: holdSite,
      query: HoldsQuerySchema,
      response: SiteHoldsJson,
      errors: [...holdErrors],
    },
    async ({ request, params, query }) => coordinator.siteHolds(await authenticate(request), params['nodeId']!, query.status),
  );
  api.route(
    'post',
    '/api/v1/sites/:nodeId/holds/:holdId/release',
    {
      summary: 'Release a held question (its steward): the researcher gets the figures by asking it again',
      params: { ...holdSite, holdId: 'The held question id' },
      body: ReleaseHoldBodySchema,
      response: HeldQuestionResponseJson,
      errors: [...holdErrors],
    },
    async ({ request, params, body }) => ({
      hold: await coordinator.decideSiteHold(await authenticate(request), params['nodeId']!, params['holdId']!, {
        action: 'release',
        ...(body.reason === undefined ? {} : { reason: body.reason }),
      }),
    }),
  );
  api.route(
    'post',
    '/api/v1/sites/:nodeId/holds/:holdId/decline',
    {
      summary: 'Decline a held question (its steward), with the reason the researcher is told',
      params: { ...holdSite, holdId: 'The held question id' },
      body: DeclineHoldBodySchema,
      response: HeldQuestionResponseJson,
      errors: [...holdErrors],
    },
    async ({ request, params, body }) => ({
      hold: await coordinator.decideSiteHold(await authenticate(request), params['nodeId']!, params['holdId']!, { action: 'decline', reason: body.reason }),
    }),
  );

  api.route(
    'post',
    '/api/v1/membership/applications',
    { summary: "A node's signed application to join (from `biospec node join`)", body: ApplicationBodySchema, response: MembershipViewJson, status: 201, errors: ['PERMISSION_DENIED', 'FAILED_PRECONDITION'] },
    async ({ request, body }) => memberships.apply(await caller(request), body.application),
  );
  api.route('get', '/api/v1/membership', { summary: 'Every membership and its state', response: MembershipListJson, errors: ['PERMISSION_DENIED'] }, async ({ request }) => ({
    memberships: await memberships.list(await caller(request)),
  }));
  api.route('get', '/api/v1/membership/:nodeId', { summary: "One node's membership and its history", params: { nodeId: 'The node id' }, response: MembershipViewJson, errors: [...roleErrors] }, async ({ request, params }) =>
    memberships.get(await caller(request), params['nodeId']!),
  );
  api.route(
    'post',
    '/api/v1/membership/:nodeId/actions/:action',
    {
      summary: `Decide on a node's membership (staff): ${MEMBERSHIP_ACTIONS.join(', ')}`,
      params: { nodeId: 'The node id', action: MEMBERSHIP_ACTIONS.join(' | ') },
      body: ReasonBodySchema,
      response: MembershipViewJson,
      errors: [...moveErrors],
    },
    async ({ request, params, body }) => memberships.decide(await caller(request), params['nodeId']!, actionOf<MembershipAction>(params['action']!, MEMBERSHIP_ACTIONS), body),
  );
}

/**
 * REST/JSON beside gRPC, for scripts and the web UI, over HTTPS when the config has `tls`.
 * Errors are `{ error: { code, message, issues } }`; the routes and their shapes are in the OpenAPI document.
 */
export async function startCoordinatorHttp(coordinator: OpenCoordinator): Promise<RunningServer & { url: string; servedRoutes(): { method: string; path: string }[] }> {
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

  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}`, issues: [] } });
  });

  // Every route fastify serves, however it was added, so a test can check the OpenAPI document lists them all.
  const served: { method: string; path: string }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') served.push({ method: method.toLowerCase(), path: route.url });
  });
  const webRoot = await registerWebUi(app, coordinator.config);
  if (webRoot === null) coordinator.logger.warn('web UI not built (npm run build): not serving it under /');
  const authenticate = (request: FastifyRequest) => coordinator.authenticate(request.headers.authorization);
  const api = createRestApi(app, {
    title: 'Biospecimen federation coordinator',
    version: '1',
    description:
      'Federated feasibility counts and availability over the member biobanks, and the access workflow from request to grant, for researchers, staff, stewards and scripts (docs/QUERY.md, docs/PROTOCOL.md, docs/ACCESS.md). Every error is `{"error": {"code", "message", "issues"}}` with the HTTP status of its code.',
  });
  registerRoutes(api, coordinator, authenticate);
  registerAccessRoutes(api, coordinator, authenticate);
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
