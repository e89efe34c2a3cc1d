import { randomUUID } from 'node:crypto';
import { BiospecError, REQUEST_ID_PATTERN } from '@biospec/protocol';
import { canonicalise, parseQuery, queryHash, type Query } from '@biospec/query';
import { z } from 'zod';
import { checkAddressedClaims, DEFAULT_MAX_TOKEN_BYTES, reject, signCompactJws, verifyCompactJws } from './compact-jws.js';
import type { KeyRing, SigningKey } from './keys.js';
import type { ReplayCache } from './replay-cache.js';

/** `typ` header of a signed query. */
export const QUERY_TOKEN_TYPE = 'biospec-query+jwt';
/** Lifetime of a signed query unless the signer asks otherwise. */
export const DEFAULT_QUERY_LIFETIME_SECONDS = 120;
/** No signed query may live longer than this (the design says minutes at most). */
export const MAX_QUERY_LIFETIME_SECONDS = 300;
/** Clock difference tolerated between coordinator and node. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;

/**
 * What a signed query asks: a count (the default, and the only kind before access
 * questions existed), an availability question, or a granted availability question. The
 * kind is signed, is checked by the endpoint that answers it, and is part of the noise
 * keying, so an availability answer never shares noise with a count of the same query.
 */
export const QUESTION_KINDS = ['count', 'availability', 'granted-availability'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

/** The coordinator's revocation list a granted question was signed under: its version and the SHA-256 of the signed list. */
export interface RevocationStamp {
  version: number;
  /** Hex SHA-256 of the signed list; empty for version 0 (nothing ever revoked). */
  sha256: string;
}

/** The claims set of a signed query: what a node may trust once {@link verifyQuery} returns it. */
export interface QueryClaims {
  iss: string;
  /** The node the query is for. */
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  /** The canonical query. */
  query: Query;
  /** Hex SHA-256 of the canonical query. */
  query_hash: string;
  purpose: string;
  /** The researcher's pseudonym, never their identity. */
  researcher: string;
  project: string;
  /** The id of the researcher's call this query was signed for (REST or gRPC), for joining logs and audit entries. */
  request_id?: string;
  /** Absent on a count. */
  question?: QuestionKind;
  /** The access request a granted question belongs to. */
  request?: string;
  /** The revocation list in force when a granted question was signed. */
  revocations?: RevocationStamp;
}

const text = (max: number) => z.string().min(1).max(max);
const seconds = z.number().int().nonnegative();

const ClaimsSchema = z.object({
  iss: text(512),
  aud: text(512),
  iat: seconds,
  exp: seconds,
  jti: text(128),
  query: z.unknown(),
  query_hash: z.string().regex(/^[0-9a-f]{64}$/, 'expected lowercase hex SHA-256'),
  purpose: text(2000),
  researcher: text(256),
  project: text(256),
  request_id: z.string().regex(REQUEST_ID_PATTERN, 'expected 1 to 128 letters, digits, ., _, : or -').optional(),
  question: z.enum(QUESTION_KINDS).optional(),
  request: text(128).optional(),
  revocations: z
    .object({ version: z.number().int().nonnegative(), sha256: z.union([z.string().regex(/^[0-9a-f]{64}$/), z.literal('')]) })
    .strict()
    .optional(),
});

function pathOf(path: readonly PropertyKey[] | undefined): string {
  return path && path.length > 0 ? path.map(String).join('.') : 'claims';
}

/** What the coordinator signs for one site. */
export interface SignQueryInput {
  query: Query;
  purpose: string;
  researcher: string;
  project: string;
  /** The node id the query is for. */
  audience: string;
  issuer: string;
  /** Default {@link DEFAULT_QUERY_LIFETIME_SECONDS}; at most {@link MAX_QUERY_LIFETIME_SECONDS}. */
  lifetimeSeconds?: number;
  /** The researcher's call this query is signed for; becomes the `request_id` claim. */
  requestId?: string;
  /** Absent (or `count`) for a count. */
  question?: QuestionKind;
  request?: string;
  revocations?: RevocationStamp;
}

/** One node's signed copy of a query. */
export interface SignedQuery {
  audience: string;
  token: string;
  jti: string;
}

/**
 * Signs one query for each of `audiences` as compact JWSs (EdDSA), each with
 * its own `aud` and `jti`. The query is validated and canonicalised once, so
 * every payload carries the canonical form and its hash.
 */
export async function signQueryForEach(
  input: Omit<SignQueryInput, 'audience'>,
  audiences: readonly string[],
  key: SigningKey,
): Promise<SignedQuery[]> {
  const lifetime = input.lifetimeSeconds ?? DEFAULT_QUERY_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime <= 0 || lifetime > MAX_QUERY_LIFETIME_SECONDS) {
    throw new BiospecError('INVALID_ARGUMENT', `lifetime must be 1 to ${MAX_QUERY_LIFETIME_SECONDS} seconds`, {
      issues: [{ field: 'lifetimeSeconds', message: `got ${lifetime}` }],
    });
  }
  const query = canonicalise(parseQuery(input.query));
  const iat = Math.floor(Date.now() / 1000);
  const common = {
    iss: input.issuer,
    iat,
    exp: iat + lifetime,
    query,
    query_hash: queryHash(query),
    purpose: input.purpose,
    researcher: input.researcher,
    project: input.project,
    ...(input.requestId === undefined ? {} : { request_id: input.requestId }),
    ...(input.question === undefined || input.question === 'count' ? {} : { question: input.question }),
    ...(input.request === undefined ? {} : { request: input.request }),
    ...(input.revocations === undefined ? {} : { revocations: input.revocations }),
  };
  const parsed = ClaimsSchema.safeParse({ ...common, aud: audiences[0] ?? 'none', jti: 'x' });
  if (!parsed.success) {
    const field = pathOf(parsed.error.issues[0]?.path);
    throw new BiospecError('INVALID_ARGUMENT', `invalid query claim ${field}`, {
      issues: parsed.error.issues.map((i) => ({ field: pathOf(i.path), message: i.message })),
    });
  }
  return audiences.map((audience) => {
    if (audience === '' || audience.length > 512) {
      throw new BiospecError('INVALID_ARGUMENT', 'invalid query claim aud', { issues: [{ field: 'aud', message: 'must be 1 to 512 characters' }] });
    }
    const jti = randomUUID();
    const claims: QueryClaims = { ...common, aud: audience, jti };
    return { audience, token: signCompactJws(claims, key, QUERY_TOKEN_TYPE), jti };
  });
}

/** Signs a query for one node; see {@link signQueryForEach}. */
export async function signQuery(input: SignQueryInput, key: SigningKey): Promise<string> {
  const { audience, ...rest } = input;
  const [signed] = await signQueryForEach(rest, [audience], key);
  return signed!.token;
}

/** How a node checks a signed query. */
export interface VerifyQueryOptions {
  /** The coordinator keys this node pins; when the ring names its issuers, `iss` must be one of them. */
  keys: KeyRing;
  /** This node's id. */
  audience: string;
  replay: ReplayCache;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  clockSkewSeconds?: number;
  maxTokenBytes?: number;
  maxLifetimeSeconds?: number;
  /** The kind of question this endpoint answers; default `count`. A token for another kind is refused. */
  question?: QuestionKind;
}

/**
 * Verifies a signed query and returns its claims with the canonical query.
 * Checks run in a fixed order and the first failure is thrown as a
 * BiospecError whose message (and `issues[0]`) names the reason:
 * unsigned, too large, malformed, algorithm, critical headers, token type, key id, signature
 * (all UNAUTHENTICATED); audience (PERMISSION_DENIED); issuer (UNAUTHENTICATED); expiry, future issue, lifetime, claims, query hash
 * (UNAUTHENTICATED, an invalid query is INVALID_QUERY); replay (PERMISSION_DENIED).
 * The jti is only recorded once everything else has passed.
 */
export async function verifyQuery(token: string, options: VerifyQueryOptions): Promise<QueryClaims> {
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const maxLifetime = options.maxLifetimeSeconds ?? MAX_QUERY_LIFETIME_SECONDS;
  const { payload } = await verifyCompactJws(token, {
    keys: options.keys,
    typ: QUERY_TOKEN_TYPE,
    maxTokenBytes: options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES,
    unsignedReason: 'query is not signed',
  });

  const nowSeconds = (options.now ?? Date.now)() / 1000;
  checkAddressedClaims(payload, {
    keys: options.keys,
    audience: options.audience,
    otherAudience: 'token is for another node',
    nowSeconds,
    skewSeconds: skew,
    maxLifetimeSeconds: maxLifetime,
  });

  const parsed = ClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = pathOf(issue?.path);
    reject('UNAUTHENTICATED', field, `invalid claim ${field}: ${issue?.message ?? 'invalid'}`);
  }
  const claims = parsed.data;
  const expected = options.question ?? 'count';
  const asked = claims.question ?? 'count';
  if (asked !== expected) reject('PERMISSION_DENIED', 'question', `token is for ${article(asked)} question, not ${article(expected)} one`);
  if (asked === 'granted-availability' && (claims.request === undefined || claims.revocations === undefined)) {
    reject('UNAUTHENTICATED', claims.request === undefined ? 'request' : 'revocations', `invalid claim ${claims.request === undefined ? 'request' : 'revocations'}: a granted question needs it`);
  }
  const query = canonicalise(parseQuery(claims.query));
  if (claims.query_hash !== queryHash(query)) reject('UNAUTHENTICATED', 'query_hash', 'query hash does not match');

  // Remember until the last instant the token could still be accepted (exp plus skew).
  if (!options.replay.remember(claims.jti, claims.exp + skew, nowSeconds)) {
    reject('PERMISSION_DENIED', 'jti', 'replayed token');
  }
  return { ...claims, query } as QueryClaims;
}

function article(kind: QuestionKind): string {
  return kind === 'count' ? 'a count' : kind === 'availability' ? 'an availability' : 'a granted availability';
}
