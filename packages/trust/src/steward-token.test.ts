import { BiospecError } from '@biospec/protocol';
import { createKeyRing, generateSigningKey, importSigningKey, type KeyRing, type SigningKey } from './keys.js';
import { signCompactJws } from './compact-jws.js';
import { createReplayCache, type ReplayCache } from './replay-cache.js';
import { signStewardRequest, STEWARD_TOKEN_TYPE, verifyStewardRequest, type StewardAction, type VerifyStewardRequestOptions } from './steward-token.js';

const NODE = 'node-a';
const STEWARD = { person: 'p-1', name: 'Dr. Steward', role: `steward:${NODE}` };

let key: SigningKey;
let ring: KeyRing;
let replay: ReplayCache;

beforeAll(async () => {
  key = await importSigningKey((await generateSigningKey({ kid: 'coord-1' })).privateJwk);
  ring = await createKeyRing([key.publicJwk], { issuers: ['coordinator'] });
});

beforeEach(() => {
  replay = createReplayCache(':memory:');
});

afterEach(() => replay.close());

const options = (actions: readonly StewardAction[], overrides: Partial<VerifyStewardRequestOptions> = {}): VerifyStewardRequestOptions => ({
  keys: ring,
  audience: NODE,
  replay,
  actions,
  ...overrides,
});

async function refusal(token: string, opts: VerifyStewardRequestOptions): Promise<{ code: string; field: string | undefined; message: string }> {
  try {
    await verifyStewardRequest(token, opts);
  } catch (error) {
    const err = error as BiospecError;
    expect(err).toBeInstanceOf(BiospecError);
    return { code: err.code, field: err.issues[0]?.field, message: err.message };
  }
  throw new Error('expected a refusal');
}

/** Hand-signed claims, as a buggy or compromised coordinator could sign them. */
function signClaims(claims: Record<string, unknown>): string {
  const iat = Math.floor(Date.now() / 1000);
  return signCompactJws({ iss: 'coordinator', aud: NODE, iat, exp: iat + 60, jti: `j-${Math.random()}`, steward: STEWARD, ...claims }, key, STEWARD_TOKEN_TYPE);
}

test('a decision verifies with everything the node acts on inside the signature', async () => {
  const token = signStewardRequest({ issuer: 'coordinator', audience: NODE, action: 'decline-hold', steward: STEWARD, hold: 'h-1', reason: 'too specific' }, key);
  const claims = await verifyStewardRequest(token, options(['release-hold', 'decline-hold']));
  expect(claims).toMatchObject({ iss: 'coordinator', aud: NODE, action: 'decline-hold', hold: 'h-1', reason: 'too specific', steward: STEWARD });
  expect(claims.exp - claims.iat).toBe(60);
  expect(await refusal(token, options(['release-hold', 'decline-hold']))).toMatchObject({ code: 'PERMISSION_DENIED', field: 'jti', message: 'replayed token' });
});

test('the checks refuse in order, each with its code and the claim at fault', async () => {
  const list = () => signStewardRequest({ issuer: 'coordinator', audience: NODE, action: 'list-holds', steward: STEWARD }, key);
  expect(await refusal(list(), options(['list-holds'], { audience: 'node-b' }))).toMatchObject({ code: 'PERMISSION_DENIED', field: 'aud' });
  expect(await refusal(list(), options(['release-hold']))).toMatchObject({ code: 'PERMISSION_DENIED', field: 'action' });
  expect(await refusal(list(), options(['list-holds'], { now: () => Date.now() + 10 * 60_000 }))).toMatchObject({ code: 'UNAUTHENTICATED', field: 'exp' });
  const longLived = signStewardRequest({ issuer: 'coordinator', audience: NODE, action: 'list-holds', steward: STEWARD, lifetimeSeconds: 3600 }, key);
  expect(await refusal(longLived, options(['list-holds']))).toMatchObject({ code: 'UNAUTHENTICATED', message: 'lifetime too long' });
  const otherIssuer = signStewardRequest({ issuer: 'elsewhere', audience: NODE, action: 'list-holds', steward: STEWARD }, key);
  expect(await refusal(otherIssuer, options(['list-holds']))).toMatchObject({ code: 'UNAUTHENTICATED', field: 'iss' });
  const wrongRole = signStewardRequest({ issuer: 'coordinator', audience: NODE, action: 'list-holds', steward: { ...STEWARD, role: 'staff' } }, key);
  expect(await refusal(wrongRole, options(['list-holds']))).toMatchObject({ code: 'PERMISSION_DENIED', field: 'steward.role' });
  expect(await refusal(signClaims({ action: 'decline-hold', hold: 'h-1' }), options(['decline-hold']))).toMatchObject({ code: 'UNAUTHENTICATED', field: 'reason' });
  expect(await refusal(signClaims({ action: 'release-hold' }), options(['release-hold']))).toMatchObject({ code: 'UNAUTHENTICATED', field: 'hold' });
  expect(await refusal(signClaims({ action: 'list-holds', extra: 1 }), options(['list-holds']))).toMatchObject({ code: 'UNAUTHENTICATED' });
  const query = signCompactJws({ aud: NODE }, key, 'biospec-query+jwt');
  expect(await refusal(query, options(['list-holds']))).toMatchObject({ code: 'UNAUTHENTICATED', field: 'typ' });
});

test('the coordinator cannot sign a request that would not verify', () => {
  expect(() => signStewardRequest({ issuer: 'coordinator', audience: NODE, action: 'list-holds', steward: { ...STEWARD, name: '' } }, key)).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
  );
});
