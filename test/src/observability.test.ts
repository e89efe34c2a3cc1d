/**
 * What an IT department watches: the node's and the coordinator's /healthz, /readyz and
 * /metrics, gRPC health in step with readiness, and one request id from the researcher's
 * REST call through the signed query to the node's audit entry and the REST access log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import {
  addMember,
  COORDINATOR_FILES,
  initCoordinatorDir,
  issueResearcher,
  loadCoordinatorConfig,
  openCoordinator,
  startCoordinatorGrpc,
  startCoordinatorHttp,
  type OpenCoordinator,
  type RunningServer,
} from '@biospec/coordinator';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';
import { grpcHealth, sample } from './harness/health-client.js';

let dir: string;
let node: SingleNode;
let coordinator: OpenCoordinator;
let http: RunningServer & { url: string };
let grpc: RunningServer;
let token: string;
let coordinatorDir: string;
const accessLog: Record<string, unknown>[] = [];

const get = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, text: await response.text(), headers: response.headers };
};
const nodeHttp = () => node.server.health!.url;
const ask = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${http.url}/api/v1/count`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const QUESTION = { query: { unit: 'specimens', where: { op: 'in', field: 'material_type', values: ['serum', 'plasma'] } }, purpose: 'DUO:0000006', project: 'ops' };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-observability-'));
  coordinatorDir = path.join(dir, 'coordinator');
  await initCoordinatorDir(coordinatorDir, { grpcListen: '127.0.0.1:0', httpListen: '127.0.0.1:0', rateLimits: [{ limit: 6, windowSeconds: 3600 }] });
  node = await startSingleNode({
    donors: 3000,
    coordinatorKeyFile: path.join(coordinatorDir, COORDINATOR_FILES.signingKey),
    configure: (c) => ({ ...c, httpListen: '127.0.0.1:0' }),
    // Readiness is evaluated at start and then only when the test asks, so each state is seen for certain.
    serverOptions: { readinessEveryMs: 3_600_000 },
  });
  addMember(coordinatorDir, { id: NODE_ID, name: 'Watched Site', endpoint: node.server.address, jwksFile: path.join(node.dir, 'node.jwks.json') });
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) accessLog.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  coordinator = await openCoordinator(loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config)), { logger: pino({ level: 'info' }, lines) });
  http = await startCoordinatorHttp(coordinator);
  grpc = await startCoordinatorGrpc(coordinator);
  ({ token } = await issueResearcher(coordinatorDir, { subject: 'ops@example.org' }));
}, 120_000);

afterAll(async () => {
  await http?.stop();
  await grpc?.stop();
  await coordinator?.close();
  await node?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Evaluates the node's readiness until it is `ready` (or not); a pinned-keys change is read within a second. */
async function readinessBecomes(ready: boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await node.server.readiness.refresh()).ready !== ready) {
    if (Date.now() > deadline) throw new Error(`node readiness did not become ${ready}: ${JSON.stringify(node.server.readiness.report())}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("the node's readiness follows its checks (here: its pinned coordinator keys); gRPC health follows for the server and NodeService", async () => {
  expect((await get(`${nodeHttp()}/healthz`)).status).toBe(200);
  await node.node.catalogue.countIndexReady();
  await readinessBecomes(true);
  const ready = await get(`${nodeHttp()}/readyz`);
  expect(ready.status).toBe(200);
  expect(JSON.parse(ready.text)).toMatchObject({ ready: true, checks: { countIndex: 'ok', databases: 'ok', coordinatorKeys: 'ok' } });
  expect(await grpcHealth(node.server.address, '')).toBe('SERVING');
  expect(await grpcHealth(node.server.address, 'biospecimen.v1.NodeService')).toBe('SERVING');
  const metricsReady = (await get(`${nodeHttp()}/metrics`)).text;
  expect(sample(metricsReady, 'biospec_node_count_index_state', { state: 'ready' })).toBe(1);
  expect(sample(metricsReady, 'biospec_node_count_index_build_seconds')).toBeGreaterThan(0);

  // With no coordinator key pinned the node can answer nobody: not ready, and gRPC health says so.
  const keysFile = node.node.config.coordinatorKeys;
  const pinned = fs.readFileSync(keysFile, 'utf8');
  fs.writeFileSync(keysFile, JSON.stringify({ keys: [] }));
  try {
    await readinessBecomes(false);
    const unready = await get(`${nodeHttp()}/readyz`);
    expect(unready.status).toBe(503);
    expect(JSON.parse(unready.text)).toMatchObject({ ready: false, checks: { countIndex: 'ok', databases: 'ok', coordinatorKeys: `no coordinator key pinned in ${keysFile}` } });
    expect(await grpcHealth(node.server.address, '')).toBe('NOT_SERVING');
    expect(await grpcHealth(node.server.address, 'biospecimen.v1.NodeService')).toBe('NOT_SERVING');
  } finally {
    fs.writeFileSync(keysFile, pinned);
  }
  await readinessBecomes(true);
  expect((await get(`${nodeHttp()}/readyz`)).status).toBe(200);
  expect(await grpcHealth(node.server.address, '')).toBe('SERVING');
});

test("metrics scraped while questions run; one request id reaches the node's audit entry and the REST access log", async () => {
  const asked = Array.from({ length: 3 }, (_, i) => ask(QUESTION, { 'x-request-id': `ops-req-${i}` }));
  // Scrapes during the questions: both services answer them while counting.
  const scrapes = await Promise.all([get(`${nodeHttp()}/metrics`), get(`${http.url}/metrics`), get(`${nodeHttp()}/metrics`)]);
  for (const scrape of scrapes) expect(scrape.status).toBe(200);
  const answers = await Promise.all(asked);
  for (const [i, answer] of answers.entries()) {
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-request-id')).toBe(`ops-req-${i}`);
  }

  const nodeMetrics = (await get(`${nodeHttp()}/metrics`)).text;
  expect(sample(nodeMetrics, 'biospec_node_questions_total', { outcome: 'answered' })).toBe(3);
  const byRoute = ['index', 'profile'].map((route) => sample(nodeMetrics, 'biospec_node_count_seconds_count', { route }) ?? 0);
  expect(byRoute[0]! + byRoute[1]!).toBeGreaterThanOrEqual(1);
  expect(sample(nodeMetrics, 'biospec_node_audit_entries')).toBeGreaterThanOrEqual(3);
  expect(sample(nodeMetrics, 'biospec_node_holds_waiting')).toBe(0);
  expect(sample(nodeMetrics, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);

  const entries = node.node.audit.list({ kind: 'query', order: 'desc', limit: 3 });
  expect(entries.map((e) => e.detail?.['requestId']).sort()).toEqual(['ops-req-0', 'ops-req-1', 'ops-req-2']);
  const coordinatorEntries = await coordinator.audit.log.list({ kind: 'federated-query', order: 'desc', limit: 3 });
  expect(coordinatorEntries.map((e) => e.detail?.['requestId']).sort()).toEqual(['ops-req-0', 'ops-req-1', 'ops-req-2']);
  const logged = accessLog.filter((l) => l['msg'] === 'http request' && l['route'] === '/api/v1/count');
  expect(logged.map((l) => l['requestId']).sort()).toEqual(['ops-req-0', 'ops-req-1', 'ops-req-2']);
  expect(logged[0]).toMatchObject({ method: 'POST', url: '/api/v1/count', status: 200 });
  expect(typeof logged[0]!['ms']).toBe('number');

  // A request id that does not fit the pattern is replaced by a fresh one, never echoed.
  const odd = await ask(QUESTION, { 'x-request-id': 'no spaces\tallowed' });
  expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

test('the coordinator counts every outcome: answered, unauthenticated, invalid query, rate limited (429 with Retry-After)', async () => {
  expect((await fetch(`${http.url}/api/v1/count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(QUESTION) })).status).toBe(401);
  expect((await ask({ ...QUESTION, query: { unit: 'kilograms' } })).status).toBe(400);
  // The coordinator allows 6 questions an hour: 4 were answered (3 and the odd request id); the 5th and 6th pass, the 7th is refused.
  expect((await ask(QUESTION)).status).toBe(200);
  expect((await ask(QUESTION)).status).toBe(200);
  const limited = await ask(QUESTION);
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(3500);
  expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');

  const metrics = (await get(`${http.url}/metrics`)).text;
  expect(sample(metrics, 'biospec_federated_questions_total', { outcome: 'answered' })).toBe(6);
  expect(sample(metrics, 'biospec_federated_questions_total', { outcome: 'refused', reason: 'unauthenticated' })).toBe(1);
  expect(sample(metrics, 'biospec_federated_questions_total', { outcome: 'refused', reason: 'invalid_query' })).toBe(1);
  expect(sample(metrics, 'biospec_federated_questions_total', { outcome: 'refused', reason: 'rate_limited' })).toBe(1);
  expect(sample(metrics, 'biospec_site_answers_total', { node: NODE_ID, status: 'ok' })).toBe(6);
  expect(sample(metrics, 'biospec_site_latency_seconds_count', { node: NODE_ID })).toBe(6);
  expect(sample(metrics, 'biospec_site_status', { node: NODE_ID, status: 'ok' })).toBe(1);
  expect(sample(metrics, 'biospec_site_status', { node: NODE_ID, status: 'unreachable' })).toBe(0);
});

test('over gRPC too: the caller\'s x-request-id is sent back at once and reaches the node\'s audit entry', async () => {
  const { CoordinatorServiceClient } = await import('@biospec/protocol');
  const { credentials, Metadata } = await import('@grpc/grpc-js');
  const client = new CoordinatorServiceClient(grpc.address, credentials.createInsecure());
  const metadata = new Metadata();
  // Another researcher: the first has used up the coordinator's window.
  const other = await issueResearcher(coordinatorDir, { subject: 'ops-grpc@example.org' });
  metadata.set('authorization', `Bearer ${other.token}`);
  metadata.set('x-request-id', 'ops-grpc-1');
  const question = QUESTION;
  let sentBack: unknown;
  const call = client.federatedCount(
    { queryJson: JSON.stringify(question.query), purpose: question.purpose, project: question.project, deadlineMs: 0 },
    metadata,
    () => undefined,
  );
  await new Promise<void>((resolve) => {
    call.on('metadata', (received) => {
      sentBack = received.get('x-request-id')[0];
    });
    call.on('status', () => resolve());
  });
  client.close();
  expect(sentBack).toBe('ops-grpc-1');
  const [entry] = await coordinator.audit.log.list({ kind: 'federated-query', order: 'desc', limit: 1 });
  expect(entry).toMatchObject({ outcome: 'answered', detail: { requestId: 'ops-grpc-1' } });
  const [nodeEntry] = node.node.audit.list({ kind: 'query', order: 'desc', limit: 1 });
  expect(nodeEntry?.detail?.['requestId']).toBe('ops-grpc-1');
});

test("the coordinator's /readyz and gRPC health say ready", async () => {
  const ready = await get(`${http.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(JSON.parse(ready.text)).toMatchObject({ ready: true, checks: { databases: 'ok' } });
  expect(await grpcHealth(grpc.address, '')).toBe('SERVING');
  expect(await grpcHealth(grpc.address, 'biospecimen.v1.CoordinatorService')).toBe('SERVING');
});
