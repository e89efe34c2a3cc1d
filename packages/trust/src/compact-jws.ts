import { Buffer } from 'node:buffer';
import { sign, verify } from 'node:crypto';
import { BiospecError, type ErrorCode } from '@biospec/protocol';
import { SIGNING_ALGORITHM, type KeyRing, type SigningKey } from './keys.js';

/** The default ceiling on a compact JWS, checked before anything is decoded. */
export const DEFAULT_MAX_TOKEN_BYTES = 32_768;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** An Ed25519 signature is 64 bytes: 86 base64url characters, the last one's 4 unused low bits zero. */
const ED25519_SIGNATURE_CHARS = 86;

/**
 * True when `part` is the one base64url encoding of its bytes (no padding, unused low bits
 * zero). Decoders ignore those bits, so without this check one signature has several spellings
 * and a token could be altered without breaking its signature.
 */
export function isCanonicalBase64url(part: string): boolean {
  return BASE64URL.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part;
}

/**
 * Refuses a header that marks any parameter critical (RFC 7515 §4.1.11): this project
 * uses no JWS extension, so every name in `crit` is one it does not understand.
 */
export function refuseCriticalHeaders(header: Record<string, unknown>): void {
  if (!('crit' in header)) return;
  const names = Array.isArray(header.crit) ? header.crit.map(String).join(', ') : String(header.crit);
  reject('UNAUTHENTICATED', 'crit', `critical header ${names || '(empty)'} not understood`);
}

/**
 * Throws the project's error for a rejected token: the reason is the message
 * and, for machines, `issues[0].message`, located at the claim or header that failed.
 */
export function reject(code: ErrorCode, field: string, reason: string, cause?: unknown): never {
  throw new BiospecError(code, reason, { issues: [{ field, message: reason }], cause });
}

/**
 * True when `token` takes more than `max` bytes as UTF-8. A character takes 1 to 3 bytes (a
 * surrogate pair 4 for its 2 characters), so the length alone settles most tokens; only one
 * in between is measured, which a signed result of 60 strata (24 kB) otherwise paid for on
 * every answer.
 */
function tooLarge(token: string, max: number): boolean {
  if (token.length > max) return true;
  return token.length * 3 > max && Buffer.byteLength(token, 'utf8') > max;
}

/** A verified compact JWS: its protected header and its JSON object payload. */
export interface VerifiedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/**
 * Checks a compact JWS signed by one of `keys`, in a fixed order so the reason
 * is always the first thing wrong: presence, size, shape, algorithm, critical headers, type,
 * key id, signature (which must be canonical base64url).
 * Every failure is UNAUTHENTICATED.
 */
export async function verifyCompactJws(
  token: unknown,
  options: { keys: KeyRing; typ: string; maxTokenBytes: number; unsignedReason: string },
): Promise<VerifiedJws> {
  if (typeof token !== 'string' || token.trim() === '') reject('UNAUTHENTICATED', 'token', options.unsignedReason);
  if (tooLarge(token, options.maxTokenBytes)) reject('UNAUTHENTICATED', 'token', 'token too large');

  const { header, payload } = decodeCompact(token);
  if (header.alg !== SIGNING_ALGORITHM) reject('UNAUTHENTICATED', 'alg', `algorithm ${String(header.alg)} not allowed`);
  refuseCriticalHeaders(header);
  if (header.typ !== options.typ) reject('UNAUTHENTICATED', 'typ', `token type ${String(header.typ)} not allowed`);
  const ringKey = typeof header.kid === 'string' ? options.keys.get(header.kid) : undefined;
  if (ringKey === undefined) reject('UNAUTHENTICATED', 'kid', 'unknown key id');

  // EdDSA over the ASCII of "header.payload" (RFC 8037); node:crypto is used directly
  // because it verifies several times faster than going through WebCrypto.
  const signingInput = token.slice(0, token.lastIndexOf('.'));
  const signaturePart = token.slice(token.lastIndexOf('.') + 1);
  if (signaturePart.length === ED25519_SIGNATURE_CHARS && !isCanonicalBase64url(signaturePart)) {
    reject('UNAUTHENTICATED', 'signature', 'signature is not canonical base64url');
  }
  const signature = Buffer.from(signaturePart, 'base64url');
  if (signaturePart.length !== ED25519_SIGNATURE_CHARS || signature.length !== 64 || !verify(null, Buffer.from(signingInput, 'ascii'), ringKey.key, signature)) {
    reject('UNAUTHENTICATED', 'signature', 'signature does not verify');
  }
  return { header, payload };
}

/** How a coordinator-signed token's audience, issuer and times are checked. */
export interface AddressedClaimsOptions {
  /** The pinned keys; when the ring names its issuers, `iss` must be one of them. */
  keys: KeyRing;
  /** This node's id: the `aud` the token must carry. */
  audience: string;
  /** The refusal when `aud` names another node. */
  otherAudience: string;
  nowSeconds: number;
  skewSeconds: number;
  maxLifetimeSeconds: number;
}

/**
 * The checks every coordinator-signed token addressed to one node shares, after its signature
 * verified, in this order: audience (PERMISSION_DENIED), issuer, expiry, future issue, lifetime
 * (all UNAUTHENTICATED). Claims whose type is wrong are left to the token's own schema.
 */
export function checkAddressedClaims(payload: Record<string, unknown>, options: AddressedClaimsOptions): void {
  if (payload.aud !== options.audience) reject('PERMISSION_DENIED', 'aud', options.otherAudience);
  const issuers = options.keys.issuers;
  if (issuers !== undefined && !issuers.includes(payload.iss as string)) {
    reject('UNAUTHENTICATED', 'iss', `issuer ${String(payload.iss)} not accepted`);
  }
  const { exp, iat } = payload;
  if (typeof exp === 'number' && exp <= options.nowSeconds - options.skewSeconds) reject('UNAUTHENTICATED', 'exp', 'token expired');
  if (typeof iat === 'number' && iat > options.nowSeconds + options.skewSeconds) reject('UNAUTHENTICATED', 'iat', 'issued in the future');
  if (typeof exp === 'number' && typeof iat === 'number' && exp - iat > options.maxLifetimeSeconds) {
    reject('UNAUTHENTICATED', 'exp', 'lifetime too long');
  }
}

/** Signs `payload` as a compact JWS (EdDSA) with header `{alg, kid, typ}`. */
export function signCompactJws(payload: unknown, key: SigningKey, typ: string): string {
  const header = Buffer.from(JSON.stringify({ alg: SIGNING_ALGORITHM, kid: key.kid, typ })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signingInput = `${header}.${body}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput, 'ascii'), key.key).toString('base64url')}`;
}

/** Splits and decodes without trusting anything; the signature is checked afterwards. */
function decodeCompact(token: string): VerifiedJws {
  const parts = token.split('.');
  const [headerPart, payloadPart, signaturePart] = parts;
  if (
    parts.length !== 3 ||
    headerPart === undefined ||
    payloadPart === undefined ||
    signaturePart === undefined ||
    !parts.every((part) => BASE64URL.test(part))
  ) {
    reject('UNAUTHENTICATED', 'token', 'malformed token');
  }
  return { header: decodeJsonObject(headerPart), payload: decodeJsonObject(payloadPart) };
}

function decodeJsonObject(part: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch (cause) {
    reject('UNAUTHENTICATED', 'token', 'malformed token', cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) reject('UNAUTHENTICATED', 'token', 'malformed token');
  return value as Record<string, unknown>;
}
