/**
 * `biospec node backup` while the node answers, `biospec node restore` into a fresh folder, and
 * the restored node gives the same figures to the same questions (same noise secret, same data
 * epoch), keeps the budget ledger (repeats stay free) and an audit log that still verifies.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { DEFAULT_POLICY } from '@biospec/privacy';
import type { Query } from '@biospec/query';
import { signQuery } from '@biospec/trust';
import { loadNodeConfig, NODE_FILES, nodeAuditKeys, openNode, startNodeServer } from '@biospec/node';
import {
  addMember,
  COORDINATOR_FILES,
  coordinatorAuditKeys,
  initCoordinatorDir,
  issueResearcher,
  loadCoordinatorConfig,
  openCoordinator,
  startCoordinatorHttp,
} from '@biospec/coordinator';
import { FederatedCountResponse } from '@biospec/protocol';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';
import { biospec } from './harness/cli.js';

let work: string;
let node: SingleNode;
let coordinatorDir: string;

const QUESTIONS: Query[] = [
  { unit: 'specimens' },
  { unit: 'donors', where: { op: 'in', field: 'sex', values: ['female'] } },
  { unit: 'aliquots', where: { op: 'in', field: 'material_type', values: ['serum', 'plasma', 'whole-blood'] } },
  { unit: 'specimens', where: { op: 'age_range', min: 40, max: 70 }, stratify: ['sex'] },
  { unit: 'donors', where: { op: 'diagnosis', codes: ['C50', 'I21'] } },
];

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-backup-'));
  coordinatorDir = path.join(work, 'coordinator');
  // Eight questions an hour per researcher: the restored coordinator must remember how many were asked.
  await initCoordinatorDir(coordinatorDir, { grpcListen: '127.0.0.1:0', httpListen: '127.0.0.1:0', rateLimits: [{ limit: 8, windowSeconds: 3600 }] });
  node = await startSingleNode({
    coordinatorKeyFile: path.join(coordinatorDir, COORDINATOR_FILES.signingKey),
    donors: 600,
    // Noise on, so identical figures after the restore show the same secret and epoch; a budget that lasts the test.
    policy: { ...DEFAULT_POLICY, rateLimits: [{ limit: 100_000, windowSeconds: 60 }], budget: { epsilon: 1000, windowDays: 30 } },
  });
}, 120_000);

afterAll(async () => {
  await node?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const sign = (query: Query, key = node.coordinatorKey) =>
  signQuery({ query, purpose: 'DUO:0000006', researcher: 'r-backup', project: 'backup', audience: NODE_ID, issuer: 'coordinator' }, key);

/** What a researcher sees of an answer: the released total and every cell. */
const figures = (response: Awaited<ReturnType<SingleNode['count']>>) => ({
  total: response.result!.total!.display,
  strata: response.result!.strata.map((s) => `${JSON.stringify(s.key)}=${s.figure!.display}`),
  epoch: response.result!.dataEpoch,
});

test('a backup taken while the node answers restores into a fresh folder that gives identical answers', async () => {
  const before = [];
  for (const query of QUESTIONS) before.push(figures(await node.count(await sign(query))));

  // Questions keep coming while the backup runs in its own process.
  let answeredDuring = 0;
  let backingUp = true;
  const load = (async () => {
    while (backingUp) {
      await node.count(await sign(QUESTIONS[answeredDuring % QUESTIONS.length]!));
      answeredDuring += 1;
    }
  })();
  const out = path.join(work, 'backup-with-keys');
  const backup = await biospec(['node', 'backup', '--dir', node.dir, '--out', out, '--include-keys']);
  backingUp = false;
  await load;
  expect(backup.stderr).toBe('');
  expect(backup.code).toBe(0);
  expect(backup.stdout).toMatch(/backup of node test-node written to .* \(with keys\)/);
  expect(answeredDuring).toBeGreaterThan(0);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'backup.json'), 'utf8')) as { items: { role: string }[] };
  expect(manifest.items.map((i) => i.role)).toEqual(
    expect.arrayContaining(['config', 'catalogue', 'replay', 'budget', 'holds', 'rate-limits', 'audit-head', 'audit', 'signing-key', 'noise-secret']),
  );

  // Restoring under the running node is refused, even with --force.
  const underRunning = await biospec(['node', 'restore', '--from', out, '--dir', node.dir, '--force']);
  expect(underRunning.code).toBe(1);
  expect(underRunning.stderr).toMatch(/the node is running \(pid \d+/);

  const fresh = path.join(work, 'restored');
  const restore = await biospec(['node', 'restore', '--from', out, '--dir', fresh]);
  expect(restore.stderr).toBe('');
  expect(restore.stdout).toMatch(/^restored node test-node from the backup of .*: \d+ files/);
  // A second restore into the same folder is refused unless forced.
  expect((await biospec(['node', 'restore', '--from', out, '--dir', fresh])).stderr).toMatch(/already holds .*pass --force/);

  const config = loadNodeConfig(path.join(fresh, NODE_FILES.config));
  const restored = await openNode(config, { logger: pino({ level: 'silent' }) });
  const server = await startNodeServer(restored);
  const { NodeServiceClient } = await import('@biospec/protocol');
  const { credentials, Metadata } = await import('@grpc/grpc-js');
  const client = new NodeServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
  const ask = (signedQuery: string) =>
    new Promise<Awaited<ReturnType<SingleNode['count']>>>((resolve, reject) =>
      client.count({ signedQuery }, new Metadata(), { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res))),
    );
  try {
    for (const [i, query] of QUESTIONS.entries()) {
      const answer = await ask(await sign(query));
      expect(figures(answer)).toEqual(before[i]);
      // The ledger came along: these questions were paid for before the backup.
      expect(answer.result!.charged).toBe(0);
    }
    const audit = await restored.audit.verify(await nodeAuditKeys(config, restored.signingKey), { logId: NODE_ID });
    expect(audit.ok).toBe(true);
    expect(restored.audit.size().entries).toBeGreaterThanOrEqual(QUESTIONS.length * 2);
  } finally {
    client.close();
    await server.stop(200);
  }
});

test('a backup without keys restores everything else and names the secrets to put back', async () => {
  const out = path.join(work, 'backup-without-keys');
  expect((await biospec(['node', 'backup', '--dir', node.dir, '--out', out])).stdout).toMatch(/without keys/);
  expect(fs.readdirSync(out)).not.toEqual(expect.arrayContaining(['signing-key.json']));
  const restore = await biospec(['node', 'restore', '--from', out, '--dir', path.join(work, 'keyless')]);
  expect(restore.code).toBe(0);
  expect(restore.stderr).toMatch(/missing secret .*node-key\.jwk\.json/);
  expect(restore.stderr).toMatch(/missing secret .*noise-secret/);

  // A damaged copy is refused before anything is written.
  fs.appendFileSync(path.join(out, 'catalogue.db'), 'x');
  const damaged = await biospec(['node', 'restore', '--from', out, '--dir', path.join(work, 'never')]);
  expect(damaged.code).toBe(1);
  expect(damaged.stderr).toMatch(/is damaged; nothing was restored: field catalogue\.db: does not match its checksum\n$/);
  expect(fs.existsSync(path.join(work, 'never'))).toBe(false);
});

test("a coordinator's backup taken while it answers restores its researchers, rate-limit windows and audit log", async () => {
  addMember(coordinatorDir, { id: NODE_ID, name: 'Backed-up Site', endpoint: node.server.address, jwksFile: path.join(node.dir, 'node.jwks.json') });
  const { token } = await issueResearcher(coordinatorDir, { subject: 'backup@example.org' });
  const serve = async (dir: string) => {
    const opened = await openCoordinator(loadCoordinatorConfig(path.join(dir, COORDINATOR_FILES.config)), { logger: pino({ level: 'silent' }) });
    const http = await startCoordinatorHttp(opened);
    const ask = async (query: Query) => {
      const response = await fetch(`${http.url}/api/v1/count`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query, purpose: 'DUO:0000006', project: 'backup' }),
      });
      return { status: response.status, body: (await response.json()) as unknown };
    };
    return { opened, ask, stop: async () => (await http.stop(), await opened.close()) };
  };
  const total = (body: unknown) => FederatedCountResponse.fromJSON(body).total?.display;

  const original = await serve(coordinatorDir);
  const before: (string | undefined)[] = [];
  try {
    for (const query of QUESTIONS.slice(0, 3)) before.push(total((await original.ask(query)).body));
    const asking = original.ask(QUESTIONS[3]!);
    const out = path.join(work, 'coordinator-backup');
    const backup = await biospec(['coordinator', 'backup', '--dir', coordinatorDir, '--out', out, '--include-keys']);
    expect((await asking).status).toBe(200);
    expect(backup.stderr).toBe('');
    expect(backup.stdout).toMatch(/backup of coordinator coordinator written to .* \(with keys\)/);
    expect(backup.stdout).toMatch(/member-keys-test-node/);

    const fresh = path.join(work, 'coordinator-restored');
    expect((await biospec(['coordinator', 'restore', '--from', out, '--dir', fresh])).code).toBe(0);
    await original.stop();
    const restored = await serve(fresh);
    try {
      // The same token is the same person (researcher records and key restored), with the same answers.
      for (const [i, query] of QUESTIONS.slice(0, 3).entries()) expect(total((await restored.ask(query)).body)).toBe(before[i]);
      // 4 questions before the backup, 3 after: one more fits the 8 an hour, then 429.
      expect((await restored.ask(QUESTIONS[4]!)).status).toBe(200);
      expect((await restored.ask(QUESTIONS[4]!)).status).toBe(429);
      const config = loadCoordinatorConfig(path.join(fresh, COORDINATOR_FILES.config));
      const audit = await restored.opened.audit.log.verify(await coordinatorAuditKeys(config, restored.opened.signingKey), { logId: 'coordinator' });
      expect(audit.ok).toBe(true);
    } finally {
      await restored.stop();
    }
  } catch (error) {
    await original.stop().catch(() => undefined);
    throw error;
  }
});
