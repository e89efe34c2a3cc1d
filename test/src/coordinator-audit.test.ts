import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { coordinatorAuditKeys } from '@biospec/coordinator';
import { queryHash, type Query } from '@biospec/query';
import { createAuditLog } from '@biospec/trust';
import { startExactFederation, type ExactFederation } from './harness/exact-federation.js';
import { biospec } from './harness/cli.js';

let net: ExactFederation;

beforeAll(async () => {
  net = await startExactFederation({ donorsPerSite: 60 });
}, 60_000);

afterAll(async () => {
  await net?.stop();
});

const coordinatorDir = () => path.join(net.federation.dir, 'coordinator');

test('every federated question is recorded with the pseudonym nodes saw, its hash, each site status and the outcome', async () => {
  const query: Query = { unit: 'donors', where: { op: 'in', field: 'sex', values: ['female'] } };
  const { status } = await net.rest('/api/v1/count', { query, purpose: 'DUO:0000006', project: 'audit-study' });
  expect(status).toBe(200);

  const [entry] = await net.federation.coordinator.audit.log.list({ kind: 'federated-query', order: 'desc', limit: 1 });
  const sites = Object.fromEntries(net.federation.nodes.map((n) => [n.site.id, 'ok']));
  expect(entry).toMatchObject({
    subject: queryHash(query),
    outcome: 'answered',
    detail: { project: 'audit-study', purpose: 'DUO:0000006', sites },
  });
  // The same pseudonym the nodes recorded: the coordinator's log never holds the login.
  const site = net.federation.nodes[0]!.site.id;
  const nodeLog = createAuditLog(path.join(net.federation.dir, 'nodes', site, 'state', 'audit.db'), { readonly: true });
  try {
    const [nodeEntry] = nodeLog.list({ kind: 'query', order: 'desc', limit: 1 });
    expect(entry?.actor).toMatch(/^r-[0-9a-f]{24}$/);
    expect(entry?.actor).toBe(nodeEntry?.actor);
  } finally {
    nodeLog.close();
  }
});

test('a refused question is recorded as rejected with its code', async () => {
  const { status } = await net.rest('/api/v1/count', { query: { unit: 'trees' }, purpose: 'DUO:0000006', project: 'audit-study' });
  expect(status).toBe(400);
  const [entry] = await net.federation.coordinator.audit.log.list({ kind: 'federated-query', order: 'desc', limit: 1 });
  expect(entry).toMatchObject({ subject: 'invalid', outcome: 'rejected', detail: { code: 'INVALID_QUERY', project: 'audit-study' } });
});

test('access actions are recorded through the same log, and the whole log verifies against the coordinator keys', async () => {
  const { coordinator } = net.federation;
  await coordinator.audit.recordAccess({ actor: 'staff@example.org', subject: 'request-1', action: 'request-approved', outcome: 'approved', detail: { sites: ['a'] } });
  const [entry] = await coordinator.audit.log.list({ kind: 'access', order: 'desc', limit: 1 });
  expect(entry).toMatchObject({ actor: 'staff@example.org', subject: 'request-1', outcome: 'approved', detail: { action: 'request-approved', sites: ['a'] } });

  await coordinator.audit.log.checkpoint();
  const report = await coordinator.audit.log.verify(await coordinatorAuditKeys(coordinator.config, coordinator.signingKey), {
    logId: coordinator.config.coordinatorId,
  });
  expect(report).toMatchObject({ ok: true, head: { seq: report.lastSeq, log: 'coordinator' } });

  const shown = await biospec(['coordinator', 'audit', '--dir', coordinatorDir(), '--limit', '1']);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toMatch(new RegExp(`^${report.lastSeq} .* access {2}approved {2}staff@example\\.org {2}request-1 `));
  expect(shown.stdout).toMatch(/audit log verified: \d+ entries, hash chain intact/);
});

test('coordinator audit reports a truncated copy of its log', async () => {
  await net.federation.coordinator.audit.log.checkpoint();
  const copy = `${coordinatorDir()}-copy`;
  fs.cpSync(coordinatorDir(), copy, { recursive: true });
  const raw = new Database(path.join(copy, 'state', 'audit.db'));
  raw.prepare('DELETE FROM audit_log WHERE seq > 1').run();
  raw.close();
  const shown = await biospec(['coordinator', 'audit', '--dir', copy]);
  expect(shown.code).toBe(1);
  expect(shown.stdout).toMatch(/ {2}truncated from entry 2 on: .*the log ends at entry 1/);
});
