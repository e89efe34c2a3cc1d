import fs from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BiospecError, FederatedAvailabilityResponse, FederatedCountResponse, NodeInfo, httpStatusOf } from '@biospec/protocol';
import { MEMBERSHIP_ACTIONS, REQUEST_ACTIONS, SITE_ACTIONS, type MembershipAction, type RequestAction, type SiteAction } from '@biospec/access';
import type { OpenCoordinator } from './open-coordinator.js';
import { MAX_GRPC_REQUEST_BYTES, type RunningServer } from './grpc-server.js';
import { networkHealth } from './network-health.js';
import { registerWebUi } from './web-ui.js';

const CountBodySchema = z
  .object({
    query: z.unknown(),
    purpose: z.string(),
    project: z.string(),
    deadlineMs: z.number().int().min(0).max(120000).optional(),
  })
  .strict();

/** Parses a request body with `schema`, or refuses it naming every field. */
function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    throw new BiospecError('INVALID_ARGUMENT', 'request body is invalid', {
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
    });
  }
  return parsed.data;
}

const ReasonBodySchema = z.object({ reason: z.string().max(2000).optional() }).strict();
const CommentBodySchema = z.object({ body: z.string(), nodeId: z.string().optional() }).strict();
const RevokeBodySchema = z.object({ reason: z.string() }).strict();
const GrantedBodySchema = z.object({ deadlineMs: z.number().int().min(0).max(120000).optional() }).strict();
const ApplicationBodySchema = z.object({ application: z.string().min(1).max(32_768) }).strict();
/** A request's fields; the workflow checks each (CreateRequestSchema in @biospec/access). */
const RequestBodySchema = z.record(z.string(), z.unknown());
const ListQuerySchema = z.object({ state: z.string().optional(), nodeId: z.string().optional() }).strict();

function actionOf<T extends string>(value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new BiospecError('NOT_FOUND', `no action '${value}'; actions are ${allowed.join(', ')}`, { issues: [{ field: 'action', message: `unknown action '${value}'` }] });
}

/**
 * The access workflow's REST routes (docs/ACCESS.md lists each with the role it needs; the
 * role is checked once, in the workflow). Responses are the workflow's JSON.
 */
function registerAccessRoutes(
  app: FastifyInstance,
  coordinator: OpenCoordinator,
  authenticate: (request: FastifyRequest) => ReturnType<OpenCoordinator['authenticate']>,
): void {
  const { access, memberships } = coordinator;
  const caller = async (request: FastifyRequest) => coordinator.accessCaller(await authenticate(request));
  type Params = { id: string; nodeId: string; action: string; grantId: string };
  const large = { bodyLimit: MAX_GRPC_REQUEST_BYTES };

  app.get('/api/v1/me', async (request) => {
    const who = await authenticate(request);
    return { personId: who.person.id, name: who.person.name, email: who.person.email, roles: who.roles, pseudonym: who.pseudonym };
  });

  app.get('/api/v1/access/requests', async (request) => {
    const filter = parseBody(ListQuerySchema, request.query);
    return { requests: access.list(await caller(request), filter) };
  });
  app.post('/api/v1/access/requests', large, async (request, reply) => {
    const view = await access.create(await caller(request), parseBody(RequestBodySchema, request.body) as never);
    void reply.status(201);
    return view;
  });
  app.get<{ Params: Params }>('/api/v1/access/requests/:id', async (request) => access.get(await caller(request), request.params.id));
  app.patch<{ Params: Params }>('/api/v1/access/requests/:id', large, async (request) =>
    access.update(await caller(request), request.params.id, parseBody(RequestBodySchema, request.body) as never),
  );
  app.post<{ Params: Params }>('/api/v1/access/requests/:id/actions/:action', async (request) =>
    access.act(await caller(request), request.params.id, actionOf<RequestAction>(request.params.action, REQUEST_ACTIONS), parseBody(ReasonBodySchema, request.body)),
  );
  app.post<{ Params: Params }>('/api/v1/access/requests/:id/sites/:nodeId/actions/:action', async (request) =>
    access.decideSite(
      await caller(request),
      request.params.id,
      request.params.nodeId,
      actionOf<SiteAction>(request.params.action, SITE_ACTIONS),
      parseBody(ReasonBodySchema, request.body),
    ),
  );
  app.post<{ Params: Params }>('/api/v1/access/requests/:id/comments', async (request) =>
    access.comment(await caller(request), request.params.id, parseBody(CommentBodySchema, request.body)),
  );
  app.post<{ Params: Params }>('/api/v1/access/requests/:id/sites/:nodeId/granted-availability', async (request) => {
    const { deadlineMs } = parseBody(GrantedBodySchema, request.body);
    return coordinator.fetchGranted(await authenticate(request), request.params.id, request.params.nodeId, deadlineMs);
  });
  app.post<{ Params: Params }>('/api/v1/access/grants/:grantId/revoke', async (request) =>
    access.revokeGrant(await caller(request), request.params.grantId, parseBody(RevokeBodySchema, request.body)),
  );

  app.post('/api/v1/membership/applications', async (request, reply) => {
    const view = await memberships.apply(await caller(request), parseBody(ApplicationBodySchema, request.body).application);
    void reply.status(201);
    return view;
  });
  app.get('/api/v1/membership', async (request) => ({ memberships: memberships.list(await caller(request)) }));
  app.get<{ Params: Params }>('/api/v1/membership/:nodeId', async (request) => memberships.get(await caller(request), request.params.nodeId));
  app.post<{ Params: Params }>('/api/v1/membership/:nodeId/actions/:action', async (request) =>
    memberships.decide(await caller(request), request.params.nodeId, actionOf<MembershipAction>(request.params.action, MEMBERSHIP_ACTIONS), parseBody(ReasonBodySchema, request.body)),
  );
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

/**
 * REST/JSON beside gRPC, for scripts and the web UI, over HTTPS when the config has `tls`.
 * Errors are `{ error: { code, message, issues } }`.
 */
export async function startCoordinatorHttp(coordinator: OpenCoordinator): Promise<RunningServer & { url: string }> {
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

  const authenticate = (request: FastifyRequest) => coordinator.authenticate(request.headers.authorization);

  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}`, issues: [] } });
  });

  app.post('/api/v1/count', async (request) => {
    const caller = await authenticate(request);
    const { deadlineMs, ...rest } = parseBody(CountBodySchema, request.body);
    const response = await coordinator.federatedCount(caller, deadlineMs === undefined ? rest : { ...rest, deadlineMs });
    return FederatedCountResponse.toJSON(response);
  });

  app.post('/api/v1/availability', async (request) => {
    const caller = await authenticate(request);
    const { deadlineMs, ...rest } = parseBody(CountBodySchema, request.body);
    const response = await coordinator.federatedAvailability(caller, deadlineMs === undefined ? rest : { ...rest, deadlineMs });
    return FederatedAvailabilityResponse.toJSON(response);
  });

  const webRoot = await registerWebUi(app, coordinator.config);
  if (webRoot === null) coordinator.logger.warn('web UI not built (npm run build): not serving it under /');
  app.get('/api/v1/nodes', async (request) => {
    const caller = await authenticate(request);
    return { nodes: (await coordinator.listNodes(caller)).map((n) => NodeInfo.toJSON(n)) };
  });

  registerAccessRoutes(app, coordinator, authenticate);
  app.get('/api/v1/network', async (request) => networkHealth(coordinator, await authenticate(request)));

  app.get('/api/v1/jwks', async () => coordinator.nodeJwks());
  app.get('/.well-known/jwks.json', async () => coordinator.jwks());
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', coordinator.metrics.contentType);
    return coordinator.metrics.metrics();
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
