import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { SiteStatus } from '@biospec/protocol';
import { addMember, COORDINATOR_FILES, initCoordinatorDir, loadCoordinatorConfig, openCoordinator, type OpenCoordinator } from '@biospec/coordinator';
import { startChildNode, type ChildNode } from './harness/child-node.js';
import { waitFor } from './harness/load.js';

let dir: string;
let node: ChildNode | undefined;
let coordinator: OpenCoordinator | undefined;

const ask = async (deadlineMs: number) =>
  coordinator!.federatedCount((await coordinator!.people.findByEmail('stall@example.org')) ?? (await coordinator!.people.create({ email: 'stall@example.org' })), { query: { unit: 'specimens' }, purpose: 'DUO:0000006', project: 'stall', deadlineMs });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-stall-'));
  const coordinatorDir = path.join(dir, 'coordinator');
  const { publicKeys: coordinatorJwks } = await initCoordinatorDir(coordinatorDir, {
    grpcListen: '127.0.0.1:0',
    httpListen: '127.0.0.1:0',
    rateLimits: [{ limit: 1000, windowSeconds: 60 }],
  });
  node = await startChildNode(path.join(dir, 'node'), { nodeId: 'stalling-site', coordinatorJwks });
  addMember(coordinatorDir, { id: 'stalling-site', name: 'Stalling Site', endpoint: node.address, jwksFile: node.publicKeys });
  // The default keepalive (a ping every 5 s, 5 s to answer): a stall shorter than that is a timeout.
  coordinator = await openCoordinator(loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config)), { logger: pino({ level: 'silent' }) });
}, 60_000);

afterAll(async () => {
  await coordinator?.close();
  await node?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a stalled node (process stopped, connection open) is a timeout, not unreachable, and answers again once resumed', async () => {
  const before = await ask(5000);
  expect(before.sites[0]!.status).toBe(SiteStatus.SITE_STATUS_OK);

  node!.process.kill('SIGSTOP');
  try {
    // Two researchers ask, the second while the first still waits on the same stream.
    const started = Date.now();
    const first = ask(1500);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = ask(1500);
    for (const stalled of await Promise.all([first, second])) {
      expect(stalled.sites[0]).toMatchObject({ status: SiteStatus.SITE_STATUS_TIMEOUT, message: 'no answer within the deadline' });
    }
    expect(Date.now() - started).toBeLessThan(3500);
  } finally {
    node!.process.kill('SIGCONT');
  }

  let last = SiteStatus.SITE_STATUS_UNSPECIFIED;
  await waitFor(async () => {
    last = (await ask(5000)).sites[0]!.status;
    return last === SiteStatus.SITE_STATUS_OK;
  }, 'the resumed node to answer');
  expect(last).toBe(SiteStatus.SITE_STATUS_OK);
}, 60_000);
