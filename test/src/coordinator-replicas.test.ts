/**
 * Two coordinators, each its own process, on one PostgreSQL database serve the same network:
 * a researcher registered through one is the same person through the other, rate-limit windows
 * and the audit log are shared (one hash chain, whoever appends), an access request made through
 * one is seen, decided and granted through the other (two staff approving it at once through
 * both: one wins), a node suspended through one stops being asked by the other, a backup of
 * either says its state is in PostgreSQL, and either can be killed with SIGKILL without losing
 * anything it answered: the other goes on serving.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateEncryptionKey } from '@biospec/access';
import { COORDINATOR_FILES, addMember, initCoordinatorDir } from '@biospec/coordinator';
import { startPostgresServer, type PostgresServer } from '@biospec/postgres/testing';
import { startSingleNode, NODE_ID, type SingleNode } from './harness/single-node.js';
import { startChildCoordinator, type ChildCoordinator } from './harness/child-coordinator.js';
import { biospec } from './harness/cli.js';

let work: string;
let pg: PostgresServer;
let env: Record<string, string>;
let node: SingleNode;
let dirA: string;
let dirB: string;
let a: ChildCoordinator;
let b: ChildCoordinator;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-replicas-'));
  pg = await startPostgresServer();
  env = { BIOSPEC_COORDINATOR_DATABASE_URL: await pg.createDatabase('network') };
  dirA = path.join(work, 'coordinator-a');
  // Five questions an hour per researcher, network-wide.
  await initCoordinatorDir(dirA, { rateLimits: [{ limit: 5, windowSeconds: 3600 }] });
  node = await startSingleNode({ donors: 150, coordinatorKeyFile: path.join(dirA, COORDINATOR_FILES.signingKey) });
  addMember(dirA, { id: NODE_ID, name: 'Shared Site', endpoint: node.server.address, jwksFile: path.join(node.dir, 'node.jwks.json') });
  // The second replica: the same keys, pseudonym secret and members, a state folder of its own.
  dirB = path.join(work, 'coordinator-b');
  fs.cpSync(dirA, dirB, { recursive: true });
  // Only the coordinator's user may enter its folder (a copy gets the default mode).
  fs.chmodSync(dirB, 0o700);
  fs.rmSync(path.join(dirB, 'state'), { recursive: true });
  fs.mkdirSync(path.join(dirB, 'state'), { mode: 0o700 });
  const started = await Promise.allSettled([startChildCoordinator(dirA, env), startChildCoordinator(dirB, env)]);
  for (const s of started) if (s.status === 'fulfilled') (s === started[0] ? (a = s.value) : (b = s.value));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
}, 180_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await node?.stop();
  pg?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

async function researcher(subject: string, via: string, roles: string[] = []): Promise<string> {
  const added = await biospec(['coordinator', 'researcher', 'add', '--dir', via, '--subject', subject, ...roles.flatMap((r) => ['--role', r])], { env });
  expect(added.code).toBe(0);
  return added.stdout.trim();
}

async function ask(coordinator: ChildCoordinator, token: string, requestId: string, query: unknown = { unit: 'donors' }) {
  const response = await fetch(`${coordinator.url}/api/v1/count`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ query, purpose: 'DUO:0000006', project: 'replicas' }),
  });
  return response.status;
}

async function rest(coordinator: ChildCoordinator, method: string, pathname: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(coordinator.url + pathname, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

/** The nodes a replica asks now. */
async function askedBy(coordinator: ChildCoordinator, token: string): Promise<string[]> {
  return (await rest(coordinator, 'GET', '/api/v1/nodes', token)).body.nodes.map((n: { nodeId: string }) => n.nodeId);
}

/** Waits until `check` holds (a replica reads shared memberships every few seconds). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function auditThrough(dir: string): Promise<{ code: number; stdout: string }> {
  return biospec(['coordinator', 'audit', '--dir', dir, '--limit', '1000'], { env });
}

test('both replicas are ready and answer; a researcher registered through one is the same person through the other', async () => {
  for (const c of [a, b]) expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
  const token = await researcher('alice@example.org', dirA);
  expect(await ask(a, token, 'alice-via-a')).toBe(200);
  expect(await ask(b, token, 'alice-via-b')).toBe(200);
  // The node saw one pseudonym: one researcher record, whichever coordinator asked.
  const [viaB, viaA] = node.node.audit.list({ kind: 'query', order: 'desc', limit: 2 });
  expect(viaA?.detail?.['requestId']).toBe('alice-via-a');
  expect(viaB?.detail?.['requestId']).toBe('alice-via-b');
  expect(viaA?.actor).toBe(viaB?.actor);
  // A question asked through A is in the log read through B's configuration.
  const audit = await auditThrough(dirB);
  expect(audit.stdout).toMatch(/"requestId":"alice-via-a"/);
  expect(audit.stdout).toMatch(/"requestId":"alice-via-b"/);
});

test('rate-limit windows are the network\'s: questions through either replica count against one limit', async () => {
  const token = await researcher('bob@example.org', dirB);
  const statuses = [];
  for (const [i, c] of [a, a, a, b, b, b, a].entries()) statuses.push(await ask(c, token, `bob-${i}`));
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
});

test('questions through both replicas at once append to one hash chain that verifies', async () => {
  const tokens = await Promise.all(['carol', 'dave', 'erin', 'frank'].map((name) => researcher(`${name}@example.org`, dirA)));
  const statuses = await Promise.all(tokens.flatMap((token, t) => [a, b, a, b].map((c, i) => ask(c, token, `burst-${t}-${i}`))));
  expect(statuses.every((s) => s === 200)).toBe(true);
  const audit = await auditThrough(dirA);
  expect(audit.code).toBe(0);
  expect(audit.stdout).toMatch(/audit log verified: \d+ entries, hash chain intact, matches the head signed/);
  for (let t = 0; t < 4; t++) for (let i = 0; i < 4; i++) expect(audit.stdout).toContain(`"requestId":"burst-${t}-${i}"`);
});

test('an access request made through one replica is seen, with its timeline, and decided through the other; its grant is seen through the first', async () => {
  const [rita, sam, stella] = await Promise.all([
    researcher('rita@example.org', dirA),
    researcher('sam@example.org', dirB, ['staff']),
    researcher('stella@example.org', dirA, [`steward:${NODE_ID}`]),
  ]);
  const { publicJwk } = await generateEncryptionKey();
  const created = await rest(a, 'POST', '/api/v1/access/requests', rita, {
    title: 'Replicated request',
    description: 'Asked through A, decided through B',
    ethicsReference: 'EC-R1',
    purpose: 'DUO:0000006',
    origin: { kind: 'count', query: { unit: 'donors' } },
    collections: [{ nodeId: NODE_ID, collectionId: 'any' }],
    encryptionKey: publicJwk,
  });
  expect(created.status).toBe(201);
  const id: string = created.body.request.id;
  expect((await rest(a, 'POST', `/api/v1/access/requests/${id}/actions/submit`, rita, {})).status).toBe(200);

  const seen = await rest(b, 'GET', `/api/v1/access/requests/${id}`, sam);
  expect(seen.status).toBe(200);
  expect(seen.body.request).toMatchObject({ title: 'Replicated request', state: 'submitted', sites: [{ nodeId: NODE_ID, state: 'pending' }] });
  expect(seen.body.timeline.map((t: { action: string; to: string }) => `${t.action}:${t.to}`)).toEqual(['create:draft', 'submit:submitted']);
  expect((await rest(b, 'GET', '/api/v1/access/requests?state=submitted', sam)).body.requests.map((r: { id: string }) => r.id)).toContain(id);
  expect((await rest(b, 'POST', `/api/v1/access/requests/${id}/actions/review`, sam, {})).status).toBe(200);

  // Staff approve at once through both replicas: one approval is stored, the other finds the request approved.
  const both = await Promise.all([a, b].map((c) => rest(c, 'POST', `/api/v1/access/requests/${id}/actions/approve`, sam, { reason: 'fine' })));
  expect(both.map((r) => r.status).sort()).toEqual([200, 412]);
  expect(both.find((r) => r.status === 412)?.body.error.message).toMatch(new RegExp(`^request ${id} is (now )?approved`));

  const decided = await rest(b, 'POST', `/api/v1/access/requests/${id}/sites/${NODE_ID}/actions/approve`, stella, {});
  expect(decided.status).toBe(200);
  const viaA = await rest(a, 'GET', `/api/v1/access/requests/${id}`, rita);
  expect(viaA.body.request).toMatchObject({ state: 'approved', sites: [{ nodeId: NODE_ID, state: 'approved' }] });
  expect(viaA.body.timeline.map((t: { nodeId: string | null; to: string }) => `${t.nodeId ?? 'request'}:${t.to}`)).toEqual([
    'request:draft',
    'request:submitted',
    'request:under_review',
    'request:approved',
    `${NODE_ID}:approved`,
  ]);
  expect(viaA.body.grants).toEqual([expect.objectContaining({ nodeId: NODE_ID, revokedAt: null })]);
  expect(viaA.body.grants[0].id).toBe(decided.body.grants[0].id);
}, 60_000);

test('a node suspended through one replica stops being asked by the other; re-admitted through that one, both ask it again', async () => {
  const staff = await researcher('sue@example.org', dirA, ['researcher', 'staff']);
  expect(await askedBy(a, staff)).toEqual([NODE_ID]);
  const suspended = await rest(b, 'POST', `/api/v1/membership/${NODE_ID}/actions/suspend`, staff, { reason: 'audit overdue' });
  expect(suspended.body.membership?.state).toBe('suspended');
  expect((await rest(a, 'GET', `/api/v1/membership/${NODE_ID}`, staff)).body.membership.state).toBe('suspended');
  expect(await askedBy(b, staff)).toEqual([]);
  await eventually(async () => (await askedBy(a, staff)).length === 0, 'A stops asking the node B suspended');

  expect((await rest(a, 'POST', `/api/v1/membership/${NODE_ID}/actions/readmit`, staff, {})).body.membership?.state).toBe('approved');
  expect(await askedBy(a, staff)).toEqual([NODE_ID]);
  await eventually(async () => (await askedBy(b, staff)).includes(NODE_ID), 'B asks the node A re-admitted');
  expect(await ask(b, staff, 'sue-after-readmit')).toBe(200);
  const history = (await rest(b, 'GET', `/api/v1/membership/${NODE_ID}`, staff)).body.history;
  expect(history.map((t: { to: string }) => t.to)).toEqual(['approved', 'suspended', 'approved']);
}, 60_000);

test('a backup of a replica holds its files and keys and says its state is in PostgreSQL', async () => {
  const out = path.join(work, 'backup-b');
  const backup = await biospec(['coordinator', 'backup', '--dir', dirB, '--out', out], { env });
  expect(backup.code).toBe(0);
  expect(backup.stdout).toMatch(/^config\s+file/m);
  expect(backup.stdout).not.toMatch(/^(people|audit|access|rate-limits)\s/m);
  expect(backup.stdout).toContain('researcher records, rate-limit windows, audit log and access workflow are in PostgreSQL, not in this backup: back them up with pg_dump');
  expect(fs.readdirSync(path.join(dirB, 'state')).filter((f) => f.endsWith('.db'))).toEqual([]);
});

test('a replica killed with SIGKILL loses nothing it answered, and the other goes on serving', async () => {
  const token = await researcher('grace@example.org', dirA);
  expect(await ask(a, token, 'grace-before-kill')).toBe(200);
  const inFlight = Promise.allSettled([ask(a, token, 'grace-in-flight-1'), ask(a, token, 'grace-in-flight-2')]);
  a.process.kill('SIGKILL');
  await a.stop();
  const outcomes = await inFlight;
  expect(a.process.signalCode).toBe('SIGKILL');

  expect(await ask(b, token, 'grace-after-kill')).toBe(200);
  expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
  const audit = await auditThrough(dirB);
  expect(audit.code).toBe(0);
  expect(audit.stdout).toMatch(/audit log verified: .*hash chain intact/);
  expect(audit.stdout).toContain('"requestId":"grace-before-kill"');
  expect(audit.stdout).toContain('"requestId":"grace-after-kill"');
  // Every question the killed replica answered before it died is in the shared log.
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled' && outcome.value === 200) expect(audit.stdout).toContain(`"requestId":"grace-in-flight-${i + 1}"`);
  });
});
