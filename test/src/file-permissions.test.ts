import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { initCoordinatorDir, loadCoordinatorConfig, openCoordinator, COORDINATOR_FILES } from '@biospec/coordinator';
import { initNodeDir, loadNodeConfig, openNode } from '@biospec/node';
import { signQuery } from '@biospec/trust';
import { NODE_ID, startSingleNode } from './harness/single-node.js';

const silent = pino({ level: 'silent' });
let work: string;
let umask: number;

beforeAll(() => {
  // The usual umask, under which files used to be created 0644 in 0755 folders.
  umask = process.umask(0o022);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-perms-'));
});

afterAll(() => {
  process.umask(umask);
  fs.rmSync(work, { recursive: true, force: true });
});

/** Every path under `dir` with its permission bits, e.g. `state/audit.db-wal 600`. */
function modes(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((entry) => `${entry} ${(fs.statSync(path.join(dir, entry)).mode & 0o777).toString(8)}`);
}

test('a node that has answered keeps its folders 0700 and every database (with -wal and -shm) and secret 0600', async () => {
  const node = await startSingleNode({ donors: 40 });
  try {
    const token = await signQuery(
      { query: { unit: 'donors' }, purpose: 'DUO:0000042', researcher: 'r-perm', project: 'perm', audience: NODE_ID, issuer: 'coordinator' },
      node.coordinatorKey,
    );
    await node.count(token);
    node.node.audit.checkpoint();
    const all = modes(node.dir);
    const wide = all.filter((line) => {
      const [name, mode] = line.split(' ') as [string, string];
      const isPublic = ['node.json', 'node.jwks.json', 'coordinator.jwks.json'].includes(name);
      return !isPublic && mode !== '600' && mode !== '700';
    });
    expect(wide).toEqual([]);
    expect(all).toEqual(expect.arrayContaining(['catalogue.db 600', 'catalogue.db-wal 600', 'state 700', 'state/replay.db 600', 'state/replay.db-wal 600', 'state/replay.db-shm 600', 'state/audit.db 600', 'state/audit.db.head 600', 'state/budget.db 600', 'state/holds.db 600']));
    expect((fs.statSync(node.dir).mode & 0o777).toString(8)).toBe('700');
  } finally {
    await node.stop();
  }
});

test('a node refuses to start when its files are readable by others, naming each path and its chmod', async () => {
  const dir = path.join(work, 'wide-node');
  await initNodeDir(dir, { nodeId: 'wide', name: 'Wide' });
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(path.join(dir, 'catalogue.db'), 0o644);
  fs.chmodSync(path.join(dir, 'noise-secret'), 0o640);
  const config = loadNodeConfig(path.join(dir, 'node.json'));
  await expect(openNode(config, { logger: silent })).rejects.toMatchObject({
    code: 'FAILED_PRECONDITION',
    message: expect.stringContaining(`fix with: chmod 700 ${dir} && chmod 600 ${path.join(dir, 'noise-secret')} && chmod 600 ${path.join(dir, 'catalogue.db')}`),
    issues: [
      { field: dir, message: `mode 0755 lets others read it; run: chmod 700 ${dir}` },
      { field: path.join(dir, 'noise-secret'), message: expect.stringContaining('mode 0640') },
      { field: path.join(dir, 'catalogue.db'), message: expect.stringContaining('mode 0644') },
    ],
  });

  const lines: string[] = [];
  const capture = pino({ level: 'warn' }, new Writable({
      write: (chunk, _encoding, done) => {
        lines.push(String(chunk));
        done();
      },
    }));
  const node = await openNode({ ...config, filePermissions: 'warn' }, { logger: capture });
  await node.close();
  expect(lines.map((l) => (JSON.parse(l) as { path: string }).path)).toEqual([dir, path.join(dir, 'noise-secret'), path.join(dir, 'catalogue.db')]);
});

test('a coordinator keeps its folder private and refuses a secret others can read', async () => {
  const dir = path.join(work, 'coordinator');
  await initCoordinatorDir(dir);
  const config = loadCoordinatorConfig(path.join(dir, COORDINATOR_FILES.config));
  const coordinator = await openCoordinator(config, { logger: silent });
  await coordinator.close();
  expect(modes(dir)).toEqual(
    expect.arrayContaining(['state 700', 'state/audit.db 600', 'state/audit.db.head 600', 'pseudonym-secret 600', 'coordinator-key.jwk.json 600']),
  );
  expect((fs.statSync(dir).mode & 0o777).toString(8)).toBe('700');

  fs.chmodSync(path.join(dir, 'pseudonym-secret'), 0o644);
  await expect(openCoordinator(config, { logger: silent })).rejects.toMatchObject({
    code: 'FAILED_PRECONDITION',
    issues: [{ field: path.join(dir, 'pseudonym-secret'), message: `mode 0644 lets others read it; run: chmod 600 ${path.join(dir, 'pseudonym-secret')}` }],
  });
});
