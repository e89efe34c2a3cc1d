import { Buffer } from 'node:buffer';
import { sign as cryptoSign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BiospecError } from '@biospec/protocol';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createKeyRing, generateSigningKey, importSigningKey, type KeyRing, type SigningKey } from './keys.js';
import { createResearcherVerifier, issueResearcherToken, type ResearcherVerifier } from './researcher-token.js';

const ISSUER = 'https://coordinator.example';
const AUDIENCE = 'biospec-coordinator';

let key: SigningKey;
let ring: KeyRing;
let verifier: ResearcherVerifier;

beforeAll(async () => {
  key = await importSigningKey((await generateSigningKey({ kid: 'coord-auth-1' })).privateJwk);
  ring = await createKeyRing([key.publicJwk]);
  verifier = createResearcherVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: ring }] });
});

function issue(overrides: Partial<Parameters<typeof issueResearcherToken>[0]> = {}, signer: SigningKey = key): Promise<string> {
  return issueResearcherToken({ subject: 'alice', name: 'Alice A.', issuer: ISSUER, audience: AUDIENCE, ...overrides }, signer);
}

async function reasonOf(promise: Promise<unknown>): Promise<{ code: string; reason: string }> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(BiospecError);
  return { code: (error as BiospecError).code, reason: (error as BiospecError).message };
}

describe('coordinator-issued researcher tokens', () => {
  test('an issued token verifies from an Authorization header or bare', async () => {
    const token = await issue({ roles: ['researcher', 'staff'] });
    const identity = { subject: 'alice', name: 'Alice A.', roles: ['researcher', 'staff'], issuer: ISSUER };
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toEqual(identity);
    await expect(verifier.verify(token)).resolves.toEqual(identity);
  });

  test('roles default to researcher', async () => {
    await expect(verifier.verify(`bearer ${await issue({ name: undefined })}`)).resolves.toEqual({
      subject: 'alice',
      roles: ['researcher'],
      issuer: ISSUER,
    });
  });

  test('missing or anonymous', async () => {
    for (const value of ['', '   ', 'Bearer', 'Bearer ', 'Basic YWxpY2U6c2VjcmV0']) {
      expect(await reasonOf(verifier.verify(value))).toEqual({ code: 'UNAUTHENTICATED', reason: 'no bearer token' });
    }
  });

  test('expired, beyond the clock skew', async () => {
    const token = await issue({ lifetimeSeconds: 60 });
    const at = (seconds: number) =>
      createResearcherVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: ring }], now: () => Date.now() + seconds * 1000 });
    await expect(at(60 + 20).verify(`Bearer ${token}`)).resolves.toMatchObject({ subject: 'alice' });
    expect(await reasonOf(at(60 + 31).verify(`Bearer ${token}`))).toEqual({ code: 'UNAUTHENTICATED', reason: 'token expired' });
  });

  test('a token remembered as verified is refused once it expires', async () => {
    const token = await issue({ lifetimeSeconds: 60 });
    let offset = 0;
    const clocked = createResearcherVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: ring }], now: () => Date.now() + offset });
    await expect(clocked.verify(`Bearer ${token}`)).resolves.toMatchObject({ subject: 'alice' });
    offset = 10_000;
    await expect(clocked.verify(`Bearer ${token}`)).resolves.toMatchObject({ subject: 'alice' });
    offset = 91_000;
    expect(await reasonOf(clocked.verify(`Bearer ${token}`))).toEqual({ code: 'UNAUTHENTICATED', reason: 'token expired' });
  });

  test('wrong audience', async () => {
    expect(await reasonOf(verifier.verify(`Bearer ${await issue({ audience: 'another-app' })}`))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'wrong audience',
    });
  });

  test('unknown issuer', async () => {
    expect(await reasonOf(verifier.verify(`Bearer ${await issue({ issuer: 'https://evil.example' })}`))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'unknown issuer',
    });
  });

  test('bad signature and unknown key', async () => {
    const impostor = await importSigningKey((await generateSigningKey({ kid: 'coord-auth-1' })).privateJwk);
    expect(await reasonOf(verifier.verify(`Bearer ${await issue({}, impostor)}`))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'signature does not verify',
    });
    const stranger = await importSigningKey((await generateSigningKey({ kid: 'stranger' })).privateJwk);
    expect(await reasonOf(verifier.verify(`Bearer ${await issue({}, stranger)}`))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'unknown key id',
    });
  });

  test('malformed and HS256 tokens', async () => {
    expect(await reasonOf(verifier.verify('Bearer not.a.jwt'))).toEqual({ code: 'UNAUTHENTICATED', reason: 'malformed token' });
    const hs = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk)));
    expect(await reasonOf(verifier.verify(`Bearer ${hs}`))).toEqual({ code: 'UNAUTHENTICATED', reason: 'algorithm HS256 not allowed' });
  });

  test('refuses to issue an unknown role', async () => {
    await expect(issue({ roles: ['admin' as 'staff'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('JOSE strictness of researcher tokens (hand-built)', () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  function handSigned(header: Record<string, unknown>, claims: Record<string, unknown>): string {
    const input = `${b64(header)}.${b64(claims)}`;
    return `${input}.${cryptoSign(null, Buffer.from(input, 'ascii'), key.key).toString('base64url')}`;
  }
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (overrides: Record<string, unknown> = {}) => ({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now(), exp: now() + 600, ...overrides });
  const HEADER = { alg: 'EdDSA', kid: 'coord-auth-1', typ: 'JWT' };

  test('the baseline hand-built token verifies', async () => {
    await expect(verifier.verify(handSigned(HEADER, claims()))).resolves.toMatchObject({ subject: 'alice' });
  });

  test('a token issued in the future beyond the skew is refused; within it, accepted', async () => {
    expect(await reasonOf(verifier.verify(handSigned(HEADER, claims({ iat: now() + 120 }))))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'issued in the future',
    });
    await expect(verifier.verify(handSigned(HEADER, claims({ iat: now() + 10 })))).resolves.toMatchObject({ subject: 'alice' });
  });

  test('a crit header is refused', async () => {
    expect(await reasonOf(verifier.verify(handSigned({ ...HEADER, crit: ['exp'] }, claims())))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'critical header exp not understood',
    });
  });

  test('a signature spelled with non-zero unused bits is refused', async () => {
    const token = handSigned(HEADER, claims({ jti: 'respelled' }));
    const signature = token.slice(token.lastIndexOf('.') + 1);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(signature.at(-1)!) + 1]}`;
    expect(await reasonOf(verifier.verify(respelled))).toEqual({ code: 'UNAUTHENTICATED', reason: 'signature is not canonical base64url' });
  });
});

describe('an external OpenID Connect issuer', () => {
  const EXTERNAL = 'https://idp.example/realms/research';
  let server: http.Server;
  let jwksUri: string;
  let idpKey: CryptoKey;
  let requests = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    idpKey = pair.privateKey;
    const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
    server = http.createServer((req, res) => {
      requests += 1;
      if (req.url !== '/certs') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });

  function idpToken(claims: Record<string, unknown>, audience = 'biospec'): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1', typ: 'JWT' })
      .setIssuer(EXTERNAL)
      .setAudience(audience)
      .setSubject('f:1234:bob')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(idpKey);
  }

  test('verifies with keys fetched from its JWKS, keeping only known roles', async () => {
    const both = createResearcherVerifier({
      issuers: [
        { issuer: ISSUER, audience: AUDIENCE, keys: ring },
        { issuer: EXTERNAL, audience: 'biospec', jwksUri },
      ],
    });
    await expect(both.verify(`Bearer ${await idpToken({ name: 'Bob', roles: ['staff', 'offline_access'] })}`)).resolves.toEqual({
      subject: 'f:1234:bob',
      name: 'Bob',
      roles: ['staff'],
      issuer: EXTERNAL,
    });
    await expect(both.verify(`Bearer ${await idpToken({})}`)).resolves.toMatchObject({ roles: ['researcher'] });
    expect(requests).toBeGreaterThanOrEqual(1);
    await expect(both.verify(`Bearer ${await issue()}`)).resolves.toMatchObject({ subject: 'alice', issuer: ISSUER });
  });

  test('wrong audience from the provider is refused', async () => {
    const external = createResearcherVerifier({ issuers: [{ issuer: EXTERNAL, audience: 'biospec', jwksUri }] });
    expect(await reasonOf(external.verify(`Bearer ${await idpToken({}, 'other-client')}`))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'wrong audience',
    });
  });

  test('a provider that cannot be reached is UNAVAILABLE, not a bad token', async () => {
    const unreachable = createResearcherVerifier({
      issuers: [{ issuer: EXTERNAL, audience: 'biospec', jwksUri: jwksUri.replace('/certs', '/missing') }],
    });
    expect(await reasonOf(unreachable.verify(`Bearer ${await idpToken({})}`))).toEqual({
      code: 'UNAVAILABLE',
      reason: 'identity provider keys unavailable',
    });
  });
});
