import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { SiteStatus } from '@biospec/protocol';
import { addMember, COORDINATOR_FILES, initCoordinatorDir, loadCoordinatorConfig, openCoordinator, type OpenCoordinator } from '@biospec/coordinator';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';
import { startTcpProxy, type TcpProxy } from './harness/tcp-proxy.js';

let dir: string;
let node: SingleNode;
let proxy: TcpProxy;
let coordinator: OpenCoordinator;

const KEEPALIVE = { timeMs: 1000, timeoutMs: 1000 };
const ask = async (deadlineMs: number) =>
  coordinator.federatedCount((await coordinator.people.findByEmail('keepalive@example.org')) ?? (await coordinator.people.create({ email: 'keepalive@example.org' })), { query: { unit: 'specimens' }, purpose: 'DUO:0000006', project: 'keepalive', deadlineMs });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-keepalive-'));
  const coordinatorDir = path.join(dir, 'coordinator');
  await initCoordinatorDir(coordinatorDir, { grpcListen: '127.0.0.1:0', httpListen: '127.0.0.1:0', rateLimits: [{ limit: 1000, windowSeconds: 60 }] });
  node = await startSingleNode({ donors: 50, coordinatorKeyFile: path.join(coordinatorDir, COORDINATOR_FILES.signingKey) });
  proxy = await startTcpProxy(node.server.port);
  addMember(coordinatorDir, { id: NODE_ID, name: 'Behind a proxy', endpoint: `127.0.0.1:${proxy.port}`, jwksFile: path.join(node.dir, 'node.jwks.json') });
  const config = loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config));
  coordinator = await openCoordinator({ ...config, nodeKeepalive: KEEPALIVE }, { logger: pino({ level: 'silent' }) });
}, 60_000);

afterAll(async () => {
  await coordinator?.close();
  await proxy?.close();
  await node?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a silently dropped connection is noticed by keepalive: the site is unreachable within the keepalive time, not at the deadline', async () => {
  expect((await ask(5000)).sites[0]!.status).toBe(SiteStatus.SITE_STATUS_OK);

  proxy.dropSilently();
  const deadlineMs = 30_000;
  const started = Date.now();
  const dropped = await ask(deadlineMs);
  const elapsed = Date.now() - started;
  expect(dropped.sites[0]!.status).toBe(SiteStatus.SITE_STATUS_UNREACHABLE);
  // A ping at most timeMs after the last one, unanswered for timeoutMs; the rest is margin for a loaded machine.
  expect(elapsed).toBeLessThan(KEEPALIVE.timeMs + KEEPALIVE.timeoutMs + 3000);
  expect(elapsed).toBeLessThan(deadlineMs / 4);

  // The next question goes over a new connection.
  expect((await ask(5000)).sites[0]!.status).toBe(SiteStatus.SITE_STATUS_OK);
}, 60_000);
