/**
 * Signed access grants in the shape of a GA4GH Passport `ControlledAccessGrants` visa, and
 * the coordinator's signed revocation list. The coordinator signs both with its own key
 * (the key nodes already pin), each with its own `typ`, so neither can be passed off as a
 * query token or as the other. A node checks a grant itself before it answers a granted
 * question (docs/ACCESS.md, "Grants").
 */
import { createHash, randomUUID } from 'node:crypto';
import { BiospecError } from '@biospec/protocol';
import { reject, signCompactJws, verifyCompactJws, type KeyRing, type QueryClaims, type SigningKey } from '@biospec/trust';
import { z } from 'zod';

/** `typ` of a grant. */
export const GRANT_TOKEN_TYPE = 'biospec-grant+jwt';
/** `typ` of a revocation list. */
export const REVOCATION_LIST_TYPE = 'biospec-revocations+jwt';
/** Clock difference tolerated between coordinator and node. */
const SKEW_SECONDS = 30;
/** A grant or list is small; anything larger is refused before it is decoded. */
const MAX_TOKEN_BYTES = 16_384;
/** Most grants a revocation list names (revoked and not yet expired). */
export const MAX_REVOKED = 10_000;

/** The GA4GH Passport visa object of a grant. */
export interface Ga4ghVisa {
  type: 'ControlledAccessGrants';
  /** The access request (its URL at the coordinator, or a URN). */
  value: string;
  /** Who decided: the coordinator. */
  source: string;
  by: 'dac';
  /** When the access was approved (seconds since the epoch). */
  asserted: number;
}

/** What a grant says beyond the visa, for the node that checks it. */
export interface GrantScope {
  /** The access request id. */
  request: string;
  /** Hash of the canonical query the request is about; the granted question must be this one. */
  query_hash: string;
  /** The collections of this node the request asks for; only their specimens are listed. */
  collections: string[];
  /** RFC 7638 thumbprint of the researcher's encryption key: the node encrypts only to it. */
  jkt: string;
}

export interface GrantClaims {
  iss: string;
  /** The researcher's pseudonym, as nodes see it in query tokens. */
  sub: string;
  /** The node the grant is for. */
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  ga4gh_visa_v1: Ga4ghVisa;
  biospec_grant: GrantScope;
}

export interface IssueGrantInput {
  issuer: string;
  subject: string;
  nodeId: string;
  visaValue: string;
  source: string;
  asserted: Date;
  lifetimeSeconds: number;
  scope: GrantScope;
  now?: Date;
}

const text = (max: number) => z.string().min(1).max(max);
const GrantClaimsSchema = z.object({
  iss: text(512),
  sub: text(256),
  aud: text(128),
  iat: z.number().int().nonnegative(),
  exp: z.number().int().nonnegative(),
  jti: text(128),
  ga4gh_visa_v1: z
    .object({
      type: z.literal('ControlledAccessGrants'),
      value: text(2048),
      source: text(2048),
      by: z.literal('dac'),
      asserted: z.number().int().nonnegative(),
    })
    .loose(),
  biospec_grant: z.object({
    request: text(128),
    query_hash: z.string().regex(/^[0-9a-f]{64}$/),
    collections: z.array(text(64)).max(1000),
    jkt: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  }),
});

/** Signs a grant for one researcher at one node. */
export function signGrant(input: IssueGrantInput, key: SigningKey): { token: string; claims: GrantClaims } {
  const iat = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const claims: GrantClaims = {
    iss: input.issuer,
    sub: input.subject,
    aud: input.nodeId,
    iat,
    exp: iat + input.lifetimeSeconds,
    jti: randomUUID(),
    ga4gh_visa_v1: {
      type: 'ControlledAccessGrants',
      value: input.visaValue,
      source: input.source,
      by: 'dac',
      asserted: Math.floor(input.asserted.getTime() / 1000),
    },
    biospec_grant: input.scope,
  };
  return { token: signCompactJws(claims, key, GRANT_TOKEN_TYPE), claims };
}

/** The claims of a signed revocation list. */
export interface RevocationListClaims {
  iss: string;
  iat: number;
  /** One more than the list before it; nodes refuse a list (and a question) older than one they have seen. */
  version: number;
  /** `jti`s of revoked grants that have not expired. */
  revoked: string[];
}

const ListClaimsSchema = z.object({
  iss: text(512),
  iat: z.number().int().nonnegative(),
  version: z.number().int().positive(),
  revoked: z.array(text(128)).max(MAX_REVOKED),
});

export function signRevocationList(input: { issuer: string; version: number; revoked: readonly string[]; now?: Date }, key: SigningKey): string {
  const claims: RevocationListClaims = {
    iss: input.issuer,
    iat: Math.floor((input.now ?? new Date()).getTime() / 1000),
    version: input.version,
    revoked: [...input.revoked],
  };
  return signCompactJws(claims, key, REVOCATION_LIST_TYPE);
}

/** Hex SHA-256 of a signed list, as query tokens name it. */
export function revocationListDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Verifies a revocation list signed by one of `keys` (the node's pinned coordinator keys).
 * @throws BiospecError UNAUTHENTICATED naming what is wrong.
 */
export async function verifyRevocationList(token: string, keys: KeyRing): Promise<RevocationListClaims> {
  const { payload } = await prefixed('revocation list', () =>
    verifyCompactJws(token, { keys, typ: REVOCATION_LIST_TYPE, maxTokenBytes: 64 + MAX_REVOKED * 48, unsignedReason: 'revocation list is not signed' }),
  );
  const issuers = keys.issuers;
  if (issuers !== undefined && !issuers.includes(payload.iss as string)) reject('UNAUTHENTICATED', 'iss', `revocation list issuer ${String(payload.iss)} not accepted`);
  const parsed = ListClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.map(String).join('.') || 'claims';
    reject('UNAUTHENTICATED', field, `invalid revocation list claim ${field}`);
  }
  return parsed.data;
}

/** What a node knows of revocations: the newest list it has seen (version 0: none). */
export interface SeenRevocations {
  version: number;
  revoked: readonly string[];
}

/** The revocations in force for one granted question, and a newer list to persist if it brought one. */
export interface StampCheck {
  revoked: readonly string[];
  newer?: { version: number; token: string; revoked: string[] };
}

/**
 * Checks the revocation list a granted question came with: the signed question names its
 * version and digest; the list must be that one, signed by a pinned coordinator key, and not
 * older than the newest this node has seen. A revocation once seen stays in force.
 * @throws BiospecError FAILED_PRECONDITION for a question signed under an older list, UNAUTHENTICATED for a list that does not verify or match.
 */
export async function checkRevocationStamp(claims: QueryClaims, revocationList: string, keys: KeyRing, seen: SeenRevocations): Promise<StampCheck> {
  const stamp = claims.revocations;
  if (stamp === undefined || claims.request === undefined) reject('UNAUTHENTICATED', 'revocations', 'a granted question needs its request and revocation stamp');
  if (stamp.version < seen.version) {
    reject('FAILED_PRECONDITION', 'revocations', `the question carries revocation list version ${stamp.version}, older than version ${seen.version} this node has seen`);
  }
  if (stamp.version === 0) return { revoked: seen.revoked };
  if (revocationList === '') reject('UNAUTHENTICATED', 'revocations', `the question names revocation list version ${stamp.version} but none came with it`);
  if (revocationListDigest(revocationList) !== stamp.sha256) reject('UNAUTHENTICATED', 'revocations', 'the revocation list is not the one the question names');
  const list = await verifyRevocationList(revocationList, keys);
  if (list.version !== stamp.version) reject('UNAUTHENTICATED', 'revocations', `the revocation list is version ${list.version}, the question names ${stamp.version}`);
  // A revocation, once seen, stays in force whatever a later list omits (lists drop expired grants).
  const revoked = [...new Set([...seen.revoked, ...list.revoked])];
  return list.version > seen.version ? { revoked, newer: { version: list.version, token: revocationList, revoked } } : { revoked };
}

/** What a node checks a grant against. */
export interface GrantCheck {
  grant: string;
  /** The verified query token of the question. */
  claims: QueryClaims;
  keys: KeyRing;
  nodeId: string;
  /** Grants revoked as far as this node knows (from {@link checkRevocationStamp}). */
  revoked: readonly string[];
  now?: () => number;
}

/**
 * Everything a node checks of a grant before it answers a granted question, in this order:
 * signature, type and issuer against the pinned coordinator keys; expiry; audience (this
 * node); subject (the researcher of the question); request; question; not revoked.
 * @throws BiospecError UNAUTHENTICATED for what does not verify, PERMISSION_DENIED for a grant that verifies but does not allow this question.
 */
export async function checkGrant(check: GrantCheck): Promise<GrantClaims> {
  const { claims } = check;
  const { payload } = await prefixed('grant', () =>
    verifyCompactJws(check.grant, { keys: check.keys, typ: GRANT_TOKEN_TYPE, maxTokenBytes: MAX_TOKEN_BYTES, unsignedReason: 'no grant' }),
  );
  const issuers = check.keys.issuers;
  if (issuers !== undefined && !issuers.includes(payload.iss as string)) reject('UNAUTHENTICATED', 'grant.iss', `grant issuer ${String(payload.iss)} not accepted`);
  const parsed = GrantClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.map(String).join('.') || 'claims';
    reject('UNAUTHENTICATED', `grant.${field}`, `invalid grant claim ${field}`);
  }
  const grant = parsed.data as GrantClaims;
  const nowSeconds = (check.now ?? Date.now)() / 1000;
  if (grant.exp <= nowSeconds - SKEW_SECONDS) reject('PERMISSION_DENIED', 'grant.exp', 'grant expired');
  if (grant.iat > nowSeconds + SKEW_SECONDS) reject('UNAUTHENTICATED', 'grant.iat', 'grant issued in the future');
  if (grant.aud !== check.nodeId) reject('PERMISSION_DENIED', 'grant.aud', 'grant is for another node');
  if (grant.sub !== claims.researcher) reject('PERMISSION_DENIED', 'grant.sub', 'grant is for another researcher');
  if (grant.biospec_grant.request !== claims.request) reject('PERMISSION_DENIED', 'grant.request', 'grant is for another request');
  if (grant.biospec_grant.query_hash !== claims.query_hash) reject('PERMISSION_DENIED', 'grant.query_hash', 'grant is for another question');
  if (check.revoked.includes(grant.jti)) reject('PERMISSION_DENIED', 'grant.jti', 'grant revoked');
  return grant;
}

/** Runs a JWS check and says which token failed: "grant: signature does not verify". */
async function prefixed<T>(what: string, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (reason) {
    if (!(reason instanceof BiospecError)) throw reason;
    throw new BiospecError(reason.code, `${what}: ${reason.message}`, {
      issues: reason.issues.map((i) => ({ ...i, field: `${what === 'grant' ? 'grant' : 'revocations'}.${i.field ?? 'token'}` })),
      cause: reason,
    });
  }
}
