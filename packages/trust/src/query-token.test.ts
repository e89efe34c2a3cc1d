import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import { sign as cryptoSign } from 'node:crypto';
import { BiospecError } from '@biospec/protocol';
import { queryHash, type Query } from '@biospec/query';
import { CompactSign } from 'jose';
import { createKeyRing, generateSigningKey, importSigningKey, type KeyRing, type SigningKey } from './keys.js';
import { signQuery, verifyQuery, type VerifyQueryOptions } from './query-token.js';
import { createReplayCache, type ReplayCache } from './replay-cache.js';

const QUERY: Query = { unit: 'donors', where: { op: 'in', field: 'sex', values: ['female'] }, stratify: ['sex'] };
const NODE = 'node-a';

let dir: string;
let key: SigningKey;
let ring: KeyRing;
let replay: ReplayCache;

beforeAll(async () => {
  key = await importSigningKey((await generateSigningKey({ kid: 'coord-1' })).privateJwk);
  ring = await createKeyRing([key.publicJwk]);
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trust-query-'));
  replay = createReplayCache(path.join(dir, 'replay.sqlite'));
});

afterEach(() => {
  replay.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function sign(overrides: { audience?: string; lifetimeSeconds?: number } = {}, signer: SigningKey = key): Promise<string> {
  return signQuery(
    {
      query: QUERY,
      purpose: 'feasibility of a breast cancer cohort',
      researcher: 'pseud-7f3a',
      project: 'proj-1',
      audience: overrides.audience ?? NODE,
      issuer: 'coordinator',
      ...(overrides.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: overrides.lifetimeSeconds }),
    },
    signer,
  );
}

function options(overrides: Partial<VerifyQueryOptions> = {}): VerifyQueryOptions {
  return { keys: ring, audience: NODE, replay, ...overrides };
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function partsOf(token: string): [string, string, string] {
  const [header = '', payload = '', signature = ''] = token.split('.');
  return [header, payload, signature];
}

function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(partsOf(token)[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Signs arbitrary claims with a valid key, as a compromised or buggy coordinator could. */
async function signClaims(claims: Record<string, unknown>, signer: SigningKey = key): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ: 'biospec-query+jwt' })
    .sign(signer.key);
}

async function rejection(token: string, opts: VerifyQueryOptions = options()): Promise<{ code: string; reason: string; field?: string }> {
  try {
    await verifyQuery(token, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(BiospecError);
    const err = error as BiospecError;
    return { code: err.code, reason: err.message, ...(err.issues[0]?.field === undefined ? {} : { field: err.issues[0].field }) };
  }
  throw new Error('token was accepted');
}

describe('signQuery and verifyQuery', () => {
  test('a signed query verifies and carries the canonical query and its hash', async () => {
    const messy: Query = {
      unit: 'donors',
      where: { op: 'and', args: [{ op: 'in', field: 'sex', values: ['female', 'female'] }] },
      stratify: ['sex'],
    };
    const token = await signQuery(
      { query: messy, purpose: 'p', researcher: 'r', project: 'x', audience: NODE, issuer: 'coordinator' },
      key,
    );
    const header = JSON.parse(Buffer.from(partsOf(token)[0], 'base64url').toString()) as Record<string, unknown>;
    expect(header).toEqual({ alg: 'EdDSA', kid: 'coord-1', typ: 'biospec-query+jwt' });

    const claims = await verifyQuery(token, options());
    expect(claims.query).toEqual(QUERY);
    expect(claims.query_hash).toBe(queryHash(QUERY));
    expect(claims.aud).toBe(NODE);
    expect(claims.exp - claims.iat).toBe(120);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims).toMatchObject({ iss: 'coordinator', purpose: 'p', researcher: 'r', project: 'x' });
  });

  test('refuses to sign a lifetime over five minutes or an invalid query', async () => {
    await expect(sign({ lifetimeSeconds: 301 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      signQuery({ query: { unit: 'trees' } as unknown as Query, purpose: 'p', researcher: 'r', project: 'x', audience: NODE, issuer: 'c' }, key),
    ).rejects.toMatchObject({ code: 'INVALID_QUERY' });
  });
});

describe('verifyQuery rejection matrix', () => {
  test('unsigned: no token at all', async () => {
    expect(await rejection('')).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'query is not signed' });
  });

  test('unsigned JSON sent as the token is malformed', async () => {
    expect(await rejection(JSON.stringify(QUERY))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'malformed token' });
  });

  test('alg none', async () => {
    const token = `${encode({ alg: 'none', typ: 'biospec-query+jwt' })}.${partsOf(await sign())[1]}.`;
    expect(await rejection(token)).toEqual({ code: 'UNAUTHENTICATED', reason: 'algorithm none not allowed', field: 'alg' });
  });

  test('HS256 signed with the public key bytes as secret', async () => {
    const claims = payloadOf(await sign());
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'biospec-query+jwt' })
      .sign(secret);
    expect(await rejection(token)).toEqual({ code: 'UNAUTHENTICATED', reason: 'algorithm HS256 not allowed', field: 'alg' });

    const rawX = Buffer.from(key.publicJwk.x as string, 'base64url');
    const withRawKey = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'biospec-query+jwt' })
      .sign(rawX);
    expect(await rejection(withRawKey)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'algorithm HS256 not allowed' });
  });

  test('a result token is not a query token', async () => {
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(payloadOf(await sign()))))
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'biospec-result+jwt' })
      .sign(key.key);
    expect(await rejection(token)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'token type biospec-result+jwt not allowed' });
  });

  test('unknown kid, and a missing kid', async () => {
    const stranger = await importSigningKey((await generateSigningKey({ kid: 'stranger' })).privateJwk);
    expect(await rejection(await sign({}, stranger))).toEqual({ code: 'UNAUTHENTICATED', reason: 'unknown key id', field: 'kid' });

    const noKid = await new CompactSign(new TextEncoder().encode(JSON.stringify(payloadOf(await sign()))))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'biospec-query+jwt' })
      .sign(key.key);
    expect(await rejection(noKid)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'unknown key id' });
  });

  test('a token signed by another key under a trusted kid', async () => {
    const impostor = await importSigningKey((await generateSigningKey({ kid: 'coord-1' })).privateJwk);
    expect(await rejection(await sign({}, impostor))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'signature does not verify',
      field: 'signature',
    });
  });

  test('payload tampered after signing', async () => {
    const [header, payload, signature] = partsOf(await sign());
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${encode({ ...claims, purpose: 'something else' })}.${signature}`;
    expect(await rejection(tampered)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'signature does not verify' });
  });

  test('truncated token', async () => {
    const token = await sign();
    expect(await rejection(token.slice(0, Math.floor(token.length / 2)))).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'malformed token',
    });
    expect(await rejection(token.slice(0, -10))).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'signature does not verify' });
  });

  test('a token far over the size limit', async () => {
    const huge = `${'a'.repeat(1_000_000)}.${'b'.repeat(1_000_000)}.c`;
    expect(await rejection(huge)).toEqual({ code: 'UNAUTHENTICATED', reason: 'token too large', field: 'token' });
    const token = await sign();
    expect(await rejection(token, options({ maxTokenBytes: token.length - 1 }))).toMatchObject({ reason: 'token too large' });
    // Measured in UTF-8 bytes, not characters: 100 characters of 3 bytes each are over 200 bytes.
    expect(await rejection('€'.repeat(100), options({ maxTokenBytes: 200 }))).toMatchObject({ reason: 'token too large' });
    expect(await rejection('€'.repeat(60), options({ maxTokenBytes: 200 }))).toMatchObject({ reason: 'malformed token' });
  });

  test('wrong audience', async () => {
    expect(await rejection(await sign({ audience: 'node-b' }))).toEqual({
      code: 'PERMISSION_DENIED',
      reason: 'token is for another node',
      field: 'aud',
    });
  });

  test('expired, but tolerated within the clock skew', async () => {
    const token = await sign({ lifetimeSeconds: 60 });
    const later = (seconds: number) => () => Date.now() + seconds * 1000;
    expect(await rejection(token, options({ now: later(60 + 31) }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'token expired',
      field: 'exp',
    });
    await expect(verifyQuery(token, options({ now: later(60 + 20) }))).resolves.toMatchObject({ aud: NODE });
  });

  test('issued in the future', async () => {
    const token = await sign();
    const earlier = () => Date.now() - 60_000;
    expect(await rejection(token, options({ now: earlier }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'issued in the future',
      field: 'iat',
    });
  });

  test('lifetime too long, even when signed by a valid key', async () => {
    const claims = payloadOf(await sign());
    const token = await signClaims({ ...claims, exp: (claims.iat as number) + 3600 });
    expect(await rejection(token)).toEqual({ code: 'UNAUTHENTICATED', reason: 'lifetime too long', field: 'exp' });
    expect(await rejection(await sign({ lifetimeSeconds: 120 }), options({ maxLifetimeSeconds: 60 }))).toMatchObject({
      reason: 'lifetime too long',
    });
  });

  test('a claim missing or of the wrong type is named', async () => {
    const { purpose: _purpose, ...claims } = payloadOf(await sign());
    const missing = await rejection(await signClaims(claims));
    expect(missing.code).toBe('UNAUTHENTICATED');
    expect(missing.field).toBe('purpose');
    expect(missing.reason).toMatch(/^invalid claim purpose/);

    const wrongType = await rejection(await signClaims({ ...payloadOf(await sign()), jti: 42 }));
    expect(wrongType).toMatchObject({ code: 'UNAUTHENTICATED', field: 'jti' });
  });

  test('the request id travels as the request_id claim; one outside the pattern is refused, its absence is not', async () => {
    const token = await signQuery(
      { query: QUERY, purpose: 'p', researcher: 'pseud-7f3a', project: 'proj-1', audience: NODE, issuer: 'coordinator', requestId: 'req-42.a:b_c' },
      key,
    );
    expect((await verifyQuery(token, options())).request_id).toBe('req-42.a:b_c');
    expect((await verifyQuery(await sign(), options())).request_id).toBeUndefined();
    const odd = await rejection(await signClaims({ ...payloadOf(await sign()), request_id: 'has space' }));
    expect(odd).toMatchObject({ code: 'UNAUTHENTICATED', field: 'request_id' });
  });

  test('an invalid query signed by a valid key is INVALID_QUERY', async () => {
    const claims = payloadOf(await sign());
    const token = await signClaims({ ...claims, query: { unit: 'donors', where: { op: 'drop_table' } } });
    const { code } = await rejection(token);
    expect(code).toBe('INVALID_QUERY');
  });

  test('hash mismatch signed by a valid key', async () => {
    const claims = payloadOf(await sign());
    const token = await signClaims({ ...claims, query: { unit: 'specimens' } });
    expect(await rejection(token)).toEqual({ code: 'UNAUTHENTICATED', reason: 'query hash does not match', field: 'query_hash' });
  });

  test('replayed jti', async () => {
    const token = await sign();
    await verifyQuery(token, options());
    expect(await rejection(token)).toEqual({ code: 'PERMISSION_DENIED', reason: 'replayed token', field: 'jti' });
  });

  test('replayed jti after closing and reopening the replay cache file', async () => {
    const token = await sign();
    await verifyQuery(token, options());
    replay.close();
    replay = createReplayCache(path.join(dir, 'replay.sqlite'));
    expect(await rejection(token, options({ replay }))).toMatchObject({ code: 'PERMISSION_DENIED', reason: 'replayed token' });
  });

  test('a rejected token does not burn its jti', async () => {
    const token = await sign();
    expect(await rejection(token, options({ audience: 'node-b' }))).toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(verifyQuery(token, options())).resolves.toMatchObject({ aud: NODE });
  });
});

describe('key rotation', () => {
  test('a ring with old and new kids accepts both; removing the old kid rejects its tokens', async () => {
    const oldKey = key;
    const newKey = await importSigningKey((await generateSigningKey({ kid: 'coord-2' })).privateJwk);
    const both = await createKeyRing([oldKey.publicJwk, newKey.publicJwk]);

    await expect(verifyQuery(await sign({}, newKey), options({ keys: both }))).resolves.toMatchObject({ aud: NODE });
    await expect(verifyQuery(await sign({}, oldKey), options({ keys: both }))).resolves.toMatchObject({ aud: NODE });

    const retired = await createKeyRing([newKey.publicJwk]);
    expect(await rejection(await sign({}, oldKey), options({ keys: retired }))).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'unknown key id',
    });
    await expect(verifyQuery(await sign({}, newKey), options({ keys: retired }))).resolves.toMatchObject({ aud: NODE });
  });
});

describe('JOSE strictness (hand-built tokens)', () => {
  /** Signs `header.payload` exactly as given, the way any JOSE library would. */
  function handSigned(header: Record<string, unknown>, claims: Record<string, unknown>): string {
    const input = `${encode(header)}.${encode(claims)}`;
    return `${input}.${cryptoSign(null, Buffer.from(input, 'ascii'), key.key).toString('base64url')}`;
  }
  const HEADER = { alg: 'EdDSA', kid: 'coord-1', typ: 'biospec-query+jwt' };

  test('a crit header naming anything is refused, since this project understands no extension', async () => {
    const claims = payloadOf(await sign());
    expect(await rejection(handSigned({ ...HEADER, crit: ['exp'] }, claims))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'critical header exp not understood',
      field: 'crit',
    });
    expect(await rejection(handSigned({ ...HEADER, crit: [] }, claims))).toMatchObject({ reason: 'critical header (empty) not understood' });
    // The same claims without crit pass: the refusal is the header's alone.
    await expect(verifyQuery(handSigned(HEADER, claims), options())).resolves.toMatchObject({ aud: NODE });
  });

  test('a signature spelled with non-zero unused bits is refused, though it decodes to the valid signature', async () => {
    const token = await sign();
    const [header, payload, signature] = partsOf(token);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = signature.at(-1)!;
    const sibling = alphabet[alphabet.indexOf(last) + 1]!;
    const respelled = `${header}.${payload}.${signature.slice(0, -1)}${sibling}`;
    expect(Buffer.from(respelled.split('.')[2]!, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    expect(await rejection(respelled)).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'signature is not canonical base64url',
      field: 'signature',
    });
    expect(await rejection(`${header}.${payload}.${signature}A`)).toMatchObject({ reason: 'signature does not verify' });
    await expect(verifyQuery(token, options())).resolves.toMatchObject({ aud: NODE });
  });

  test('a ring pinned for some issuers refuses a token from another', async () => {
    const pinned = await createKeyRing([key.publicJwk], { issuers: ['coord-eu'] });
    expect(await rejection(await sign(), options({ keys: pinned }))).toEqual({
      code: 'UNAUTHENTICATED',
      reason: 'issuer coordinator not accepted',
      field: 'iss',
    });
    const accepting = await createKeyRing([key.publicJwk], { issuers: ['coord-eu', 'coordinator'] });
    await expect(verifyQuery(await sign(), options({ keys: accepting }))).resolves.toMatchObject({ iss: 'coordinator' });
  });
});
