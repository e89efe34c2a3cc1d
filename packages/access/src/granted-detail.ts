/**
 * Granted detail goes from the node to the researcher end to end: the node signs it (a
 * compact JWS with its own key) and encrypts that to the researcher's public key (a compact
 * JWE, ECDH-ES+A256KW with A256GCM, on an X25519 or P-256 key). The coordinator relays the
 * JWE and can neither read nor alter it; the researcher decrypts with their private key and
 * checks the node's signature with the node's public keys.
 */
import { createPublicKey } from 'node:crypto';
import { BiospecError } from '@biospec/protocol';
import { calculateJwkThumbprint, compactDecrypt, CompactEncrypt, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { signCompactJws, verifyCompactJws, type KeyRing, type SigningKey } from '@biospec/trust';
import { z } from 'zod';

/** `typ` of the node's signed detail inside the JWE. */
export const GRANTED_DETAIL_TYPE = 'biospec-granted+jwt';
export const KEY_MANAGEMENT = 'ECDH-ES+A256KW';
export const CONTENT_ENCRYPTION = 'A256GCM';
/** Curves a researcher's encryption key may use. */
export const ENCRYPTION_CURVES = ['X25519', 'P-256'] as const;
export type EncryptionCurve = (typeof ENCRYPTION_CURVES)[number];
/** The most specimens one granted answer lists. */
export const MAX_GRANTED_SPECIMENS = 10_000;

/** One specimen as a granted answer lists it: pseudonymous id and what a request needs to plan. */
export interface GrantedSpecimen {
  sample_id: string;
  collection_id: string;
  material_type: string;
  quantity: number;
  storage_temperature: string;
}

/** What the node signs for the researcher. */
export interface GrantedDetail {
  node_id: string;
  request: string;
  query_hash: string;
  /** The `jti` of the question this answers. */
  query_id: string;
  /** The grant that allowed it. */
  grant_id: string;
  data_epoch: number;
  answered_at: string;
  /** Thumbprint of the key this was encrypted to. */
  recipient: string;
  /** True when more specimens matched than one answer lists ({@link MAX_GRANTED_SPECIMENS}). */
  truncated: boolean;
  specimens: GrantedSpecimen[];
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/**
 * Checks a researcher's public encryption key and returns it without extra members.
 * @throws BiospecError INVALID_ARGUMENT naming what is wrong.
 */
export function parseEncryptionKey(jwk: unknown, field = 'encryptionKey'): JWK {
  const fail = (message: string): never => {
    throw new BiospecError('INVALID_ARGUMENT', `invalid encryption key: ${message}`, { issues: [{ field, message }] });
  };
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return fail('expected a public JWK object');
  const key = jwk as Record<string, unknown>;
  const privateMembers = PRIVATE_MEMBERS.filter((m) => m in key);
  if (privateMembers.length > 0) return fail(`it holds private key material (${privateMembers.join(', ')}); send only the public key`);
  if (key.kty === 'OKP' && key.crv === 'X25519' && typeof key.x === 'string') return checked({ kty: 'OKP', crv: 'X25519', x: key.x }, fail);
  if (key.kty === 'EC' && key.crv === 'P-256' && typeof key.x === 'string' && typeof key.y === 'string') {
    return checked({ kty: 'EC', crv: 'P-256', x: key.x, y: key.y }, fail);
  }
  return fail('expected an X25519 (kty OKP) or P-256 (kty EC) public key');
}

function checked(jwk: JWK, fail: (message: string) => never): JWK {
  try {
    createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch (cause) {
    fail(`not a usable key (${(cause as Error).message})`);
  }
  return jwk;
}

/** RFC 7638 thumbprint of a public encryption key: what a grant binds (`jkt`). */
export async function encryptionKeyThumbprint(publicJwk: JWK): Promise<string> {
  return calculateJwkThumbprint(parseEncryptionKey(publicJwk), 'sha256');
}

/** A new encryption key pair for a researcher (`biospec access keygen`). */
export async function generateEncryptionKey(curve: EncryptionCurve = 'X25519'): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(KEY_MANAGEMENT, { crv: curve, extractable: true });
  const publicJwk = parseEncryptionKey(await exportJWK(publicKey));
  const privateJwk = { ...(await exportJWK(privateKey)), kid: await encryptionKeyThumbprint(publicJwk) };
  return { privateJwk, publicJwk: { ...publicJwk, kid: privateJwk.kid } };
}

/** Signs `detail` with the node key and encrypts it to the researcher's key. */
export async function sealGrantedDetail(detail: GrantedDetail, nodeKey: SigningKey, recipient: JWK): Promise<string> {
  const publicJwk = parseEncryptionKey(recipient);
  const signed = signCompactJws(detail, nodeKey, GRANTED_DETAIL_TYPE);
  return new CompactEncrypt(new TextEncoder().encode(signed))
    .setProtectedHeader({ alg: KEY_MANAGEMENT, enc: CONTENT_ENCRYPTION, cty: 'JWT', kid: detail.recipient })
    .encrypt(await importJWK(publicJwk, KEY_MANAGEMENT));
}

const DetailSchema = z.object({
  node_id: z.string().min(1),
  request: z.string().min(1),
  query_hash: z.string().regex(/^[0-9a-f]{64}$/),
  query_id: z.string().min(1),
  grant_id: z.string().min(1),
  data_epoch: z.number().int().nonnegative(),
  answered_at: z.string().min(1),
  recipient: z.string().min(1),
  truncated: z.boolean(),
  specimens: z
    .array(
      z.object({
        sample_id: z.string(),
        collection_id: z.string(),
        material_type: z.string(),
        quantity: z.number(),
        storage_temperature: z.string(),
      }),
    )
    .max(MAX_GRANTED_SPECIMENS),
});

/**
 * Decrypts a granted answer with the researcher's private key and verifies the node's
 * signature inside against the node's public keys.
 * @throws BiospecError UNAUTHENTICATED when it cannot be decrypted or does not verify, or is from another node.
 */
export async function openGrantedDetail(jwe: string, privateJwk: JWK, nodeKeys: KeyRing, expectedNodeId: string): Promise<GrantedDetail> {
  let signed: string;
  try {
    const key = await importJWK(privateJwk, KEY_MANAGEMENT);
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, key, { keyManagementAlgorithms: [KEY_MANAGEMENT], contentEncryptionAlgorithms: [CONTENT_ENCRYPTION] });
    if (protectedHeader.cty !== 'JWT') throw new Error(`content type ${String(protectedHeader.cty)}`);
    signed = new TextDecoder().decode(plaintext);
  } catch (cause) {
    throw new BiospecError('UNAUTHENTICATED', `granted answer cannot be decrypted with this key: ${(cause as Error).message}`, { cause });
  }
  const { payload } = await verifyCompactJws(signed, { keys: nodeKeys, typ: GRANTED_DETAIL_TYPE, maxTokenBytes: 64 * 1024 * 1024, unsignedReason: 'granted answer is not signed' });
  const parsed = DetailSchema.safeParse(payload);
  if (!parsed.success) {
    throw new BiospecError('UNAUTHENTICATED', 'granted answer is malformed', {
      issues: parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message })),
    });
  }
  if (parsed.data.node_id !== expectedNodeId) throw new BiospecError('UNAUTHENTICATED', `granted answer is from node ${parsed.data.node_id}, not ${expectedNodeId}`);
  return parsed.data;
}
