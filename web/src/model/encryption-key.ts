/**
 * The researcher's encryption key for granted detail: a site's answer is encrypted to it end to
 * end (docs/ACCESS.md), so only the private key's holder reads it. The UI takes the public key
 * from `biospec access keygen` or makes a P-256 pair with the browser's Web Crypto: the private
 * key is handed to the researcher as a file (for `biospec access fetch --key`) and never sent.
 */
import { base64Url } from '../auth/pkce.js';

export type PublicEncryptionJwk = { kty: 'EC'; crv: 'P-256'; x: string; y: string; kid?: string } | { kty: 'OKP'; crv: 'X25519'; x: string; kid?: string };

/** RFC 7638 thumbprint (SHA-256, base64url) of a public key: the `kid` the CLI gives its keys and grants bind. */
export async function jwkThumbprint(jwk: PublicEncryptionJwk): Promise<string> {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(members)));
  return base64Url(new Uint8Array(digest));
}

/** A new P-256 key pair, both as JWK with the thumbprint as `kid`. */
export async function createEncryptionKeyPair(): Promise<{ publicJwk: PublicEncryptionJwk; privateJwk: Record<string, string> }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair;
  const exported = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as { x: string; y: string; d: string };
  const publicJwk: PublicEncryptionJwk = { kty: 'EC', crv: 'P-256', x: exported.x, y: exported.y };
  const kid = await jwkThumbprint(publicJwk);
  return { publicJwk: { ...publicJwk, kid }, privateJwk: { kty: 'EC', crv: 'P-256', x: exported.x, y: exported.y, d: exported.d, kid } };
}

/** A pasted public key: parsed JSON for the API to check, a refusal of private material, or why it is not JSON. */
export function readPublicKeyText(text: string): { key: Record<string, unknown> | null } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { key: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return { problem: 'not JSON: paste the whole public key file (a JSON object)' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: 'expected a JSON object (a public JWK)' };
  if ('d' in parsed) return { problem: 'this is a private key: paste only the public key (the .pub.json file); keep the private key to yourself' };
  return { key: parsed as Record<string, unknown> };
}
