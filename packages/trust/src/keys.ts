import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { BiospecError, type Issue } from '@biospec/protocol';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';

/** The only JWS algorithm this project signs or accepts with its own keys. */
export const SIGNING_ALGORITHM = 'EdDSA';

/** A private Ed25519 key ready to sign, with the public JWK others pin. */
export interface SigningKey {
  kid: string;
  /** A Node KeyObject: node:crypto signs with it directly (an order of magnitude faster than WebCrypto here), jose accepts it too. */
  key: KeyObject;
  publicJwk: JWK;
}

/** One public key of a {@link KeyRing}. */
export interface RingKey {
  kid: string;
  key: KeyObject;
  publicJwk: JWK;
}

/**
 * The public keys one party trusts for one signer (a coordinator, a node).
 * Rotation: the ring holds the current and the still-accepted kids; the signer picks its current key.
 */
export interface KeyRing {
  /** The key with this kid, or undefined when the ring does not hold it. */
  get(kid: string): RingKey | undefined;
  kids(): string[];
  /** The ring as a JWKS document, fit to publish. */
  jwks(): { keys: JWK[] };
  /**
   * The issuers (`iss`) whose tokens these keys may sign, when the ring is pinned for
   * particular ones (a node's coordinator ids); undefined: the keys alone decide.
   */
  readonly issuers?: readonly string[];
}

export interface KeyRingOptions {
  /** Binds the ring to these issuers; see {@link KeyRing.issuers}. */
  issuers?: readonly string[];
}

/** JWK members that only a private (or symmetric) key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

/**
 * Generates a new Ed25519 key pair as JWKs. `kid` defaults to the key's
 * RFC 7638 thumbprint; both JWKs carry `alg: 'EdDSA'` and `use: 'sig'`.
 */
export async function generateSigningKey(options: { kid?: string } = {}): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const exportedPublic = await exportJWK(publicKey);
  const exportedPrivate = await exportJWK(privateKey);
  const kid = options.kid ?? (await calculateJwkThumbprint(exportedPublic));
  const publicJwk = publicJwkOf(exportedPublic, kid);
  return { privateJwk: { ...publicJwk, d: exportedPrivate.d }, publicJwk };
}

/**
 * Imports a private Ed25519 JWK for signing. A missing kid becomes the RFC 7638
 * thumbprint, as {@link generateSigningKey} would have chosen.
 */
export async function importSigningKey(privateJwk: JWK): Promise<SigningKey> {
  const issues = ed25519Issues(privateJwk, 'key');
  if (typeof privateJwk.d !== 'string' || privateJwk.d === '') {
    issues.push({ field: 'key.d', message: 'a signing key needs its private part' });
  }
  if (privateJwk.kid !== undefined && (typeof privateJwk.kid !== 'string' || privateJwk.kid === '')) {
    issues.push({ field: 'key.kid', message: 'kid must be a non-empty string' });
  }
  if (issues.length > 0) throw new BiospecError('INVALID_CONFIG', 'invalid signing key', { issues });

  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(privateJwk));
  const publicJwk = publicJwkOf(privateJwk, kid);
  const key = importKey({ kty: 'OKP', crv: 'Ed25519', x: privateJwk.x, d: privateJwk.d }, 'key', 'private');
  // Node derives the key from `d` alone; a mismatching `x` would publish a key that never verifies.
  if (createPublicKey(key).export({ format: 'jwk' }).x !== privateJwk.x) {
    throw new BiospecError('INVALID_CONFIG', 'invalid signing key', { issues: [{ field: 'key.x', message: 'public part does not match the private key' }] });
  }
  return { kid, key, publicJwk };
}

/**
 * Builds a ring of trusted public keys. Rejects, with INVALID_CONFIG, keys that
 * are not Ed25519, lack a kid, carry private material, or repeat a kid.
 */
export async function createKeyRing(publicJwks: JWK[], options: KeyRingOptions = {}): Promise<KeyRing> {
  if (!Array.isArray(publicJwks)) {
    throw new BiospecError('INVALID_CONFIG', 'invalid key ring', { issues: [{ field: 'keys', message: 'expected an array of JWKs' }] });
  }
  const issues: Issue[] = [];
  const seen = new Set<string>();
  publicJwks.forEach((jwk, i) => {
    const field = `keys[${i}]`;
    if (typeof jwk !== 'object' || jwk === null) {
      issues.push({ field, message: 'expected a JWK object' });
      return;
    }
    issues.push(...ed25519Issues(jwk, field));
    const privateMembers = PRIVATE_MEMBERS.filter((member) => member in jwk);
    if (privateMembers.length > 0) {
      issues.push({ field, message: `private key material (${privateMembers.join(', ')}) in a public key ring` });
    }
    if (typeof jwk.kid !== 'string' || jwk.kid === '') {
      issues.push({ field: `${field}.kid`, message: 'key has no kid' });
    } else if (seen.has(jwk.kid)) {
      issues.push({ field: `${field}.kid`, message: `duplicate kid '${jwk.kid}'` });
    } else {
      seen.add(jwk.kid);
    }
  });
  if (issues.length > 0) {
    throw new BiospecError('INVALID_CONFIG', `invalid key ring: ${issues[0]?.message ?? ''}`, { issues });
  }

  const entries = new Map<string, RingKey>();
  for (const [i, jwk] of publicJwks.entries()) {
    const kid = jwk.kid as string;
    const publicJwk = publicJwkOf(jwk, kid);
    entries.set(kid, { kid, key: importKey({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, `keys[${i}]`, 'public'), publicJwk });
  }
  return {
    get: (kid) => entries.get(kid),
    kids: () => [...entries.keys()],
    jwks: () => ({ keys: [...entries.values()].map((entry) => ({ ...entry.publicJwk })) }),
    ...(options.issuers === undefined ? {} : { issuers: [...options.issuers] }),
  };
}

function ed25519Issues(jwk: JWK, field: string): Issue[] {
  const issues: Issue[] = [];
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
    issues.push({ field, message: `not an Ed25519 key (kty ${String(jwk.kty)}, crv ${String(jwk.crv)})` });
  }
  if (typeof jwk.x !== 'string' || jwk.x === '') issues.push({ field: `${field}.x`, message: 'missing public key x' });
  if (jwk.alg !== undefined && jwk.alg !== SIGNING_ALGORITHM) {
    issues.push({ field: `${field}.alg`, message: `algorithm ${String(jwk.alg)} not allowed` });
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') issues.push({ field: `${field}.use`, message: `use must be 'sig'` });
  return issues;
}

function publicJwkOf(jwk: JWK, kid: string): JWK {
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, alg: SIGNING_ALGORITHM, use: 'sig' };
}

function importKey(jwk: JWK, field: string, kind: 'private' | 'public'): KeyObject {
  try {
    const input = { key: jwk as JsonWebKey, format: 'jwk' as const };
    return kind === 'private' ? createPrivateKey(input) : createPublicKey(input);
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', 'key cannot be imported', {
      issues: [{ field, message: messageOf(cause) }],
      cause,
    });
  }
}

function messageOf(cause: unknown): string {
  const message = typeof cause === 'object' && cause !== null ? (cause as { message?: unknown }).message : undefined;
  return typeof message === 'string' && message !== '' ? message : 'unreadable key';
}
