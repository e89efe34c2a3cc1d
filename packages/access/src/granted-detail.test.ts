import { createKeyRing, generateSigningKey, importSigningKey, type SigningKey } from '@biospec/trust';
import { compactDecrypt, decodeProtectedHeader, type JWK } from 'jose';
import { encryptionKeyThumbprint, generateEncryptionKey, openGrantedDetail, parseEncryptionKey, sealGrantedDetail, type GrantedDetail } from './granted-detail.js';

let node: SigningKey;

beforeAll(async () => {
  node = await importSigningKey((await generateSigningKey({ kid: 'north-1' })).privateJwk);
});

const detail = (recipient: string): GrantedDetail => ({
  node_id: 'north',
  request: 'req-1',
  query_hash: 'a'.repeat(64),
  query_id: 'q-1',
  grant_id: 'g-1',
  data_epoch: 7,
  answered_at: '2026-03-01T09:00:00.000Z',
  recipient,
  truncated: false,
  specimens: [{ sample_id: 'NUH-000017', collection_id: 'breast', material_type: 'tissue-ffpe', quantity: 3, storage_temperature: 'RT' }],
});

test.each(['X25519', 'P-256'] as const)('sealed for a %s key: only that key opens it, and the node signature inside verifies', async (curve) => {
  const { privateJwk, publicJwk } = await generateEncryptionKey(curve);
  const jkt = await encryptionKeyThumbprint(publicJwk);
  const jwe = await sealGrantedDetail(detail(jkt), node, publicJwk);
  expect(decodeProtectedHeader(jwe)).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'JWT', kid: jkt });
  // The sample id is nowhere in what the coordinator relays.
  expect(jwe).not.toContain('NUH-000017');
  expect(Buffer.from(jwe.split('.').join(''), 'base64url').toString('latin1')).not.toContain('NUH-000017');
  const ring = await createKeyRing([node.publicJwk]);
  expect(await openGrantedDetail(jwe, privateJwk, ring, 'north')).toEqual(detail(jkt));

  const stranger = await generateEncryptionKey(curve);
  await expect(openGrantedDetail(jwe, stranger.privateJwk, ring, 'north')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  await expect(openGrantedDetail(jwe, privateJwk, ring, 'south')).rejects.toThrow('granted answer is from node north, not south');
  const impostor = await importSigningKey((await generateSigningKey({ kid: 'north-1' })).privateJwk);
  await expect(openGrantedDetail(jwe, privateJwk, await createKeyRing([impostor.publicJwk]), 'north')).rejects.toThrow('signature does not verify');
  // Inside is the node's compact JWS.
  const { plaintext } = await compactDecrypt(jwe, await import('jose').then((j) => j.importJWK(privateJwk, 'ECDH-ES+A256KW')));
  expect(new TextDecoder().decode(plaintext).split('.')).toHaveLength(3);
});

test('only public X25519 or P-256 keys are accepted for encryption', async () => {
  const { privateJwk, publicJwk } = await generateEncryptionKey('X25519');
  expect(parseEncryptionKey({ ...publicJwk, use: 'enc' })).toEqual({ kty: 'OKP', crv: 'X25519', x: publicJwk.x });
  expect(() => parseEncryptionKey(privateJwk)).toThrow('invalid encryption key: it holds private key material (d); send only the public key');
  expect(() => parseEncryptionKey({ kty: 'OKP', crv: 'Ed25519', x: publicJwk.x })).toThrow('invalid encryption key: expected an X25519 (kty OKP) or P-256 (kty EC) public key');
  expect(() => parseEncryptionKey({ kty: 'RSA', n: 'x', e: 'AQAB' } as JWK)).toThrow('expected an X25519');
  expect(() => parseEncryptionKey('key')).toThrow('invalid encryption key: expected a public JWK object');
  expect(() => parseEncryptionKey({ kty: 'OKP', crv: 'X25519', x: 'AAAA' })).toThrow(/invalid encryption key: not a usable key/);
});
