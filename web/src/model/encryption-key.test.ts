import { calculateJwkThumbprint, CompactEncrypt, compactDecrypt, importJWK } from 'jose';
import { createEncryptionKeyPair, jwkThumbprint, readPublicKeyText } from './encryption-key.js';

describe('the browser-made encryption key', () => {
  test('has the RFC 7638 thumbprint as kid, and what is encrypted to the public key opens with the private one', async () => {
    const { publicJwk, privateJwk } = await createEncryptionKeyPair();
    expect(publicJwk.kid).toBe(await calculateJwkThumbprint(publicJwk, 'sha256'));
    expect(privateJwk.kid).toBe(publicJwk.kid);
    expect('d' in publicJwk).toBe(false);
    const sealed = await new CompactEncrypt(new TextEncoder().encode('granted'))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' })
      .encrypt(await importJWK(publicJwk, 'ECDH-ES+A256KW'));
    const opened = await compactDecrypt(sealed, await importJWK(privateJwk, 'ECDH-ES+A256KW'));
    expect(new TextDecoder().decode(opened.plaintext)).toBe('granted');
  });

  test('an X25519 key from the CLI has the same thumbprint as jose computes', async () => {
    const key = { kty: 'OKP' as const, crv: 'X25519' as const, x: 'hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo' };
    expect(await jwkThumbprint(key)).toBe(await calculateJwkThumbprint(key, 'sha256'));
  });
});

describe('readPublicKeyText', () => {
  test('takes a JSON object, nothing for empty text, and refuses private keys and non-JSON', () => {
    expect(readPublicKeyText('')).toEqual({ key: null });
    expect(readPublicKeyText('{"kty":"OKP","crv":"X25519","x":"abc"}')).toEqual({ key: { kty: 'OKP', crv: 'X25519', x: 'abc' } });
    expect(readPublicKeyText('{"kty":"EC","d":"secret"}')).toHaveProperty('problem');
    expect(readPublicKeyText('-----BEGIN')).toHaveProperty('problem');
  });
});
