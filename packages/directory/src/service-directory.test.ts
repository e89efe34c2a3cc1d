import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryConfigSchema, resolveDirectoryConfig, startServiceDirectory } from './service-directory.js';
import { readDirectorySnapshot } from './snapshot.js';
import { descriptorFor, newKey, waitFor } from './test-support.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-directory-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const configIn = (base: string, extra: Record<string, unknown> = {}) =>
  resolveDirectoryConfig(DirectoryConfigSchema.parse({ enabled: true, listen: ['/ip4/127.0.0.1/tcp/0'], refreshSeconds: 1, staleAfterSeconds: 3, ...extra }), base);

test('the directory block is off unless enabled, and refuses a stale time shorter than two refreshes', () => {
  expect(DirectoryConfigSchema.parse({})).toMatchObject({ enabled: false, listen: ['/ip4/0.0.0.0/tcp/4001'], bootstrap: [], refreshSeconds: 30, staleAfterSeconds: 90 });
  const result = DirectoryConfigSchema.safeParse({ refreshSeconds: 30, staleAfterSeconds: 40 });
  expect(result.success).toBe(false);
  expect(result.error?.issues[0]?.path).toEqual(['staleAfterSeconds']);
  expect(DirectoryConfigSchema.safeParse({ bootstarp: [] }).success).toBe(false);
});

test('a service directory writes its snapshot, keeps its peer id, and remembers first-use trust across a restart', async () => {
  const nodeDir = path.join(dir, 'node');
  const coordinatorDir = path.join(dir, 'coordinator');
  const errors: Error[] = [];
  const coordinator = await startServiceDirectory(configIn(coordinatorDir), { role: 'coordinator', id: 'coordinator', annotate: (e) => [`seen ${e.nodeId}`], onError: (e) => errors.push(e) });
  const node = await startServiceDirectory(configIn(nodeDir, { bootstrap: coordinator.directory.addresses() }), { role: 'node', id: 'node-a', onError: (e) => errors.push(e) });
  const key = await newKey();
  await node.directory.publish(descriptorFor('node-a', [key]), key);

  const snapshotFile = path.join(coordinatorDir, 'state', 'directory.json');
  await waitFor('node-a in the coordinator snapshot', () => fs.existsSync(snapshotFile) && readDirectorySnapshot(snapshotFile).entries.some((e) => e.nodeId === 'node-a'));
  const snapshot = readDirectorySnapshot(snapshotFile);
  expect(snapshot.owner).toMatchObject({ role: 'coordinator', id: 'coordinator', peerId: coordinator.directory.peerId });
  expect(snapshot.entries[0]).toMatchObject({ nodeId: 'node-a', trust: 'first-use', stale: false, notes: ['seen node-a'] });
  expect(fs.statSync(path.join(coordinatorDir, 'state', 'directory-peer.key')).mode & 0o777).toBe(0o600);

  const peerId = coordinator.directory.peerId;
  await Promise.all([node.stop(), coordinator.stop()]);
  const restarted = await startServiceDirectory(configIn(coordinatorDir), { role: 'coordinator', id: 'coordinator', onError: (e) => errors.push(e) });
  try {
    expect(restarted.directory.peerId).toBe(peerId);
    expect(restarted.directory.current()).toMatchObject([{ nodeId: 'node-a', stale: true, trust: 'first-use' }]);
  } finally {
    await restarted.stop();
  }
  expect(errors).toEqual([]);
});

test('a snapshot that is not one is refused with the file and the field', () => {
  const file = path.join(dir, 'directory.json');
  fs.writeFileSync(file, JSON.stringify({ version: 1, entries: [] }));
  expect(() => readDirectorySnapshot(file)).toThrow(new RegExp(`directory snapshot ${file} is invalid at writtenAt`));
  expect(() => readDirectorySnapshot(path.join(dir, 'missing.json'))).toThrow(/cannot read directory snapshot/);
});
