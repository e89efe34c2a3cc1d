import { BiospecError } from '@biospec/protocol';
import { calculateJwkThumbprint, generateKeyPair, exportJWK, type JWK } from 'jose';
import { createKeyRing, generateSigningKey, importSigningKey } from './keys.js';

async function configError(promise: Promise<unknown>): Promise<BiospecError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(BiospecError);
  expect((error as BiospecError).code).toBe('INVALID_CONFIG');
  return error as BiospecError;
}

describe('generateSigningKey / importSigningKey', () => {
  test('kid defaults to the RFC 7638 thumbprint; both JWKs say EdDSA and sig', async () => {
    const { privateJwk, publicJwk } = await generateSigningKey();
    expect(publicJwk.kid).toBe(await calculateJwkThumbprint(publicJwk));
    expect(publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(publicJwk).not.toHaveProperty('d');
    expect(privateJwk).toMatchObject({ ...publicJwk, d: expect.any(String) });
  });

  test('an explicit kid is kept and the imported key matches', async () => {
    const { privateJwk, publicJwk } = await generateSigningKey({ kid: 'coord-2024' });
    const signing = await importSigningKey(privateJwk);
    expect(signing.kid).toBe('coord-2024');
    expect(signing.publicJwk).toEqual(publicJwk);
  });

  test('rejects a public key, another curve, and a private key that does not match its x', async () => {
    const { privateJwk, publicJwk } = await generateSigningKey();
    await configError(importSigningKey(publicJwk));

    const ec = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
    await configError(importSigningKey(ec));

    const other = await generateSigningKey();
    const mismatched = await configError(importSigningKey({ ...privateJwk, x: other.publicJwk.x }));
    expect(mismatched.message).toBe('invalid signing key');
    expect(mismatched.issues[0]).toEqual({ field: 'key.x', message: 'public part does not match the private key' });
  });
});

describe('createKeyRing', () => {
  test('holds several kids and publishes them as a JWKS', async () => {
    const a = (await generateSigningKey({ kid: 'a' })).publicJwk;
    const b = (await generateSigningKey({ kid: 'b' })).publicJwk;
    const ring = await createKeyRing([a, b]);
    expect(ring.kids()).toEqual(['a', 'b']);
    expect(ring.get('b')?.publicJwk).toEqual(b);
    expect(ring.get('c')).toBeUndefined();
    expect(ring.jwks()).toEqual({ keys: [a, b] });
  });

  test('rejects non-Ed25519 keys', async () => {
    const rsa = await exportJWK((await generateKeyPair('RS256')).publicKey);
    const error = await configError(createKeyRing([{ ...rsa, kid: 'rsa' }]));
    expect(error.issues[0]?.message).toMatch(/not an Ed25519 key/);
  });

  test('rejects keys without kid', async () => {
    const { kid: _kid, ...noKid } = (await generateSigningKey()).publicJwk;
    const error = await configError(createKeyRing([noKid]));
    expect(error.issues).toContainEqual({ field: 'keys[0].kid', message: 'key has no kid' });
  });

  test('rejects private material in a public ring', async () => {
    const { privateJwk } = await generateSigningKey();
    const error = await configError(createKeyRing([privateJwk]));
    expect(error.message).toMatch(/private key material \(d\)/);
  });

  test('rejects duplicate kids', async () => {
    const a = (await generateSigningKey({ kid: 'same' })).publicJwk;
    const b = (await generateSigningKey({ kid: 'same' })).publicJwk;
    const error = await configError(createKeyRing([a, b]));
    expect(error.issues).toContainEqual({ field: 'keys[1].kid', message: "duplicate kid 'same'" });
  });

  test('rejects another algorithm named on an Ed25519 key', async () => {
    const jwk: JWK = { ...(await generateSigningKey({ kid: 'k' })).publicJwk, alg: 'HS256' };
    await configError(createKeyRing([jwk]));
  });
});
