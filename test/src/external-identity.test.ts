import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { addMember, COORDINATOR_FILES, initCoordinatorDir, loadCoordinatorConfig, openCoordinator, startCoordinatorHttp, type RunningServer } from '@biospec/coordinator';
import { startSingleNode, NODE_ID, type SingleNode } from './harness/single-node.js';

let work: string;
let idp: http.Server;
let issuer: string;
let idpKey: CryptoKey;
let node: SingleNode;
let coordinatorHttp: RunningServer;
let closeCoordinator: () => Promise<void>;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-oidc-'));
  // A stand-in OpenID Connect provider on loopback that publishes its JWKS, as Keycloak or any IdP would.
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  idpKey = privateKey as CryptoKey;
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' }] };
  idp = http.createServer((req, res) => {
    res.writeHead(req.url === '/jwks' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(req.url === '/jwks' ? JSON.stringify(jwks) : '{}');
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(idp.address() as { port: number }).port}`;

  const coordinatorDir = path.join(work, 'coordinator');
  await initCoordinatorDir(coordinatorDir, { httpListen: '127.0.0.1:0' });
  node = await startSingleNode({ donors: 40, coordinatorKeyFile: path.join(coordinatorDir, COORDINATOR_FILES.signingKey) });
  addMember(coordinatorDir, { id: NODE_ID, name: 'Test Node', endpoint: `127.0.0.1:${node.server.port}`, jwksFile: path.join(node.dir, 'node.jwks.json') });
  const config = loadCoordinatorConfig(path.join(coordinatorDir, COORDINATOR_FILES.config));
  const coordinator = await openCoordinator(
    { ...config, researcherIssuers: [{ issuer, audience: 'biospec', jwksUri: `${issuer}/jwks`, unknownIdentities: 'auto', linkByVerifiedEmail: false }] },
    { logger: pino({ level: 'silent' }) },
  );
  coordinatorHttp = await startCoordinatorHttp(coordinator);
  closeCoordinator = () => coordinator.close();
}, 60_000);

afterAll(async () => {
  await coordinatorHttp?.stop();
  await closeCoordinator?.();
  await node?.stop();
  await new Promise<void>((resolve) => idp.close(() => resolve()));
  fs.rmSync(work, { recursive: true, force: true });
});

const idpToken = (claims: { aud: string; exp?: string }) =>
  new SignJWT({ name: 'Dr. External' })
    .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
    .setIssuer(issuer)
    .setSubject('external-user-42')
    .setAudience(claims.aud)
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? '5m')
    .sign(idpKey);

const count = async (token: string) => {
  const response = await fetch(`http://${coordinatorHttp.address}/api/v1/count`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: { unit: 'donors' }, purpose: 'DUO:0000006', project: 'oidc' }),
  });
  return { status: response.status, body: (await response.json()) as any };
};

test('a researcher signed in at an external OpenID Connect provider can query', async () => {
  const { status, body } = await count(await idpToken({ aud: 'biospec' }));
  expect(status).toBe(200);
  expect(body.sites[0].status).toBe('SITE_STATUS_OK');
});

test('a provider token for another audience, or an expired one, is refused', async () => {
  const wrongAudience = await count(await idpToken({ aud: 'another-app' }));
  expect(wrongAudience.status).toBe(401);
  expect(wrongAudience.body.error.message).toMatch(/audience/);
  const expired = await count(await idpToken({ aud: 'biospec', exp: '-10m' }));
  expect(expired.status).toBe(401);
  expect(expired.body.error.message).toMatch(/expired/);
});
