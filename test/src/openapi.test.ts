import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { pino } from 'pino';
import type { z } from 'zod';
import {
  addMember,
  COORDINATOR_FILES,
  DEFAULT_COORDINATOR_RATE_LIMITS,
  ErrorEnvelopeJson,
  FederatedCountResponseJson,
  HealthJson,
  initCoordinatorDir,
  issueResearcher,
  JwksJson,
  loadCoordinatorConfig,
  NodeJwksJson,
  NetworkHealthJson,
  NodesResponseJson,
  openCoordinator,
  SignInProvidersJson,
  startCoordinatorHttp,
  WEB_UI_ROUTE,
  webUiRoot,
  type OpenCoordinator,
} from '@biospec/coordinator';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';

let dir: string;
let node: SingleNode;
let coordinator: OpenCoordinator;
let http: Awaited<ReturnType<typeof startCoordinatorHttp>>;
let token: string;
let document: { paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>; components: { schemas: Record<string, unknown> } };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-openapi-'));
  const coordinatorDir = path.join(dir, 'coordinator');
  await initCoordinatorDir(coordinatorDir, { grpcListen: '127.0.0.1:0', httpListen: '127.0.0.1:0' });
  node = await startSingleNode({ donors: 50, coordinatorKeyFile: path.join(coordinatorDir, COORDINATOR_FILES.signingKey) });
  addMember(coordinatorDir, { id: NODE_ID, name: 'Documented Site', endpoint: node.server.address, jwksFile: path.join(node.dir, 'node.jwks.json') });
  coordinator = await openCoordinator(loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config)), { logger: pino({ level: 'silent' }) });
  http = await startCoordinatorHttp(coordinator);
  ({ token } = await issueResearcher(coordinatorDir, { subject: 'docs@example.org' }));
  const response = await fetch(`${http.url}/api/v1/openapi.json`);
  expect(response.status).toBe(200);
  document = (await response.json()) as typeof document;
}, 60_000);

afterAll(async () => {
  await http?.stop();
  await coordinator?.close();
  await node?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const openApiPath = (route: string) => route.replace(/:(\w+)/g, '{$1}');

/** The web UI's files (web/dist, one wildcard route): pages and scripts for the browser, not part of the REST API. */
const webUiFiles = `${WEB_UI_ROUTE.method} ${WEB_UI_ROUTE.path}`;

test('every route the fastify app serves is in the OpenAPI document, and nothing else', () => {
  const all = http.servedRoutes().map((r) => `${r.method} ${openApiPath(r.path)}`);
  const served = all.filter((route) => route !== webUiFiles).sort();
  expect(all.length - served.length).toBe(webUiRoot({ webRoot: undefined }) === null ? 0 : 1);
  const documented = Object.entries(document.paths).flatMap(([route, operations]) => Object.keys(operations).map((method) => `${method} ${route}`)).sort();
  expect(served.length).toBeGreaterThanOrEqual(7);
  expect(documented).toEqual(served);
});

test('every operation documents its success response and the error envelope; the document is valid JSON Schema 2020-12', () => {
  for (const [route, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const statuses = Object.keys(operation.responses);
      expect({ route, method, success: statuses.some((s) => s.startsWith('2')), error: statuses.includes('500') }).toEqual({ route, method, success: true, error: true });
    }
  }
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(document, 'openapi');
  for (const name of Object.keys(document.components.schemas)) expect(() => ajv.compile({ $ref: `openapi#/components/schemas/${name}` })).not.toThrow();
  const count = document.paths['/api/v1/count']!.post!;
  expect(Object.keys(count.responses).sort()).toEqual(['200', '400', '401', '403', '413', '429', '500']);
  const request = document.components.schemas['CountRequest'] as { properties: Record<string, { description?: string; $ref?: string }>; required: string[] };
  expect(request.required.sort()).toEqual(['project', 'purpose', 'query']);
  expect(request.properties['purpose']!.description).toContain('`DUO:0000006`');
  expect(request.properties['purpose']!.description).toContain('`HMB` is not accepted here');
  expect(request.properties['query']!.$ref).toBe('#/components/schemas/Query');
});

/** Validates a live response against its schema in the served document (and the zod schema it came from). */
async function documented(schemaName: string, schema: z.ZodType, response: Response): Promise<unknown> {
  const body: unknown = await response.json();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(document, 'openapi');
  const validate = ajv.compile({ $ref: `openapi#/components/schemas/${schemaName}` });
  expect({ valid: validate(body), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  expect(schema.safeParse(body).error).toBeUndefined();
  return body;
}

test('live answers have the documented shapes: count, nodes (with the coordinator rate limits), keys, health and errors', async () => {
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const count = await fetch(`${http.url}/api/v1/count`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ query: { unit: 'donors', where: { op: 'diagnosis', codes: ['II'] }, stratify: ['sex'] }, purpose: 'DUO:0000006', project: 'docs' }),
  });
  expect(count.status).toBe(200);
  const answer = (await documented('FederatedCountResponse', FederatedCountResponseJson, count)) as { sites: { status: string; dataEpoch: unknown }[] };
  expect(answer.sites[0]).toMatchObject({ status: 'SITE_STATUS_OK', dataEpoch: expect.any(Number) });

  const nodes = (await documented('NodesResponse', NodesResponseJson, await fetch(`${http.url}/api/v1/nodes`, { headers: auth }))) as { coordinator: unknown };
  expect(nodes.coordinator).toEqual({ coordinatorId: 'coordinator', rateLimits: DEFAULT_COORDINATOR_RATE_LIMITS });
  await documented('NodeJwks', NodeJwksJson, await fetch(`${http.url}/api/v1/jwks`));
  await documented('Jwks', JwksJson, await fetch(`${http.url}/.well-known/jwks.json`));
  await documented('Health', HealthJson, await fetch(`${http.url}/healthz`));

  const refused = await fetch(`${http.url}/api/v1/count`, { method: 'POST', headers: auth, body: JSON.stringify({ query: { unit: 'donors' }, purpose: 'HMB', project: 'docs' }) });
  expect(refused.status).toBe(400);
  await documented('Error', ErrorEnvelopeJson, refused);
  const anonymous = await fetch(`${http.url}/api/v1/nodes`);
  expect(anonymous.status).toBe(401);
  await documented('Error', ErrorEnvelopeJson, anonymous);
});

test('the web UI is served under / with its content security policy; a path with no file behind it gets the API\'s not-found answer', async () => {
  // npm test builds web/dist before the tests run.
  expect(webUiRoot({ webRoot: undefined })).not.toBeNull();
  const page = await fetch(`${http.url}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toContain('text/html');
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  await expect(page.text()).resolves.toContain('<div id="root">');
  for (const missing of ['/no-such-file.js', '/api/v1/no-such-route']) {
    const answer = await fetch(`${http.url}${missing}`);
    expect({ missing, status: answer.status }).toEqual({ missing, status: 404 });
    await expect(answer.json()).resolves.toEqual({ error: { code: 'NOT_FOUND', message: `no route GET ${missing}`, issues: [] } });
  }
});

test('the sign-in providers and the network health have their documented shapes; network health is for staff only', async () => {
  await documented('SignInProviders', SignInProvidersJson, await fetch(`${http.url}/api/v1/sign-in`));
  const researcher = await fetch(`${http.url}/api/v1/network`, { headers: { authorization: `Bearer ${token}` } });
  expect(researcher.status).toBe(403);
  const staff = await issueResearcher(path.join(dir, 'coordinator'), { subject: 'staff@example.org', roles: ['staff'] });
  const health = (await documented('NetworkHealth', NetworkHealthJson, await fetch(`${http.url}/api/v1/network`, { headers: { authorization: `Bearer ${staff.token}` } }))) as {
    nodes: { nodeId: string; lastStatus: string; software: unknown }[];
  };
  expect(health.nodes).toEqual([expect.objectContaining({ nodeId: NODE_ID, lastStatus: 'SITE_STATUS_OK', software: { name: 'biospec', version: expect.any(String) } })]);
});

test("coordinator init writes the coordinator's rate limits into coordinator.json, where they can be seen and changed", () => {
  const written = JSON.parse(fs.readFileSync(path.join(dir, 'coordinator', COORDINATOR_FILES.config), 'utf8')) as { rateLimits: unknown };
  expect(written.rateLimits).toEqual([
    { limit: 10, windowSeconds: 60 },
    { limit: 200, windowSeconds: 36000 },
  ]);
  expect(DEFAULT_COORDINATOR_RATE_LIMITS).toEqual(written.rateLimits);
});
