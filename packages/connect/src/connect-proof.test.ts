import { Buffer } from 'node:buffer';
import { BiospecError } from '@biospec/protocol';
import { createKeyRing, generateSigningKey, importSigningKey, signCompactJws, type KeyRing, type SigningKey } from '@biospec/trust';
import { CONNECT_PROOF_TYPE, newConnectNonce, signConnectProof, verifyConnectProof, type VerifyConnectProofOptions } from './connect-proof.js';

let hospitalKey: SigningKey;
let otherKey: SigningKey;
let rings: Map<string, KeyRing>;
const NOW = Date.parse('2026-12-03T10:00:00Z');
const nonce = newConnectNonce();

beforeAll(async () => {
  hospitalKey = await importSigningKey((await generateSigningKey({ kid: 'hospital-1' })).privateJwk);
  otherKey = await importSigningKey((await generateSigningKey({ kid: 'institute-1' })).privateJwk);
  rings = new Map([
    ['hospital', await createKeyRing([hospitalKey.publicJwk])],
    ['institute', await createKeyRing([otherKey.publicJwk])],
  ]);
});

const options = (over: Partial<VerifyConnectProofOptions> = {}): VerifyConnectProofOptions => ({
  coordinatorId: 'coordinator',
  nonce,
  keysOf: (id) => rings.get(id),
  now: () => NOW,
  ...over,
});
const proof = (over: { nodeId?: string; coordinatorId?: string; nonce?: string; now?: number; lifetimeSeconds?: number } = {}, key = hospitalKey) =>
  signConnectProof(
    {
      nodeId: over.nodeId ?? 'hospital',
      coordinatorId: over.coordinatorId ?? 'coordinator',
      nonce: over.nonce ?? nonce,
      now: () => over.now ?? NOW,
      ...(over.lifetimeSeconds ? { lifetimeSeconds: over.lifetimeSeconds } : {}),
    },
    key,
  );

async function refusal(token: string, over: Partial<VerifyConnectProofOptions> = {}): Promise<{ code: string; message: string }> {
  const error = await verifyConnectProof(token, options(over)).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof BiospecError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

test('a proof answering this challenge, signed by a pinned key of the node it names, verifies', async () => {
  const claims = await verifyConnectProof(proof(), options());
  expect(claims).toMatchObject({ iss: 'hospital', aud: 'coordinator', nonce });
  expect(claims.exp - claims.iat).toBe(30);
});

test.each([
  ['a node that is not a member', (): string => proof({ nodeId: 'stranger' }), {}, { code: 'PERMISSION_DENIED', message: 'node stranger is not a member of this network' }],
  // Signed by another member's key while claiming to be the hospital: a foreign signature.
  ['a foreign signature', (): string => proof({}, otherKey), {}, { code: 'UNAUTHENTICATED', message: 'unknown key id' }],
  ['a proof for another coordinator', (): string => proof({ coordinatorId: 'other-network' }), {}, { code: 'UNAUTHENTICATED', message: 'proof is for another coordinator' }],
  // Captured on one connection and replayed on another: the other connection's challenge has its own nonce.
  ['a replayed proof', (): string => proof(), { nonce: newConnectNonce() }, { code: 'UNAUTHENTICATED', message: 'proof answers another challenge' }],
  ['an expired proof', (): string => proof({ now: NOW - 120_000 }), {}, { code: 'UNAUTHENTICATED', message: 'proof expired' }],
  ['a proof from the future', (): string => proof({ now: NOW + 120_000 }), {}, { code: 'UNAUTHENTICATED', message: 'proof issued in the future' }],
  ['a long-lived proof', (): string => proof({ lifetimeSeconds: 3600 }), {}, { code: 'UNAUTHENTICATED', message: 'proof lifetime too long' }],
  ['a malformed proof', (): string => 'not.a.token', {}, { code: 'UNAUTHENTICATED', message: 'malformed proof' }],
  ['an empty proof', (): string => '', {}, { code: 'UNAUTHENTICATED', message: 'no proof' }],
  ['an oversized proof', (): string => `${'a'.repeat(5000)}.b.c`, {}, { code: 'UNAUTHENTICATED', message: 'proof too large' }],
] as const)('%s is refused', async (_what, token, over, expected) => {
  expect(await refusal(token(), over)).toEqual(expected);
});

test('another token type signed by the node (its signed answer) is not a proof', async () => {
  const payload = { iss: 'hospital', aud: 'coordinator', nonce, iat: NOW / 1000, exp: NOW / 1000 + 30 };
  expect(await refusal(signCompactJws(payload, hospitalKey, 'biospec-result+jwt'))).toEqual({ code: 'UNAUTHENTICATED', message: 'token type biospec-result+jwt not allowed' });
  expect(await verifyConnectProof(signCompactJws(payload, hospitalKey, CONNECT_PROOF_TYPE), options())).toMatchObject({ iss: 'hospital' });
});

test('an unsigned proof (alg none) and an altered one are refused', async () => {
  const [header, payload] = proof().split('.');
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: CONNECT_PROOF_TYPE })).toString('base64url')}.${payload}.`;
  expect((await refusal(none)).code).toBe('UNAUTHENTICATED');
  const altered = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
  const forged = `${header}.${Buffer.from(JSON.stringify({ ...altered, exp: (altered.exp as number) + 10 })).toString('base64url')}.${proof().split('.')[2]}`;
  expect(await refusal(forged)).toEqual({ code: 'UNAUTHENTICATED', message: 'signature does not verify' });
});
