import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { BiospecError, SiteStatus } from '@biospec/protocol';
import { addMember, COORDINATOR_FILES, initCoordinatorDir, issueResearcher, loadCoordinatorConfig, openCoordinator, startCoordinatorHttp, type OpenCoordinator } from '@biospec/coordinator';
import type { RunningServer } from '@biospec/coordinator';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';

let dir: string;
let node: SingleNode;
let coordinator: OpenCoordinator;
let http: RunningServer;
let token: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-warming-'));
  const coordinatorDir = path.join(dir, 'coordinator');
  await initCoordinatorDir(coordinatorDir, { grpcListen: '127.0.0.1:0', httpListen: '127.0.0.1:0', rateLimits: [{ limit: 1000, windowSeconds: 60 }] });
  node = await startSingleNode({ donors: 50, coordinatorKeyFile: path.join(coordinatorDir, COORDINATOR_FILES.signingKey) });
  addMember(coordinatorDir, { id: NODE_ID, name: 'Warming Site', endpoint: node.server.address, jwksFile: path.join(node.dir, 'node.jwks.json') });
  coordinator = await openCoordinator(loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config)), { logger: pino({ level: 'silent' }) });
  http = await startCoordinatorHttp(coordinator);
  ({ token } = await issueResearcher(coordinatorDir, { subject: 'warm@example.org' }));
}, 60_000);

afterAll(async () => {
  await http?.stop();
  await coordinator?.close();
  await node?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a node whose catalogue cannot count yet is reported warming up, apart from unreachable, over gRPC status and REST', async () => {
  // A catalogue stub at the count pipeline's boundary: the catalogue says what a loading count index says.
  const { catalogue } = node.node;
  const count = catalogue.count;
  catalogue.count = () => {
    throw new BiospecError('WARMING_UP', 'count index loading: 40% of the snapshot read');
  };
  try {
    const response = await fetch(`http://${http.address}/api/v1/count`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: { unit: 'specimens' }, purpose: 'DUO:0000006', project: 'warm', deadlineMs: 5000 }),
    });
    expect(response.status).toBe(200);
    const site = ((await response.json()) as { sites: Record<string, unknown>[] }).sites[0]!;
    expect(site).toMatchObject({ nodeId: NODE_ID, status: 'SITE_STATUS_WARMING_UP', message: 'count index warming up' });
  } finally {
    catalogue.count = count;
  }
  const researcher = await coordinator.people.create({ name: 'warm' });
  const ready = await coordinator.federatedCount(researcher, { query: { unit: 'specimens' }, purpose: 'DUO:0000006', project: 'warm' });
  expect(ready.sites[0]!.status).toBe(SiteStatus.SITE_STATUS_OK);
  expect(node.node.audit.list({ kind: 'query', limit: 1000 }).some((e) => e.outcome === 'rejected' && e.detail?.['code'] === 'WARMING_UP')).toBe(true);
});
