/**
 * Rate limits that survive restarts, and a researcher every site refuses for their rate
 * limit gets 429 with Retry-After (gRPC: RESOURCE_EXHAUSTED with a retry hint), not a 200
 * with every site rejected.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metadata, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { pino } from 'pino';
import { CoordinatorServiceClient, SiteStatus, FederatedCountResponse } from '@biospec/protocol';
import { EXACT_POLICY } from '@biospec/privacy';
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
import { startSingleNode, type SingleNode } from './harness/single-node.js';

let dir: string;
let coordinatorDir: string;
let nodes: SingleNode[];
let coordinator: OpenCoordinator;
let http: RunningServer & { url: string };
let grpc: RunningServer;
let token: string;

const QUESTION = { query: { unit: 'donors' }, purpose: 'DUO:0000006', project: 'limits' };

async function openServices() {
  coordinator = await openCoordinator(loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config)), { logger: pino({ level: 'silent' }) });
  http = await startCoordinatorHttp(coordinator);
  grpc = await startCoordinatorGrpc(coordinator);
}
async function closeServices() {
  await http.stop();
  await grpc.stop();
  await coordinator.close();
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-limits-'));
  coordinatorDir = path.join(dir, 'coordinator');
  await initCoordinatorDir(coordinatorDir, { grpcListen: '127.0.0.1:0', httpListen: '127.0.0.1:0', rateLimits: [{ limit: 1000, windowSeconds: 60 }] });
  const coordinatorKeyFile = path.join(coordinatorDir, COORDINATOR_FILES.signingKey);
  // Site a answers one question an hour per person, site b three.
  nodes = await Promise.all(
    [1, 3].map((limit, i) =>
      startSingleNode({ nodeId: `site-${'ab'[i]}`, donors: 60, coordinatorKeyFile, policy: { ...EXACT_POLICY, rateLimits: [{ limit, windowSeconds: 3600 }] } }),
    ),
  );
  for (const n of nodes) {
    const id = n.node.config.nodeId;
    addMember(coordinatorDir, { id, name: id, endpoint: n.server.address, jwksFile: path.join(n.dir, 'node.jwks.json') });
  }
  await openServices();
  ({ token } = await issueResearcher(coordinatorDir, { subject: 'limited@example.org' }));
}, 120_000);

afterAll(async () => {
  await closeServices();
  for (const n of nodes ?? []) await n.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ask = () =>
  fetch(`${http.url}/api/v1/count`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(QUESTION),
  });

const statuses = async (response: Response) =>
  FederatedCountResponse.fromJSON(await response.json()).sites.map((s) => [s.nodeId, s.status] as const);

test('sites refuse one by one; when every site refuses for the rate limit the researcher gets 429 with Retry-After, also after the nodes restart', async () => {
  const first = await ask();
  expect(first.status).toBe(200);
  expect(await statuses(first)).toEqual([
    ['site-a', SiteStatus.SITE_STATUS_OK],
    ['site-b', SiteStatus.SITE_STATUS_OK],
  ]);
  // Site a's limit is reached, site b still answers: a 200 with site a's row rejected.
  for (let i = 0; i < 2; i++) {
    const partial = await ask();
    expect(partial.status).toBe(200);
    expect(await statuses(partial)).toEqual([
      ['site-a', SiteStatus.SITE_STATUS_REJECTED],
      ['site-b', SiteStatus.SITE_STATUS_OK],
    ]);
  }
  const refused = await ask();
  expect(refused.status).toBe(429);
  // The earliest moment a site may answer again: site a's first question leaves its hour.
  const retryAfter = Number(refused.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(3500);
  expect(retryAfter).toBeLessThanOrEqual(3600);
  const body = (await refused.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('RATE_LIMITED');
  expect(body.error.message).toMatch(/^every site refused the question \(site-a: RATE_LIMITED: .*; site-b: RATE_LIMITED: .*\)$/);

  // gRPC: RESOURCE_EXHAUSTED with the error code and the retry hint in the trailers.
  const client = new CoordinatorServiceClient(grpc.address, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  const failure = await new Promise<ServiceError>((resolve, reject) =>
    client.federatedCount({ queryJson: JSON.stringify(QUESTION.query), purpose: QUESTION.purpose, project: QUESTION.project, deadlineMs: 0 }, metadata, (err) =>
      err ? resolve(err) : reject(new Error('expected a refusal')),
    ),
  );
  client.close();
  expect(failure.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
  expect(failure.metadata.get('biospec-error-code')).toEqual(['RATE_LIMITED']);
  expect(Number(failure.metadata.get('retry-after-ms')[0])).toBeGreaterThan(3_500_000);

  // The windows are kept in each node's state/rate-limits.db (and the coordinator's): a restart opens none afresh.
  for (const n of nodes) await n.restart();
  await closeServices();
  for (const n of nodes) {
    const id = n.node.config.nodeId;
    addMember(coordinatorDir, { id, name: id, endpoint: n.server.address, jwksFile: path.join(n.dir, 'node.jwks.json') });
  }
  await openServices();
  expect((await ask()).status).toBe(429);
});
