import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { BiospecError } from '@biospec/protocol';
import { signCompactJws, verifyCompactJws, type KeyRing, type SigningKey } from '@biospec/trust';

/** `typ` header of a node's answer to a coordinator's connect challenge. */
export const CONNECT_PROOF_TYPE = 'biospec-connect+jwt';
/** Lifetime a node gives its proof: it answers a challenge at once, so seconds are enough. */
export const DEFAULT_PROOF_LIFETIME_SECONDS = 30;
/** No proof may live longer than this. */
export const MAX_PROOF_LIFETIME_SECONDS = 60;
/** Clock difference tolerated between node and coordinator, as for signed queries. */
export const PROOF_CLOCK_SKEW_SECONDS = 30;
/** A proof is a few hundred bytes; anything much larger is refused before it is decoded. */
const MAX_PROOF_BYTES = 4096;

/** 32 random bytes as unpadded base64url: 43 characters. */
const NONCE = /^[A-Za-z0-9_-]{43}$/;
const NODE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A fresh challenge nonce: 32 random bytes, base64url. */
export function newConnectNonce(): string {
  return randomBytes(32).toString('base64url');
}

/** True for a string shaped like a nonce {@link newConnectNonce} makes. */
export function isConnectNonce(value: string): boolean {
  return NONCE.test(value);
}

/** What a verified proof says: this node, answering this coordinator's challenge, now. */
export interface ConnectProofClaims {
  /** The node id. */
  iss: string;
  /** The coordinator id. */
  aud: string;
  /** The challenge's nonce. */
  nonce: string;
  iat: number;
  exp: number;
}

const seconds = z.number().int().nonnegative();
const ClaimsSchema = z.object({
  iss: z.string().regex(NODE_ID, 'a node id'),
  aud: z.string().min(1).max(512),
  nonce: z.string().regex(NONCE, '32 bytes, base64url'),
  iat: seconds,
  exp: seconds,
});

export interface SignConnectProofInput {
  nodeId: string;
  coordinatorId: string;
  nonce: string;
  lifetimeSeconds?: number;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
}

/** The node's answer to a challenge: a compact JWS (EdDSA, typ {@link CONNECT_PROOF_TYPE}) by its node key. */
export function signConnectProof(input: SignConnectProofInput, key: SigningKey): string {
  const iat = Math.floor((input.now ?? Date.now)() / 1000);
  const claims: ConnectProofClaims = {
    iss: input.nodeId,
    aud: input.coordinatorId,
    nonce: input.nonce,
    iat,
    exp: iat + (input.lifetimeSeconds ?? DEFAULT_PROOF_LIFETIME_SECONDS),
  };
  return signCompactJws(claims, key, CONNECT_PROOF_TYPE);
}

export interface VerifyConnectProofOptions {
  /** This coordinator's id: the proof's `aud`. */
  coordinatorId: string;
  /** The nonce this call's challenge carried: the proof must answer exactly it. */
  nonce: string;
  /** The pinned keys of a member node, or undefined when no member has this id. */
  keysOf: (nodeId: string) => KeyRing | undefined;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
}

function refuse(code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED', field: string, reason: string): never {
  throw new BiospecError(code, reason, { issues: [{ field, message: reason }] });
}

/** The `iss` a token claims, read before anything is trusted: it only selects whose pinned keys must verify it. */
function claimedNode(token: string): string {
  const payload = token.split('.')[1];
  let iss: unknown;
  try {
    iss = (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { iss?: unknown }).iss;
  } catch {
    refuse('UNAUTHENTICATED', 'token', 'malformed proof');
  }
  if (typeof iss !== 'string' || !NODE_ID.test(iss)) refuse('UNAUTHENTICATED', 'iss', 'proof names no node id');
  return iss;
}

/**
 * Checks a node's proof against the challenge of this call, in a fixed order so the reason is the
 * first thing wrong: size and shape, membership of the node it names (PERMISSION_DENIED), then
 * (UNAUTHENTICATED) algorithm, type, key id among that node's pinned keys, signature, claims,
 * audience (this coordinator), nonce (this call's challenge: a proof captured on another
 * connection answers another nonce), expiry, issue time and lifetime.
 */
export async function verifyConnectProof(token: string, options: VerifyConnectProofOptions): Promise<ConnectProofClaims> {
  if (typeof token !== 'string' || token === '') refuse('UNAUTHENTICATED', 'token', 'no proof');
  if (Buffer.byteLength(token, 'utf8') > MAX_PROOF_BYTES) refuse('UNAUTHENTICATED', 'token', 'proof too large');
  const nodeId = claimedNode(token);
  const keys = options.keysOf(nodeId);
  if (keys === undefined) refuse('PERMISSION_DENIED', 'iss', `node ${nodeId} is not a member of this network`);
  const { payload } = await verifyCompactJws(token, { keys, typ: CONNECT_PROOF_TYPE, maxTokenBytes: MAX_PROOF_BYTES, unsignedReason: 'proof is not signed' });
  const parsed = ClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.map(String).join('.') || 'claims';
    refuse('UNAUTHENTICATED', field, `invalid proof claim ${field}`);
  }
  const claims = parsed.data;
  if (claims.aud !== options.coordinatorId) refuse('UNAUTHENTICATED', 'aud', 'proof is for another coordinator');
  if (claims.nonce !== options.nonce) refuse('UNAUTHENTICATED', 'nonce', 'proof answers another challenge');
  const now = (options.now ?? Date.now)() / 1000;
  if (claims.exp <= now - PROOF_CLOCK_SKEW_SECONDS) refuse('UNAUTHENTICATED', 'exp', 'proof expired');
  if (claims.iat > now + PROOF_CLOCK_SKEW_SECONDS) refuse('UNAUTHENTICATED', 'iat', 'proof issued in the future');
  if (claims.exp - claims.iat > MAX_PROOF_LIFETIME_SECONDS) refuse('UNAUTHENTICATED', 'exp', 'proof lifetime too long');
  return claims;
}
