/**
 * A coordinator killed with SIGKILL in the middle of the access workflow restarts with every
 * request, transition, comment, grant and revocation it acknowledged: the coordinator runs as
 * `biospec coordinator start` in a child process, is killed while requests are in flight, and
 * is started again on the same folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateEncryptionKey, type AccessRequestView, type GrantView } from '@biospec/access';
import { addMember, initCoordinatorDir, issueResearcher } from '@biospec/coordinator';
import { initNodeDir } from '@biospec/node';
import { startChildCoordinator, type ChildCoordinator } from './harness/child-coordinator.js';

let dir: string;
let coordinatorDir: string;
let coordinator: ChildCoordinator | undefined;
const tokens: Record<string, string> = {};

async function rest(method: string, pathname: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(coordinator!.url + pathname, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

async function ok(method: string, pathname: string, token: string, body?: unknown): Promise<any> {
  const { status, body: answer } = await rest(method, pathname, token, body);
  if (status >= 300) throw new Error(`${method} ${pathname}: ${status} ${JSON.stringify(answer)}`);
  return answer;
}

/** SIGKILL, then start again on the same folder. */
async function killAndRestart(): Promise<void> {
  coordinator!.process.kill('SIGKILL');
  await coordinator!.exited;
  coordinator = await startChildCoordinator(coordinatorDir);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-access-restart-'));
  coordinatorDir = path.join(dir, 'coordinator');
  await initCoordinatorDir(coordinatorDir, { grpcListen: '127.0.0.1:0', httpListen: '127.0.0.1:0' });
  for (const id of ['north', 'south']) {
    const { publicKeys } = await initNodeDir(path.join(dir, id), { nodeId: id, name: id, listen: '127.0.0.1:0' });
    // No node runs: the workflow needs members, not their answers (a revocation push to them fails and is logged).
    addMember(coordinatorDir, { id, name: id, endpoint: '127.0.0.1:1', jwksFile: publicKeys });
  }
  for (const [name, roles] of [
    ['researcher', ['researcher']],
    ['staff', ['staff']],
    ['north', ['steward:north']],
    ['south', ['steward:south']],
  ] as const) {
    tokens[name] = (await issueResearcher(coordinatorDir, { subject: `${name}@example.org`, name, roles: [...roles] })).token;
  }
  coordinator = await startChildCoordinator(coordinatorDir);
}, 60_000);

afterAll(async () => {
  if (coordinator && coordinator.process.exitCode === null && coordinator.process.signalCode === null) {
    coordinator.process.kill('SIGTERM');
    await coordinator.exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('SIGKILL mid-workflow loses no acknowledged request, transition, comment, grant or revocation', async () => {
  const { publicJwk } = await generateEncryptionKey('X25519');
  const created: AccessRequestView = await ok('POST', '/api/v1/access/requests', tokens.researcher!, {
    title: 'Restart cohort',
    description: 'Survives a crash.',
    ethicsReference: 'EC-9',
    purpose: 'DUO:0000006',
    origin: { kind: 'count', query: { unit: 'donors' } },
    collections: [
      { nodeId: 'north', collectionId: 'a' },
      { nodeId: 'south', collectionId: 'b' },
    ],
    encryptionKey: publicJwk,
  });
  const id = created.request.id;
  await ok('POST', `/api/v1/access/requests/${id}/actions/submit`, tokens.researcher!, {});
  await ok('POST', `/api/v1/access/requests/${id}/actions/review`, tokens.staff!, {});
  await ok('POST', `/api/v1/access/requests/${id}/actions/approve`, tokens.staff!, { reason: 'fine' });
  await ok('POST', `/api/v1/access/requests/${id}/sites/north/actions/approve`, tokens.north!, {});

  // Comments in flight when the process dies: every one acknowledged must be there after the restart.
  const sent = Array.from({ length: 12 }, (_, i) =>
    rest('POST', `/api/v1/access/requests/${id}/comments`, tokens.staff!, { body: `note ${i}` }).then(
      (r) => ({ i, status: r.status }),
      () => ({ i, status: 0 }),
    ),
  );
  await Promise.race(sent);
  const before: AccessRequestView = await ok('GET', `/api/v1/access/requests/${id}`, tokens.staff!);
  coordinator!.process.kill('SIGKILL');
  const outcomes = await Promise.all(sent);
  await coordinator!.exited;
  coordinator = await startChildCoordinator(coordinatorDir);

  const after: AccessRequestView = await ok('GET', `/api/v1/access/requests/${id}`, tokens.staff!);
  const acknowledged = outcomes.filter((o) => o.status === 200).map((o) => `note ${o.i}`);
  expect(acknowledged.length).toBeGreaterThan(0);
  expect(after.comments.map((c) => c.body)).toEqual(expect.arrayContaining(acknowledged));
  expect(after.timeline).toEqual(before.timeline);
  expect(after.grants).toEqual(before.grants);
  expect(after.comments.slice(0, before.comments.length)).toEqual(before.comments);
  expect(after.request.sites.map((s) => [s.nodeId, s.state])).toEqual([
    ['north', 'approved'],
    ['south', 'pending'],
  ]);
  expect(after.timeline.map((t) => `${t.nodeId ?? 'request'}:${t.to}`)).toEqual(['request:draft', 'request:submitted', 'request:under_review', 'request:approved', 'north:approved']);
  expect(after.grants.map((g) => g.nodeId)).toEqual(['north']);

  // Go on after the restart, then kill again right after a revocation is acknowledged.
  await ok('POST', `/api/v1/access/requests/${id}/sites/south/actions/hold`, tokens.south!, { reason: 'counting' });
  await ok('POST', `/api/v1/access/requests/${id}/sites/south/actions/approve`, tokens.south!, {});
  const grants = (await ok('GET', `/api/v1/access/requests/${id}`, tokens.staff!)).grants as GrantView[];
  const revoked: GrantView = await ok('POST', `/api/v1/access/grants/${grants[0]!.id}/revoke`, tokens.staff!, { reason: 'consent withdrawn' });
  const beforeKill: AccessRequestView = await ok('GET', `/api/v1/access/requests/${id}`, tokens.researcher!);
  await killAndRestart();
  const afterKill: AccessRequestView = await ok('GET', `/api/v1/access/requests/${id}`, tokens.researcher!);
  expect(afterKill).toEqual(beforeKill);
  expect(afterKill.grants.find((g) => g.id === revoked.id)).toMatchObject({ revokeReason: 'consent withdrawn', revokedAt: revoked.revokedAt });
  expect(afterKill.grants.filter((g) => g.revokedAt === null).map((g) => g.nodeId)).toEqual(['south']);
}, 120_000);
