import { pino } from 'pino';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { FederatedCountResponse, SiteStatus } from '@biospec/protocol';
import { addMember, loadCoordinatorConfig, openCoordinator, startCoordinatorHttp, COORDINATOR_FILES } from '@biospec/coordinator';
import { startExactFederation, type ExactFederation } from './harness/exact-federation.js';

let fed: ExactFederation;

beforeAll(async () => {
  fed = await startExactFederation({ donorsPerSite: 150 });
}, 60_000);

afterAll(async () => {
  await fed?.stop();
});

const question = { query: { unit: 'specimens' }, purpose: 'DUO:0000006', project: 'resilience' };

test('a node stopped mid-run is marked unreachable and the others still answer within the deadline', async () => {
  const before = FederatedCountResponse.fromJSON((await fed.rest('/api/v1/count', question)).body);
  expect(before.sites.every((s) => s.status === SiteStatus.SITE_STATUS_OK)).toBe(true);

  const victim = fed.federation.nodes[1]!;
  await victim.server.stop(100);

  const started = Date.now();
  const { status, body } = await fed.rest('/api/v1/count', { ...question, deadlineMs: 2000 });
  const elapsed = Date.now() - started;
  expect(status).toBe(200);
  const after = FederatedCountResponse.fromJSON(body);
  expect(elapsed).toBeLessThan(2500);
  const down = after.sites.find((s) => s.nodeId === victim.site.id);
  expect(down?.status).toBe(SiteStatus.SITE_STATUS_UNREACHABLE);
  expect(down?.message).not.toBe('');
  const others = after.sites.filter((s) => s.nodeId !== victim.site.id);
  expect(others.every((s) => s.status === SiteStatus.SITE_STATUS_OK)).toBe(true);
  const expected = before.sites.filter((s) => s.nodeId !== victim.site.id).reduce((n, s) => n + (s.total?.value ?? 0), 0);
  expect(after.total?.releasedSum).toBe(expected);
});

test('a node that accepts connections but never answers costs no more than the deadline', async () => {
  // A hostile peer: it accepts TCP and then says nothing, so the HTTP/2 handshake never completes.
  const sockets = new Set<net.Socket>();
  const blackhole = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  const port = (blackhole.address() as net.AddressInfo).port;
  const coordinatorDir = path.join(fed.federation.dir, 'coordinator');
  const jwks = path.join(fed.federation.dir, 'nodes', fed.federation.nodes[0]!.site.id, 'node.jwks.json');
  addMember(coordinatorDir, { id: 'silent-site', name: 'Silent Site', endpoint: `127.0.0.1:${port}`, jwksFile: jwks });
  const config = loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config));
  const coordinator = await openCoordinator(
    { ...config, httpListen: '127.0.0.1:0', rateLimits: [{ limit: 1000, windowSeconds: 60 }] },
    { logger: pino({ level: 'silent' }) },
  );
  const http = await startCoordinatorHttp(coordinator);
  try {
    const started = Date.now();
    const response = await fetch(`http://${http.address}/api/v1/count`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fed.federation.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...question, deadlineMs: 800 }),
    });
    const elapsed = Date.now() - started;
    const body = FederatedCountResponse.fromJSON(await response.json());
    expect(response.status).toBe(200);
    expect(elapsed).toBeLessThan(1500);
    expect(body.sites.find((s) => s.nodeId === 'silent-site')?.status).toBe(SiteStatus.SITE_STATUS_TIMEOUT);
    expect(body.sites.filter((s) => s.status === SiteStatus.SITE_STATUS_OK).length).toBeGreaterThanOrEqual(1);
  } finally {
    await http.stop();
    await coordinator.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => blackhole.close(() => resolve()));
    fs.rmSync(path.join(coordinatorDir, 'nodes', 'silent-site.jwks.json'), { force: true });
  }
});
