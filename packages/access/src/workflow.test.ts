import { canonicalise, parseQuery, queryHash } from '@biospec/query';
import { createKeyRing } from '@biospec/trust';
import { encryptionKeyThumbprint } from './granted-detail.js';
import { checkGrant, checkRevocationStamp, revocationListDigest, verifyRevocationList } from './grant-token.js';
import { sendDueReminders } from './reminders.js';
import { createWorkflowFixture, requestInput, type WorkflowFixture } from './testing/workflow-fixture.js';
import type { AccessCaller } from './permissions.js';

let f: WorkflowFixture;
let rita: AccessCaller;
let sam: AccessCaller;
let nora: AccessCaller;
let sol: AccessCaller;

beforeAll(async () => {
  f = await createWorkflowFixture();
  rita = await f.caller('Rita Researcher', ['researcher'], 'rita@uni.example');
  sam = await f.caller('Sam Staff', ['staff'], 'dac@coordinator.example');
  nora = await f.caller('Nora North', ['steward:north'], 'nora@north.example');
  sol = await f.caller('Sol South', ['steward:south'], 'sol@south.example');
});
afterAll(() => f.close());

const later = (hours: number) => {
  f.clock.now = new Date(f.clock.now.getTime() + hours * 3600_000);
};
const lastNotification = () => f.notifications[f.notifications.length - 1]!;
const emails = (n = lastNotification()) => n.recipients.map((r) => r.email).sort();

test('one request from draft to grants: two levels of state, timeline, comments, notifications, audit', async () => {
  const created = await f.workflow.create(rita, requestInput(f.encryptionKey.publicJwk));
  const id = created.request.id;
  expect(id).toMatch(/^req-[a-z2-9]{12}$/);
  expect(created.request).toMatchObject({
    state: 'draft',
    researcherId: rita.personId,
    origin: { kind: 'availability', queryHash: queryHash(canonicalise(parseQuery({ unit: 'specimens', where: { op: 'diagnosis', codes: ['C50'] } }))) },
    sites: [
      { nodeId: 'north', state: 'pending', collections: ['breast', 'tumour-bank'] },
      { nodeId: 'south', state: 'pending', collections: ['oncology'] },
    ],
    attachments: [{ name: 'protocol.pdf', sha256: 'e'.repeat(64), bytes: 48213 }],
  });
  expect(created.researcher).toEqual({ personId: rita.personId, name: 'Rita Researcher', email: 'rita@uni.example' });

  await f.workflow.act(rita, id, 'submit');
  expect(lastNotification()).toMatchObject({ event: 'request-submitted', requestId: id });
  expect(emails()).toEqual(['dac@coordinator.example']);
  later(1);
  await f.workflow.act(sam, id, 'review');
  await f.workflow.act(sam, id, 'return', { reason: 'name the ethics committee' });
  expect(emails()).toEqual(['dac@coordinator.example', 'rita@uni.example']);
  await f.workflow.update(rita, id, { ethicsReference: 'EC-2026-017 (Ethics Committee North)' });
  await f.workflow.act(rita, id, 'submit', { reason: 'committee named' });
  await f.workflow.act(sam, id, 'review');
  await f.workflow.comment(sam, id, { body: 'Looks complete; forwarding to the sites.' });
  expect(emails()).toEqual(['nora@north.example', 'rita@uni.example', 'sol@south.example']);
  later(1);
  await f.workflow.act(sam, id, 'approve', { reason: 'ethics and purpose in order' });
  expect(f.notifications.slice(-2).map((n) => [n.event, emails(n)])).toEqual([
    ['request-approved', ['rita@uni.example']],
    ['site-asked', ['nora@north.example', 'sol@south.example']],
  ]);

  // Sites decide only now; north holds, then approves (its grant), south declines (no grant).
  later(2);
  await f.workflow.decideSite(nora, id, 'north', 'hold', { reason: 'checking the freezer inventory' });
  await f.workflow.comment(nora, id, { body: 'Two of the blocks are reserved for another study.', nodeId: 'north' });
  await f.workflow.decideSite(nora, id, 'north', 'approve', { reason: 'inventory confirmed' });
  await f.workflow.decideSite(sol, id, 'south', 'decline', { reason: 'consent does not cover genetic research' });
  const view = await f.workflow.get(rita, id);
  expect(view.request.sites.map((s) => [s.nodeId, s.state])).toEqual([
    ['north', 'approved'],
    ['south', 'declined'],
  ]);
  expect(view.grants.map((g) => g.nodeId)).toEqual(['north']);
  expect(view.grants[0]).not.toHaveProperty('token');

  // The timeline: every transition with actor, time and reason.
  expect(view.timeline.map((t) => [t.nodeId, t.from, t.to, t.actor.role, t.reason])).toEqual([
    [null, null, 'draft', 'researcher', ''],
    [null, 'draft', 'submitted', 'researcher', ''],
    [null, 'submitted', 'under_review', 'staff', ''],
    [null, 'under_review', 'returned', 'staff', 'name the ethics committee'],
    [null, 'returned', 'submitted', 'researcher', 'committee named'],
    [null, 'submitted', 'under_review', 'staff', ''],
    [null, 'under_review', 'approved', 'staff', 'ethics and purpose in order'],
    ['north', 'pending', 'on_hold', 'steward:north', 'checking the freezer inventory'],
    ['north', 'on_hold', 'approved', 'steward:north', 'inventory confirmed'],
    ['south', 'pending', 'declined', 'steward:south', 'consent does not cover genetic research'],
  ]);
  expect(view.timeline[8]!.actor).toEqual({ personId: nora.personId, name: 'Nora North', role: 'steward:north' });
  expect(view.comments.map((c) => [c.author.role, c.nodeId, c.body])).toEqual([
    ['staff', null, 'Looks complete; forwarding to the sites.'],
    ['steward:north', 'north', 'Two of the blocks are reserved for another study.'],
  ]);

  // The grant the node will check: the researcher's pseudonym, the node, the request, the question, the key thumbprint.
  const grant = (await f.store.grants.list({ requestId: id }))[0]!;
  const ring = await createKeyRing([f.key.publicJwk], { issuers: ['coordinator'] });
  const fetch = await f.workflow.prepareGrantedFetch(rita, id, 'north');
  const claims = {
    iss: 'coordinator',
    aud: 'north',
    iat: 0,
    exp: 0,
    jti: 'q',
    query: view.request.origin.query,
    query_hash: view.request.origin.queryHash,
    purpose: 'DUO:0000006',
    researcher: rita.pseudonym,
    project: id,
    question: 'granted-availability' as const,
    request: id,
    revocations: { version: fetch.revocations.version, sha256: fetch.revocations.sha256 },
  };
  const stamp = await checkRevocationStamp(claims, fetch.revocations.token, ring, { version: 0, revoked: [] });
  const checked = { grant: await checkGrant({ grant: grant.token, claims, keys: ring, nodeId: 'north', revoked: stamp.revoked, now: () => f.clock.now.getTime() }) };
  expect(checked.grant.biospec_grant).toEqual({ request: id, query_hash: view.request.origin.queryHash, collections: ['breast', 'tumour-bank'], jkt: await encryptionKeyThumbprint(f.encryptionKey.publicJwk) });
  expect(checked.grant.sub).toBe(rita.pseudonym);
  await expect(f.workflow.prepareGrantedFetch(rita, id, 'south')).rejects.toThrow(`site south of request ${id} is declined; granted availability needs a site that approved`);

  // Audit: every step, researchers by pseudonym.
  expect(f.audit.filter((a) => a.subject === id).map((a) => a.action)).toEqual([
    'request-created',
    'request-submit',
    'request-review',
    'request-return',
    'request-edited',
    'request-submit',
    'request-review',
    'comment-added',
    'request-approve',
    'site-hold',
    'comment-added',
    'site-approve',
    'grant-issued',
    'site-decline',
  ]);
  expect(f.audit.find((a) => a.action === 'request-created')?.actor).toBe(rita.pseudonym);
  expect(f.audit.find((a) => a.action === 'site-approve')?.actor).toBe(`steward:north ${nora.personId}`);

  // Revocation: a new signed list, pushed, naming the grant; a second revocation is refused.
  const revoked = await f.workflow.revokeGrant(nora, grant.id, { reason: 'consent withdrawn by two donors' });
  expect(revoked).toMatchObject({ id: grant.id, revokeReason: 'consent withdrawn by two donors' });
  expect(f.pushed.map((l) => l.version)).toEqual([1]);
  expect(await verifyRevocationList(f.pushed[0]!.token, ring)).toMatchObject({ version: 1, revoked: [grant.id] });
  expect(await f.workflow.revocationList()).toEqual(f.pushed[0]);
  await expect(f.workflow.prepareGrantedFetch(rita, id, 'north')).rejects.toThrow(`no standing grant for request ${id} at site north (revoked or expired)`);
  await expect(f.workflow.revokeGrant(sam, grant.id, { reason: 'again' })).rejects.toThrow(/was already revoked/);
  expect(revocationListDigest(f.pushed[0]!.token)).toMatch(/^[0-9a-f]{64}$/);
});

test('reminders go to the stewards of sites still pending after the configured time, once per period', async () => {
  const { request } = await f.workflow.create(rita, requestInput(f.encryptionKey.publicJwk, { title: 'Reminders' }));
  await f.workflow.act(rita, request.id, 'submit');
  await f.workflow.act(sam, request.id, 'review');
  await f.workflow.act(sam, request.id, 'approve');
  await f.workflow.decideSite(sol, request.id, 'south', 'approve');
  const sent: string[][] = [];
  const remind = () =>
    sendDueReminders({
      requests: f.store.requests,
      people: f.people,
      notifier: { notify: async (n) => void sent.push([n.event, n.nodeId ?? '', ...n.recipients.map((r) => r.email ?? '')]), close: async () => {} },
      afterMs: 48 * 3600_000,
      requestUri: (x) => x,
      now: () => f.clock.now,
    });
  expect(await remind()).toEqual([]);
  later(49);
  const due = await remind();
  expect(due).toContain(`${request.id}/north`);
  expect(due).not.toContain(`${request.id}/south`);
  expect(sent).toContainEqual(['site-reminder', 'north', 'nora@north.example']);
  const before = sent.length;
  later(1);
  expect(await remind()).not.toContain(`${request.id}/north`);
  expect(sent).toHaveLength(before);
  await f.workflow.decideSite(nora, request.id, 'north', 'hold', { reason: 'checking' });
  later(100);
  expect(await remind()).not.toContain(`${request.id}/north`);
});

test('concluding or abandoning a request revokes its standing grants in one new list', async () => {
  const { request } = await f.workflow.create(rita, requestInput(f.encryptionKey.publicJwk, { title: 'Ends' }));
  await f.workflow.act(rita, request.id, 'submit');
  await f.workflow.act(sam, request.id, 'review');
  await f.workflow.act(sam, request.id, 'approve');
  await f.workflow.decideSite(nora, request.id, 'north', 'approve');
  await f.workflow.decideSite(sol, request.id, 'south', 'approve');
  const versionBefore = (await f.workflow.revocationList())?.version ?? 0;
  await f.workflow.act(rita, request.id, 'abandon', { reason: 'funding ended' });
  const list = (await f.workflow.revocationList())!;
  expect(list.version).toBe(versionBefore + 1);
  const ring = await createKeyRing([f.key.publicJwk]);
  const grants = await f.store.grants.list({ requestId: request.id });
  expect(grants.map((g) => g.revokeReason)).toEqual(['request abandoned', 'request abandoned']);
  expect((await verifyRevocationList(list.token, ring)).revoked).toEqual(expect.arrayContaining(grants.map((g) => g.id)));
});

test('a request may only ask member nodes, and its query hash must match its query', async () => {
  await expect(f.workflow.create(rita, requestInput(null, { collections: [{ nodeId: 'mars', collectionId: 'x' }] }))).rejects.toThrow(
    /asks nodes that are not members: mars/,
  );
  await expect(f.workflow.create(rita, requestInput(null, { origin: { kind: 'count', query: { unit: 'donors' }, queryHash: 'f'.repeat(64) } }))).rejects.toThrow(
    /origin.queryHash is not the hash of the query/,
  );
  await expect(f.workflow.create(rita, requestInput({ kty: 'OKP', crv: 'X25519', x: 'abc', d: 'secret' }))).rejects.toThrow(/private key material/);
});
