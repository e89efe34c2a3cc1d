/**
 * Two coordinators, each its own process, on one PostgreSQL database serve the same network:
 * a researcher registered through one is the same person through the other, rate-limit windows
 * and the audit log are shared (one hash chain, whoever appends), and either can be killed with
 * SIGKILL without losing anything it answered: the other goes on serving.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

async function researcher(subject: string, via: string): Promise<string> {
  const added = await biospec(['coordinator', 'researcher', 'add', '--dir', via, '--subject', subject], { env });
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
