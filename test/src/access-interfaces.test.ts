/**
 * The access workflow's interfaces on real servers: gRPC AccessService and REST give the same
 * refusals with the right statuses; an OpenID Connect issuer's groups map to roles; a node asks
 * to join with a signed application, staff approve, suspend and re-admit it, and the
 * coordinator asks it exactly while it is approved; the CLI walks a request.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Metadata, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { SignJWT } from 'jose';
import { AccessServiceClient } from '@biospec/protocol';
import { generateEncryptionKey, signMembershipApplication } from '@biospec/access';
import { issueResearcher } from '@biospec/coordinator';
import { loadNodeSigningKey } from '@biospec/node';
import { generateSigningKey, importSigningKey, type SigningKey } from '@biospec/trust';
import { startExactFederation, type ExactFederation } from './harness/exact-federation.js';
import { startSingleNode, type SingleNode } from './harness/single-node.js';
import { biospec } from './harness/cli.js';

let net: ExactFederation;
let grpc: AccessServiceClient;
let idpKey: SigningKey;
let joining: SingleNode | undefined;
const IDP = 'https://login.example.org/realms/biobanks';

const token = (role: string) => net.federation.accounts.find((a) => a.roles.includes(role as never))!.token;

beforeAll(async () => {
  idpKey = await importSigningKey((await generateSigningKey({ kid: 'idp-1' })).privateJwk);
  let issuerKeys = '';
  net = await startExactFederation({
    donorsPerSite: 40,
    coordinatorConfig: (config) => {
      issuerKeys = path.join(config.baseDir, 'idp.jwks.json');
      fs.writeFileSync(issuerKeys, JSON.stringify({ keys: [idpKey.publicJwk] }));
      return {
        ...config,
        researcherIssuers: [
          {
            issuer: IDP,
            audience: 'biospec',
            jwks: issuerKeys,
            unknownIdentities: 'auto',
            linkByVerifiedEmail: false,
            roleClaim: 'realm_access.roles',
            roleMapping: { 'biobank-dac': 'staff', 'biobank-researchers': 'researcher' },
          },
        ],
      };
    },
  });
  grpc = new AccessServiceClient(net.federation.grpc.address, credentials.createInsecure());
}, 120_000);

afterAll(async () => {
  grpc?.close();
  await joining?.stop();
  await net?.stop();
});

function grpcCall<Req>(method: (req: Req, md: Metadata, cb: (err: ServiceError | null, res: any) => void) => unknown, request: Req, bearer: string): Promise<any> {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${bearer}`);
  return new Promise((resolve, reject) => method.call(grpc, request, metadata, (err, res) => (err ? reject(err) : resolve(res))));
}

async function rest(method: string, pathname: string, bearer: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(net.url + pathname, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

const sites = () => net.federation.nodes.map((n) => n.site.id);

test('gRPC AccessService: the workflow with protobuf messages; a wrong role is PERMISSION_DENIED naming the role, an illegal move FAILED_PRECONDITION naming the state', async () => {
  const { publicJwk } = await generateEncryptionKey();
  const created = await grpcCall(grpc.createAccessRequest, {
    fields: {
      title: 'gRPC request',
      description: 'over gRPC',
      ethicsReference: 'EC-7',
      purpose: 'DUO:0000006',
      origin: { kind: 'count', queryHash: '', queryJson: JSON.stringify({ unit: 'donors' }), bundleJson: '' },
      collections: [{ nodeId: sites()[0]!, collectionId: 'any' }],
      attachments: [],
      encryptionKeyJson: JSON.stringify(publicJwk),
    },
  }, token('researcher'));
  const id = created.request!.id;
  expect(created.request).toMatchObject({ state: 'draft', sites: [{ nodeId: sites()[0], state: 'pending' }], fields: { origin: { queryJson: '{"unit":"donors"}' } } });

  await expect(grpcCall(grpc.transitionAccessRequest, { id, action: 'approve', reason: '' }, token('researcher'))).rejects.toMatchObject({
    code: GrpcStatus.PERMISSION_DENIED,
    details: 'PERMISSION_DENIED: approving an access request needs the role staff: field roles: you have researcher',
  });
  await expect(grpcCall(grpc.transitionAccessRequest, { id, action: 'review', reason: '' }, token('staff'))).rejects.toMatchObject({
    code: GrpcStatus.FAILED_PRECONDITION,
    details: `FAILED_PRECONDITION: request ${id} is draft; only a request that is submitted can be taken under review: field state: draft`,
  });
  await expect(grpcCall(grpc.transitionAccessRequest, { id, action: 'explode', reason: '' }, token('staff'))).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  await grpcCall(grpc.transitionAccessRequest, { id, action: 'submit', reason: '' }, token('researcher'));
  const listed = await grpcCall(grpc.listAccessRequests, { state: 'submitted', nodeId: '' }, token('staff'));
  expect(listed.requests.map((r: { id: string }) => r.id)).toContain(id);
  const commented = await grpcCall(grpc.addComment, { id, body: 'over gRPC too', nodeId: '' }, token('staff'));
  expect(commented.request!.comments.map((c: { author: { role: string }; body: string }) => [c.author.role, c.body])).toEqual([['staff', 'over gRPC too']]);
});

test('REST: errors are {error: {code, message, issues}} with the status the code maps to', async () => {
  expect(await rest('POST', '/api/v1/access/requests', token('staff'), { title: 'x' })).toEqual({
    status: 403,
    body: { error: { code: 'PERMISSION_DENIED', message: 'creating an access request needs the role researcher', issues: [{ field: 'roles', message: 'you have staff' }] } },
  });
  const bad = await rest('POST', '/api/v1/access/requests', token('researcher'), { title: '', purpose: 'DUO:0000006', origin: { kind: 'count', query: { unit: 'trees' } }, collections: [] });
  expect(bad.status).toBe(400);
  expect(bad.body.error.issues.map((i: { field: string }) => i.field)).toEqual(['title', 'collections']);
  expect(await rest('GET', '/api/v1/access/requests/req-nothere', token('staff'))).toEqual({
    status: 404,
    body: { error: { code: 'NOT_FOUND', message: 'no access request req-nothere', issues: [] } },
  });
  expect((await rest('POST', '/api/v1/access/requests/req-x/actions/explode', token('staff'), {})).status).toBe(404);
  expect((await rest('GET', '/api/v1/nope', token('staff'))).body.error.code).toBe('NOT_FOUND');
  // Counts check the role too: a steward is no researcher.
  expect(await rest('POST', '/api/v1/count', token(`steward:${sites()[0]}`), { query: { unit: 'donors' }, purpose: 'DUO:0000006', project: 'p' })).toMatchObject({
    status: 403,
    body: { error: { message: 'asking a count question needs the role researcher' } },
  });
});

test("an OpenID Connect issuer's groups become roles through roleClaim and roleMapping", async () => {
  const oidc = (groups: string[]) =>
    new SignJWT({ realm_access: { roles: groups }, name: 'Dana DAC' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'idp-1' })
      .setIssuer(IDP)
      .setAudience('biospec')
      .setSubject(`dana-${groups.join('-')}`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(idpKey.key);
  const dac = await oidc(['biobank-dac', 'offline_access']);
  expect((await rest('GET', '/api/v1/me', dac)).body.roles).toEqual(['researcher', 'staff']);
  expect((await rest('GET', '/api/v1/membership', dac)).status).toBe(200);
  // A provider's raw "roles" claim grants nothing: only the mapped claim does.
  const raw = await new SignJWT({ roles: ['staff'] }).setProtectedHeader({ alg: 'EdDSA', kid: 'idp-1' }).setIssuer(IDP).setAudience('biospec').setSubject('mallory').setIssuedAt().setExpirationTime('5m').sign(idpKey.key);
  expect((await rest('GET', '/api/v1/me', raw)).body.roles).toEqual(['researcher']);
  expect((await rest('GET', '/api/v1/membership', raw)).body.error.message).toBe('listing node memberships needs the role staff');
});

test('a node asks to join; staff approve, suspend and re-admit it; it is asked exactly while approved', async () => {
  const coordinatorDir = path.join(net.federation.dir, 'coordinator');
  joining = await startSingleNode({ donors: 30, coordinatorKeyFile: path.join(coordinatorDir, 'coordinator-key.jwk.json') });
  const nodeId = 'test-node';
  const operator = (await issueResearcher(coordinatorDir, { subject: 'ops@test-node.example.org', roles: [`operator:${nodeId}`] })).token;
  const key = await loadNodeSigningKey(joining.node.config);
  const application = signMembershipApplication(
    { nodeId, name: 'Joining Biobank', endpoint: `127.0.0.1:${joining.server.port}`, jwks: { keys: [key.publicJwk as Record<string, unknown>] }, contact: 'ops@test-node.example.org' },
    key,
  );
  expect((await rest('POST', '/api/v1/membership/applications', token('researcher'), { application })).body.error.message).toBe(
    `applying for membership of a node needs the role operator:${nodeId}`,
  );
  expect((await rest('POST', '/api/v1/membership/applications', operator, { application })).status).toBe(201);
  const ask = async () => (await rest('POST', '/api/v1/count', token('researcher'), { query: { unit: 'donors' }, purpose: 'DUO:0000006', project: 'join' })).body.sites.map((s: { nodeId: string; status: string }) => s.nodeId);
  expect(await ask()).not.toContain(nodeId);
  const decide = (action: string, reason?: string) => rest('POST', `/api/v1/membership/${nodeId}/actions/${action}`, token('staff'), reason ? { reason } : {});
  expect((await decide('approve')).body.membership.state).toBe('approved');
  const counted = await rest('POST', '/api/v1/count', token('researcher'), { query: { unit: 'donors' }, purpose: 'DUO:0000006', project: 'join' });
  expect(counted.body.sites.find((s: { nodeId: string }) => s.nodeId === nodeId)).toMatchObject({ status: 'SITE_STATUS_OK' });
  expect((await decide('suspend')).body.error.message).toBe('a reason is required to suspend a node');
  expect((await decide('suspend', 'audit overdue')).body.membership.state).toBe('suspended');
  expect(await ask()).not.toContain(nodeId);
  expect((await decide('readmit')).body.membership.state).toBe('approved');
  expect(await ask()).toContain(nodeId);
  const history = (await rest('GET', `/api/v1/membership/${nodeId}`, operator)).body.history;
  expect(history.map((t: { to: string; actor: { role: string } }) => `${t.to} ${t.actor.role}`)).toEqual([
    `applied operator:${nodeId}`,
    'approved staff',
    'suspended staff',
    'approved staff',
  ]);
  // Nodes admitted with add-node are memberships too, and can be suspended.
  expect((await rest('GET', '/api/v1/membership', token('staff'))).body.memberships.map((m: { nodeId: string; state: string }) => `${m.nodeId}:${m.state}`).sort()).toEqual(
    [...sites().map((s) => `${s}:approved`), `${nodeId}:approved`].sort(),
  );
}, 60_000);

test('the CLI walks a request: researcher, staff and steward each with their own token', async () => {
  const dir = net.federation.dir;
  const env = { BIOSPEC_URL: net.url };
  const as = (role: string) => ['--token', token(role)];
  const site = sites()[0]!;
  const attachment = path.join(dir, 'protocol.txt');
  fs.writeFileSync(attachment, 'study protocol v1\n');
  const created = await biospec(
    ['access', 'create', ...as('researcher'), '--title', 'CLI request', '--description', 'From the command line', '--ethics', 'EC-CLI', '--diagnosis', 'C50',
      '--collection', `${site}/any-collection`, '--attach', attachment, '--key', net.federation.researcherKey, '--json'],
    { env },
  );
  expect(created.stderr).toBe('');
  const id = JSON.parse(created.stdout).request.id as string;
  expect(JSON.parse(created.stdout).request.attachments).toEqual([
    { name: 'protocol.txt', sha256: createHash('sha256').update('study protocol v1\n').digest('hex'), bytes: 18 },
  ]);
  for (const [role, args] of [
    ['researcher', ['access', 'submit', id]],
    ['staff', ['access', 'review', id]],
    ['staff', ['access', 'approve', id, '--reason', 'fine']],
    [`steward:${site}`, ['node', 'requests', 'approve', id]],
  ] as const) {
    const run = await biospec([...args, ...as(role)], { env });
    expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
  }
  const shown = await biospec(['access', 'show', id, ...as('researcher')], { env });
  expect(shown.stdout).toMatch(new RegExp(`${site} +approved +any-collection +g?[0-9a-f-]+ until `));
  expect(shown.stdout).toContain(`site ${site}: pending -> approved  by Steward of ${site} (steward:${site})`);
  const refused = await biospec(['access', 'approve', id, ...as('researcher')], { env });
  expect(refused).toMatchObject({ code: 1, stderr: 'error (PERMISSION_DENIED): approving an access request needs the role staff: field roles: you have researcher\n' });
  // A new token for an existing record keeps its roles unless --role or --staff says otherwise.
  const reissued = await biospec(['coordinator', 'researcher', 'add', '--dir', path.join(dir, 'coordinator'), '--subject', `steward@${site}.example.org`]);
  expect(reissued.code).toBe(0);
  expect((await rest('GET', '/api/v1/me', reissued.stdout.trim())).body.roles).toEqual([`steward:${site}`]);
  const badFile = path.join(dir, 'collections-bad.csv');
  fs.writeFileSync(badFile, 'id,name,contact_email\nbreast,Breast,not-an-address\n');
  const imported = await biospec(['node', 'collections', 'import', badFile, '--dir', path.join(dir, 'nodes', site)]);
  expect(imported.code).toBe(1);
  expect(imported.stderr).toContain('line 2, field contact.email: Invalid email address');
}, 60_000);
