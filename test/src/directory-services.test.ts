import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { addMember, COORDINATOR_FILES, initCoordinatorDir, loadCoordinatorConfig, openCoordinator, type OpenCoordinator } from '@biospec/coordinator';
import { initNodeDir, loadNodeConfig, NODE_FILES, openNode, type OpenNode } from '@biospec/node';
import { generateSigningKey } from '@biospec/trust';
import { biospec } from './harness/cli.js';

// A coordinator and two nodes with the directory enabled, on loopback, wired from their config
// files as `biospec … start` wires them; `biospec directory` reads what each service wrote.

const DIRECTORY = { enabled: true, listen: ['/ip4/127.0.0.1/tcp/0'], refreshSeconds: 1, staleAfterSeconds: 3 };
const silent = pino({ level: 'silent' });
let work: string;
let coordinator: OpenCoordinator | undefined;
const nodes: OpenNode[] = [];

function editJson(file: string, edit: (raw: Record<string, unknown>) => Record<string, unknown>): void {
  fs.writeFileSync(file, JSON.stringify(edit(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>), null, 2));
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-directory-services-'));
});
afterAll(async () => {
  for (const node of nodes) await node.close();
  await coordinator?.stopDirectory();
  await coordinator?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

test('a coordinator and its nodes find each other through the directory; biospec directory shows what each sees', async () => {
  const coordinatorDir = path.join(work, 'coordinator');
  const { publicKeys: coordinatorJwks } = await initCoordinatorDir(coordinatorDir, { grpcListen: '127.0.0.1:0', httpListen: '127.0.0.1:0' });
  const dirOf = (id: string) => path.join(work, id);
  for (const id of ['member-a', 'stranger-b']) {
    await initNodeDir(dirOf(id), { nodeId: id, name: `Biobank ${id}`, listen: '127.0.0.1:0', coordinatorJwks });
  }
  // Staff admitted member-a at an address it has since left; stranger-b was never admitted.
  addMember(coordinatorDir, { id: 'member-a', name: 'Biobank member-a', endpoint: 'old-a.example.org:50051', jwksFile: path.join(dirOf('member-a'), NODE_FILES.publicKeys) });
  editJson(path.join(coordinatorDir, COORDINATOR_FILES.config), (raw) => ({ ...raw, directory: DIRECTORY }));
  coordinator = await openCoordinator(loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config)), { logger: silent });
  // Nodes join through the coordinator, at the address its snapshot lists (as `biospec directory` shows it to an operator).
  const snapshotFile = path.join(coordinatorDir, 'state', 'directory.json');
  const bootstrap = [(JSON.parse(fs.readFileSync(snapshotFile, 'utf8')) as { owner: { addresses: string[] } }).owner.addresses[0]!];

  for (const id of ['member-a', 'stranger-b']) {
    const configFile = path.join(dirOf(id), NODE_FILES.config);
    editJson(configFile, (raw) => ({ ...raw, directory: { ...DIRECTORY, bootstrap, endpoint: `${id}.example.org:50051`, institution: 'University Hospital' } }));
    nodes.push(await openNode(loadNodeConfig(configFile), { logger: silent }));
  }

  const seen = coordinator.directory!;
  await waitFor('both nodes at the coordinator', () => seen.current().filter((e) => !e.stale).length === 2);
  expect(seen.get('member-a')).toMatchObject({ trust: 'pinned', descriptor: { endpoint: 'member-a.example.org:50051', institution: 'University Hospital', dataEpoch: 0 } });
  expect(seen.get('stranger-b')?.trust).toBe('first-use');
  // The catalogue summary is the node's noisy release (an empty catalogue here), never a true count.
  expect(seen.get('member-a')?.descriptor.catalogue).toMatchObject({ epoch: 0, donors: { display: expect.stringMatching(/noisy/) } });
  await waitFor('each node sees the other', () => nodes.every((n) => n.directory!.current().length === 2));

  await waitFor('the coordinator snapshot with both nodes', () => fs.existsSync(snapshotFile) && JSON.parse(fs.readFileSync(snapshotFile, 'utf8')).entries.length === 2);
  const listed = await biospec(['directory', '--dir', coordinatorDir]);
  expect(listed.stderr).toBe('');
  expect(listed.code).toBe(0);
  expect(listed.stdout).toMatch(/^directory as seen by coordinator coordinator \(peer 12D3KooW\w+\)/);
  expect(listed.stdout).toMatch(/^member-a {2}Biobank member-a \(University Hospital\) {2}member-a\.example\.org:50051 {2}live, seen \d+ s ago/m);
  expect(listed.stdout).toContain('trusted by pin');
  expect(listed.stdout).toContain('note: announces endpoint member-a.example.org:50051; membership has old-a.example.org:50051, where it is still asked');
  expect(listed.stdout).toContain('note: not a member: not asked until staff admit it');
  expect(listed.stdout).toMatch(/dropped: none$/m);

  const fromNode = await biospec(['directory', '--dir', dirOf('stranger-b'), '--json']);
  expect(fromNode.code).toBe(0);
  expect(JSON.parse(fromNode.stdout).entries.map((e: { nodeId: string }) => e.nodeId)).toEqual(['member-a', 'stranger-b']);

  // Rotation, first step: member-a lists a new key beside the current one in node.jwks.json; its next
  // announcement carries both, and the coordinator notes the key its membership does not have yet.
  const { publicJwk: newKey } = await generateSigningKey();
  const jwksFile = path.join(dirOf('member-a'), NODE_FILES.publicKeys);
  editJson(jwksFile, (raw) => ({ keys: [...(raw.keys as unknown[]), newKey] }));
  await waitFor('both keys announced to the coordinator', () => seen.get('member-a')?.descriptor.jwks.keys.length === 2);
  expect(seen.get('member-a')?.signedBy).not.toBe(newKey.kid);
  const rotated = await biospec(['directory', '--dir', coordinatorDir]);
  expect(rotated.stdout).toContain(`note: announces keys not in membership: ${newKey.kid}`);

  // The stranger leaves: the coordinator marks it stale within its configured time.
  const stranger = nodes.pop()!;
  await stranger.close();
  await waitFor('stranger-b stale at the coordinator', () => seen.get('stranger-b')?.stale === true, DIRECTORY.staleAfterSeconds * 1000 + 10_000);
  expect(seen.get('member-a')?.stale).toBe(false);
}, 90_000);

test('biospec directory explains a folder without a snapshot in one line', async () => {
  const nodeDir = path.join(work, 'quiet');
  await initNodeDir(nodeDir, { nodeId: 'quiet', name: 'Quiet', listen: '127.0.0.1:0' });
  const result = await biospec(['directory', '--dir', nodeDir]);
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error \(NOT_FOUND\): no directory snapshot at .*directory\.json: set "directory"/)]);
  const nowhere = await biospec(['directory', '--dir', work]);
  expect(nowhere.stderr).toMatch(/holds neither node\.json nor coordinator\.json/);
});
