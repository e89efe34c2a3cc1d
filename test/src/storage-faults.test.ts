import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { openCatalogue } from '@biospec/catalogue';
import { loadNodeConfig, NODE_FILES, openNode } from '@biospec/node';
import { referenceCount } from '@biospec/query';
import { generateCatalogue, writeCsv } from '@biospec/synthetic';
import { createKeyRing, verifyResult } from '@biospec/trust';
import { biospec } from './harness/cli.js';
import { signMany } from './harness/load.js';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';
import { mountSmallDisk } from './harness/small-disk.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const silent = pino({ level: 'silent' });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-storage-'));

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** A node that has served, then stopped: its folder stays for the test to damage. */
async function servedNode(): Promise<SingleNode> {
  const node = await startSingleNode({ donors: 40 });
  const [token] = await signMany(node.coordinatorKey, NODE_ID, 1);
  await node.count(token!);
  node.client.close();
  await node.server.stop(100);
  return node;
}

test('an import that fills the disk fails naming the file and leaves the node answering (a real 8 MiB tmpfs)', async () => {
  const disk = mountSmallDisk(8 * 1024 * 1024);
  let node: SingleNode | undefined;
  try {
    node = await startSingleNode({ donors: 100, parentDir: disk.dir });
    const catalogueFile = node.node.catalogue.path;
    const expected = referenceCount({ unit: 'specimens' }, node.records).total;
    const big = path.join(scratch, 'too-big.csv');
    await writeCsv(generateCatalogue({ seed: 5, donors: 30_000, profile: 'university-hospital', idPrefix: 'BIG' }), big);
    expect(fs.statSync(big).size).toBeGreaterThan(2 * 8 * 1024 * 1024);

    const imported = await biospec(['node', 'import', big, '--dir', node.dir]);
    expect(imported.code).toBe(1);
    const lines = imported.stderr.split('\n').filter((l) => l.startsWith('storage error') || l.startsWith('error'));
    // The fault is told with its file first, then the outcome, in one line each, with no stack trace.
    expect(lines[0]).toBe(`storage error on ${catalogueFile}: SQLITE_FULL database or disk is full`);
    expect(lines.at(-1)).toBe(`error (UNAVAILABLE): ${catalogueFile}: the disk is full (SQLITE_FULL); nothing was imported`);
    expect(imported.stderr).not.toMatch(/\n\s+at /);
    // The rolled-back import's write-ahead log was truncated: its space is free again.
    expect(fs.statSync(`${catalogueFile}-wal`).size).toBe(0);
    expect(disk.free()).toBeGreaterThan(4 * 1024 * 1024);

    // The node goes on answering: its replay cache and audit log can still be written.
    const keys = await createKeyRing([node.node.signingKey.publicJwk]);
    const tokens = await signMany(node.coordinatorKey, NODE_ID, 5);
    for (const token of tokens) {
      const answer = await verifyResult((await node.count(token)).signedResult, keys);
      expect(answer.total?.value).toBe(expected);
    }
    expect(node.node.audit.verifyChain().ok).toBe(true);
  } finally {
    await node?.stop();
    disk.unmount();
  }
}, 180_000);

test('a node whose catalogue is missing, empty or blank beside its state refuses to start with a clear message', async () => {
  const node = await servedNode();
  const catalogueFile = loadNodeConfig(path.join(node.dir, NODE_FILES.config)).catalogue;
  const kept = path.join(scratch, 'catalogue-backup.db');
  try {
    fs.renameSync(catalogueFile, kept);
    for (const suffix of ['-wal', '-shm']) fs.rmSync(catalogueFile + suffix, { force: true });
    const missing = await biospec(['node', 'start', '--dir', node.dir, '--listen', '127.0.0.1:0']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      `error (FAILED_PRECONDITION): catalogue ${catalogueFile} is missing, but ${path.join(node.dir, 'state')} holds the state of a node that has served: ` +
        'refusing to start as an empty site; restore the catalogue from a backup, or import your export again (biospec node import) before starting',
    );
    expect(fs.existsSync(catalogueFile)).toBe(false);

    fs.writeFileSync(catalogueFile, '');
    const empty = await biospec(['node', 'start', '--dir', node.dir, '--listen', '127.0.0.1:0']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^error \(FAILED_PRECONDITION\): catalogue \S+ is empty \(0 bytes\), but .* refusing to start as an empty site/);
    expect(fs.statSync(catalogueFile).size).toBe(0);

    fs.rmSync(catalogueFile);
    const blank = openCatalogue(kept, { countIndex: 'off' });
    blank.close();
    // A SQLite file without the catalogue's schema (for example the wrong file copied in).
    const { default: Database } = await import('better-sqlite3');
    new Database(catalogueFile).exec('CREATE TABLE unrelated (x)');
    await expect(openNode(loadNodeConfig(path.join(node.dir, NODE_FILES.config)), { logger: silent })).rejects.toThrow(/holds no catalogue \(no schema\)/);

    // The catalogue put back, the node starts and answers again.
    fs.rmSync(catalogueFile);
    fs.renameSync(kept, catalogueFile);
    const reopened = await openNode(loadNodeConfig(path.join(node.dir, NODE_FILES.config)), { logger: silent });
    expect(reopened.catalogue.size()).toBe(node.records.length);
    await reopened.close();
  } finally {
    fs.rmSync(path.dirname(node.dir), { recursive: true, force: true });
  }
}, 60_000);

test('a new node without state may still start before its first import', async () => {
  const node = await servedNode();
  try {
    const config = loadNodeConfig(path.join(node.dir, NODE_FILES.config));
    fs.rmSync(config.stateDir, { recursive: true });
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(config.catalogue + suffix, { force: true });
    const fresh = await openNode(config, { logger: silent });
    expect(fresh.catalogue.size()).toBe(0);
    await fresh.close();
  } finally {
    fs.rmSync(path.dirname(node.dir), { recursive: true, force: true });
  }
}, 60_000);

test('a withdrawal and its audit entry cannot be separated by a crash: the next start writes the missing entry', async () => {
  const node = await servedNode();
  const donor = node.records[0]!.donor_id;
  const config = loadNodeConfig(path.join(node.dir, NODE_FILES.config));
  try {
    const crashed = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const child = execFile(process.execPath, [path.join(here, '../dist/harness/withdraw-then-crash.js'), node.dir, donor]);
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    expect(crashed.signal).toBe('SIGKILL');

    const catalogue = openCatalogue(config.catalogue, { countIndex: 'off' });
    const [event] = catalogue.events(1);
    catalogue.close();
    expect(event).toMatchObject({ kind: 'withdrawal', donorId: donor, actor: 'crash-test' });
    const auditedBefore = (await openAudit()).filter((e) => e.subject === donor);
    expect(auditedBefore).toEqual([]);

    const restarted = await openNode(config, { logger: silent });
    try {
      const entries = restarted.audit.list({ kind: 'withdrawal' }).filter((e) => e.subject === donor);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actor: 'crash-test', outcome: 'withdrawn', detail: { event: event!.id, epoch: event!.epoch, reconciled: true } });
      expect(restarted.audit.verifyChain().ok).toBe(true);
    } finally {
      await restarted.close();
    }
    // A second start finds nothing left to reconcile.
    const again = await openNode(config, { logger: silent });
    expect(again.audit.list({ kind: 'withdrawal' }).filter((e) => e.subject === donor)).toHaveLength(1);
    await again.close();

    // Without a crash, `biospec node withdraw` writes the entry itself, naming the catalogue event.
    const other = node.records.find((r) => r.donor_id !== donor)!.donor_id;
    const withdrawn = await biospec(['node', 'withdraw', '--dir', node.dir, '--donor', other]);
    expect(withdrawn.code).toBe(0);
    const last = (await openAudit()).filter((e) => e.subject === other);
    expect(last).toHaveLength(1);
    expect(last[0]!.detail).toMatchObject({ event: expect.any(Number) });
    expect(last[0]!.detail?.['reconciled']).toBeUndefined();
  } finally {
    fs.rmSync(path.dirname(node.dir), { recursive: true, force: true });
  }

  async function openAudit() {
    const { createAuditLog } = await import('@biospec/trust');
    const audit = createAuditLog(path.join(config.stateDir, 'audit.db'));
    try {
      return audit.list({ kind: 'withdrawal' });
    } finally {
      audit.close();
    }
  }
}, 60_000);
