/**
 * One access request through the whole path across three real nodes (each its own gRPC
 * server, keys and SQLite files) and a real coordinator over REST: availability question,
 * create, submit, review, approve; one site approves, one declines, one holds then approves;
 * grants only for the approving sites; granted availability at those sites (decrypted by the
 * researcher, checked against ground truth) and refused at the declining one, also by the
 * node itself; revocation then blocks it, also at a node that was down when it happened.
 * Afterwards, no file or log line of the coordinator holds a sample id.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { pino } from 'pino';
import { openGrantedDetail, revocationListDigest, UNDESCRIBED_COLLECTION, type AccessRequestView, type GrantView } from '@biospec/access';
import { NodeServiceClient, type GrantedAvailabilityResponse } from '@biospec/protocol';
import { canonicalise, parseQuery, queryHash, referenceCount, type Expr, type Query, type SpecimenRecord } from '@biospec/query';
import { createKeyRing, importSigningKey, signQuery, type SigningKey } from '@biospec/trust';
import { loadNodeConfig, openNode, startNodeServer } from '@biospec/node';
import { demoCollections } from '@biospec/cli';
import { startExactFederation, type ExactFederation } from './harness/exact-federation.js';
import { credentials } from '@grpc/grpc-js';

let net: ExactFederation;
let coordinatorKey: SigningKey;
const logLines: string[] = [];
const token = (role: string) => net.federation.accounts.find((a) => a.roles.includes(role as never))!.token;

const WHERE: Expr = { op: 'in', field: 'sex', values: ['female'] };
const QUERY: Query = canonicalise(parseQuery({ unit: 'specimens', where: WHERE }));
const AVAILABLE: Expr[] = [WHERE, { op: 'in', field: 'status', values: ['available'] }, { op: 'min_quantity', value: 1 }];

beforeAll(async () => {
  net = await startExactFederation({
    donorsPerSite: 120,
    // Every log line the coordinator writes is kept, to look for sample ids in it.
    coordinatorLogger: pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) }),
  });
  coordinatorKey = await importSigningKey(JSON.parse(fs.readFileSync(path.join(net.federation.dir, 'coordinator', 'coordinator-key.jwk.json'), 'utf8')));
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

async function call(method: string, pathname: string, who: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(net.url + pathname, {
    method,
    headers: { authorization: `Bearer ${token(who)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}
async function ok(method: string, pathname: string, who: string, body?: unknown): Promise<any> {
  const r = await call(method, pathname, who, body);
  if (r.status >= 300) throw new Error(`${method} ${pathname} as ${who}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const siteIds = () => net.federation.nodes.map((n) => n.site.id);
const recordsOf = (nodeId: string): SpecimenRecord[] => net.records.get(nodeId)!;

/** The true number of available matching specimens in one (collection, material) cell (exact policy, no caps). */
function trueCell(records: SpecimenRecord[], collection: string, material: string, published: string[]): number {
  const inCell: Expr =
    collection === UNDESCRIBED_COLLECTION
      ? { op: 'not', arg: { op: 'in', field: 'collection_id', values: published } }
      : { op: 'in', field: 'collection_id', values: [collection] };
  return referenceCount({ unit: 'specimens', where: { op: 'and', args: [...AVAILABLE, inCell, { op: 'in', field: 'material_type', values: [material as never] }] } }, records).total;
}

/** The sample ids a granted answer must list: available, matching, in the granted collections. */
function trueListing(records: SpecimenRecord[], collections: string[]): string[] {
  return records
    .filter((r) => r.sex === 'female' && r.status === 'available' && r.quantity >= 1 && collections.includes(r.collection_id))
    .map((r) => r.sample_id)
    .sort();
}

let requestId = '';
let availabilityBundle: unknown;
const chosen = new Map<string, string[]>();

test('availability: per site, every published collection (and the undescribed cell) by material, exact under the exact policy', async () => {
  const answer = await ok('POST', '/api/v1/availability', 'researcher', { query: QUERY, purpose: 'DUO:0000006', project: 'access-it' });
  expect(answer.queryHash).toBe(queryHash(QUERY));
  expect(answer.sites.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status])).toEqual(siteIds().map((id) => [id, 'SITE_STATUS_OK']));
  for (const site of net.federation.nodes.map((n) => n.site)) {
    const published = demoCollections(site).map((c) => c.id).sort();
    const answered = answer.sites.find((s: { nodeId: string }) => s.nodeId === site.id);
    expect(answered.collections.map((c: { collectionId: string }) => c.collectionId)).toEqual([...published, UNDESCRIBED_COLLECTION]);
    const described = answered.collections[0];
    expect(described).toMatchObject({ name: demoCollections(site).find((c) => c.id === published[0])!.name, contactEmail: expect.stringContaining('@') });
    for (const collection of answered.collections) {
      expect(collection.materials).toHaveLength(15);
      for (const cell of collection.materials) {
        expect({ cell: `${site.id}/${collection.collectionId}/${cell.key.material_type}`, value: Number(cell.figure.value ?? 0) }).toEqual({
          cell: `${site.id}/${collection.collectionId}/${cell.key.material_type}`,
          value: trueCell(recordsOf(site.id), collection.collectionId, cell.key.material_type, published),
        });
      }
    }
    // Ask for the two largest published collections of each site.
    const largest = [...answered.collections]
      .filter((c: { collectionId: string }) => c.collectionId !== UNDESCRIBED_COLLECTION)
      .sort((a: { total: { releasedSum: number } }, b: { total: { releasedSum: number } }) => Number(b.total.releasedSum) - Number(a.total.releasedSum))
      .slice(0, 2)
      .map((c: { collectionId: string }) => c.collectionId);
    chosen.set(site.id, largest);
  }
  const jwks = await (await fetch(`${net.url}/api/v1/jwks`)).json();
  availabilityBundle = {
    version: 1,
    query_hash: answer.queryHash,
    canonical_query: JSON.parse(answer.canonicalQueryJson),
    created_at: new Date().toISOString(),
    sites: answer.sites.map((s: { nodeId: string; status: string; signedResult: string }) => ({ node_id: s.nodeId, status: s.status, signed_result: s.signedResult })),
    jwks,
  };
});

test('create, submit, review, approve; sites approve, decline, hold then approve; grants only where a site approved', async () => {
  const [a, b, c] = siteIds() as [string, string, string];
  const publicKey = JSON.parse(fs.readFileSync(`${net.federation.researcherKey}.pub.json`, 'utf8'));
  const created: AccessRequestView = await ok('POST', '/api/v1/access/requests', 'researcher', {
    title: 'Female cohort',
    description: 'Specimens of women across three biobanks.',
    ethicsReference: 'EC-2026-042',
    purpose: 'DUO:0000006',
    origin: { kind: 'availability', query: QUERY, queryHash: queryHash(QUERY), bundle: availabilityBundle },
    collections: siteIds().flatMap((nodeId) => chosen.get(nodeId)!.map((collectionId) => ({ nodeId, collectionId }))),
    attachments: [{ name: 'protocol.pdf', sha256: 'a'.repeat(64), bytes: 1024 }],
    encryptionKey: publicKey,
  });
  requestId = created.request.id;
  const act = (who: string, action: string, reason?: string) => ok('POST', `/api/v1/access/requests/${requestId}/actions/${action}`, who, reason ? { reason } : {});
  const site = (who: string, nodeId: string, action: string, reason?: string) =>
    ok('POST', `/api/v1/access/requests/${requestId}/sites/${nodeId}/actions/${action}`, who, reason ? { reason } : {});
  await act('researcher', 'submit');
  await act('staff', 'review');
  await act('staff', 'approve', 'ethics vote and purpose in order');
  await site(`steward:${a}`, a, 'approve');
  await site(`steward:${b}`, b, 'decline', 'consent does not cover this purpose');
  await site(`steward:${c}`, c, 'hold', 'checking the freezers');
  await ok('POST', `/api/v1/access/requests/${requestId}/comments`, `steward:${c}`, { body: 'Found them.', nodeId: c });
  const view: AccessRequestView = await site(`steward:${c}`, c, 'approve', 'inventory confirmed');

  expect(view.request.sites.map((s) => [s.nodeId, s.state])).toEqual(
    [
      [a, 'approved'],
      [b, 'declined'],
      [c, 'approved'],
    ].sort(),
  );
  expect(view.grants.map((g) => g.nodeId).sort()).toEqual([a, c].sort());
  expect(view.timeline.map((t) => `${t.nodeId ?? 'request'} ${t.to} ${t.actor.role}`)).toEqual([
    'request draft researcher',
    'request submitted researcher',
    'request under_review staff',
    'request approved staff',
    `${a} approved steward:${a}`,
    `${b} declined steward:${b}`,
    `${c} on_hold steward:${c}`,
    `${c} approved steward:${c}`,
  ]);
  // Every transition is in the coordinator's signed audit log.
  const audited = (await net.federation.coordinator.audit.log.list({ kind: 'access' })).filter((e) => e.subject === requestId).map((e) => e.detail?.action);
  expect(audited).toEqual(
    expect.arrayContaining(['request-created', 'request-submit', 'request-review', 'request-approve', 'site-approve', 'grant-issued', 'site-decline', 'site-hold', 'comment-added']),
  );
});

async function fetchGranted(nodeId: string): Promise<{ status: number; body: any }> {
  return call('POST', `/api/v1/access/requests/${requestId}/sites/${nodeId}/granted-availability`, 'researcher', {});
}

async function open(encrypted: string, nodeId: string) {
  const key = JSON.parse(fs.readFileSync(net.federation.researcherKey, 'utf8'));
  const jwks = ((await (await fetch(`${net.url}/api/v1/jwks`)).json()) as Record<string, { keys: Parameters<typeof createKeyRing>[0] }>)[nodeId]!;
  return openGrantedDetail(encrypted, key, await createKeyRing(jwks.keys), nodeId);
}

test('granted availability: the approving sites answer end to end; the declining site is refused by the coordinator and by the node', async () => {
  const [a, b, c] = siteIds() as [string, string, string];
  for (const nodeId of [a, c]) {
    const { status, body } = await fetchGranted(nodeId);
    expect(status).toBe(200);
    const detail = await open(body.encryptedAnswer, nodeId);
    expect(detail.specimens.map((s) => s.sample_id)).toEqual(trueListing(recordsOf(nodeId), chosen.get(nodeId)!));
    expect(detail).toMatchObject({ node_id: nodeId, request: requestId, query_hash: queryHash(QUERY), truncated: false });
    expect(body.delivery).toMatchObject({ nodeId, bytes: body.encryptedAnswer.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  }
  expect(await fetchGranted(b)).toEqual({
    status: 412,
    body: { error: { code: 'FAILED_PRECONDITION', message: `site ${b} of request ${requestId} is declined; granted availability needs a site that approved`, issues: [] } },
  });
  // The node checks for itself: a grant for another site, sent to the declining node, is refused there.
  const grantOfA = (await net.federation.coordinator.accessStore.grants.list({ requestId, nodeId: a }))[0]!;
  await expect(askNode(b, grantOfA.token, 0, '')).rejects.toMatchObject({ details: 'PERMISSION_DENIED: grant is for another node: field grant.aud: grant is for another node' });
});

/** A granted question sent straight to a node, signed with the coordinator's key as the coordinator would. */
async function askNode(nodeId: string, grant: string, version: number, list: string): Promise<GrantedAvailabilityResponse> {
  const member = net.federation.coordinator.memberRegistry.get(nodeId)!;
  const researcher = (await net.federation.coordinator.accessStore.grants.list({ requestId }))[0]!.subject;
  const signedQuery = await signQuery(
    {
      query: QUERY,
      purpose: 'DUO:0000006',
      researcher,
      project: requestId,
      audience: nodeId,
      issuer: 'coordinator',
      question: 'granted-availability',
      request: requestId,
      revocations: { version, sha256: list === '' ? '' : revocationListDigest(list) },
    },
    coordinatorKey,
  );
  const publicKey = fs.readFileSync(`${net.federation.researcherKey}.pub.json`, 'utf8');
  const client = new NodeServiceClient(member.endpoint, credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) =>
      client.grantedAvailability({ signedQuery, grant, revocationList: list, recipientJwkJson: publicKey }, new Metadata(), { deadline: Date.now() + 10_000 }, (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
  } finally {
    client.close();
  }
}

test('revocation blocks the grant at every node, also at a node that was down when it happened', async () => {
  const [a, , c] = siteIds() as [string, string, string];
  const grants = (await ok('GET', `/api/v1/access/requests/${requestId}`, 'researcher')).grants as GrantView[];
  const grantA = (await net.federation.coordinator.accessStore.grants.get(grants.find((g) => g.nodeId === a)!.id))!;
  const grantC = (await net.federation.coordinator.accessStore.grants.get(grants.find((g) => g.nodeId === c)!.id))!;

  // Node c goes down; both grants are revoked while it is.
  const down = net.federation.nodes.find((n) => n.site.id === c)!;
  const port = down.server.port;
  await down.server.stop(200);
  await ok('POST', `/api/v1/access/grants/${grantA.id}/revoke`, 'staff', { reason: 'consent withdrawn' });
  await ok('POST', `/api/v1/access/grants/${grantC.id}/revoke`, `steward:${c}`, { reason: 'samples recalled' });
  const list = (await net.federation.coordinator.access.revocationList())!;
  expect(list.version).toBe(2);

  // Node a was told at once (pushed); the coordinator itself refuses to relay a revoked grant.
  expect(await fetchGranted(a)).toMatchObject({ status: 403, body: { error: { code: 'PERMISSION_DENIED', message: `no standing grant for request ${requestId} at site ${a} (revoked or expired)` } } });
  // Node a refuses the revoked grant itself, whatever a coordinator sends: with the current list, and with an older one.
  await expect(askNode(a, grantA.token, list.version, list.token)).rejects.toMatchObject({ details: expect.stringContaining('PERMISSION_DENIED: grant revoked') });
  await expect(askNode(a, grantA.token, 0, '')).rejects.toMatchObject({
    details: expect.stringContaining(`FAILED_PRECONDITION: the question carries revocation list version 0, older than version ${list.version} this node has seen`),
  });

  // Node c comes back on the same files and port; it never saw the list.
  const config = loadNodeConfig(path.join(net.federation.dir, 'nodes', c, 'node.json'));
  const node = await openNode({ ...config, listen: `127.0.0.1:${port}` }, { logger: pino({ level: 'silent' }) });
  expect(node.accessState.revocations().version).toBe(0);
  const server = await startNodeServer(node);
  down.server = server;
  // The next granted question a coordinator sends carries the list: c keeps it and refuses the grant.
  await expect(askNode(c, grantC.token, list.version, list.token)).rejects.toMatchObject({ details: expect.stringContaining('PERMISSION_DENIED: grant revoked') });
  expect(node.accessState.revocations().version).toBe(list.version);
  // From now on c refuses even a question signed under the older list it would otherwise have accepted.
  await expect(askNode(c, grantC.token, 0, '')).rejects.toMatchObject({ details: expect.stringContaining('FAILED_PRECONDITION: the question carries revocation list version 0') });
  // Both refusals are in c's own audit log as uses of the grant that were refused.
  const refused = node.audit.list({ kind: 'grant-use' }).filter((e) => e.outcome === 'rejected');
  expect(refused.map((e) => e.detail?.code)).toEqual(expect.arrayContaining(['PERMISSION_DENIED', 'FAILED_PRECONDITION']));
});

test("the coordinator's databases, audit log and logs hold no sample id after granted availability", async () => {
  const sampleIds = siteIds().flatMap((id) => recordsOf(id).map((r) => r.sample_id));
  expect(sampleIds.length).toBeGreaterThan(300);
  const coordinatorDir = path.join(net.federation.dir, 'coordinator');
  await net.federation.coordinator.audit.log.checkpoint();
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(coordinatorDir);
  expect(files.some((f) => f.endsWith('access.db'))).toBe(true);
  expect(files.some((f) => f.endsWith('audit.db'))).toBe(true);
  const haystacks = [...files.map((f) => ({ where: f, text: fs.readFileSync(f).toString('latin1') })), { where: 'coordinator log', text: logLines.join('\n') }];
  // The deliveries happened (so there was something to leak), and were recorded by hash.
  expect((await net.federation.coordinator.accessStore.grants.deliveries(requestId)).length).toBeGreaterThanOrEqual(2);
  const found = haystacks.flatMap(({ where, text }) => sampleIds.filter((id) => text.includes(id)).map((id) => `${id} in ${where}`));
  expect(found).toEqual([]);
});
