/**
 * A steward's request relayed by the coordinator to one node: list the node's held questions,
 * or release or decline one. The coordinator signs it with the key nodes already pin for
 * queries, but with a type of its own, so a query token cannot be passed off as a steward's
 * decision or the reverse; everything the node acts on (the action, the held question, the
 * reason, the steward) is inside the signature.
 */
import { randomUUID } from 'node:crypto';
import { BiospecError } from '@biospec/protocol';
import { z } from 'zod';
import { checkAddressedClaims, DEFAULT_MAX_TOKEN_BYTES, reject, signCompactJws, verifyCompactJws } from './compact-jws.js';
import type { KeyRing, SigningKey } from './keys.js';
import { DEFAULT_CLOCK_SKEW_SECONDS, MAX_QUERY_LIFETIME_SECONDS } from './query-token.js';
import type { ReplayCache } from './replay-cache.js';

/** `typ` header of a steward's request. */
export const STEWARD_TOKEN_TYPE = 'biospec-steward+jwt';
/** A steward's request is signed for one call made now: a minute is plenty, and a stolen token dies soon. */
export const DEFAULT_STEWARD_TOKEN_LIFETIME_SECONDS = 60;

/** What a steward's request asks the node to do; each node endpoint accepts only its own. */
export const STEWARD_ACTIONS = ['list-holds', 'release-hold', 'decline-hold'] as const;
export type StewardAction = (typeof STEWARD_ACTIONS)[number];

/** The statuses a held question can have, as a listing may filter them. */
export const HOLD_STATUSES = ['held', 'released', 'declined'] as const;

/** Who asks: the coordinator's person record and the role it holds for this node. */
export interface StewardIdentity {
  /** The coordinator's person record id. */
  person: string;
  /** The name the node records as who decided. */
  name: string;
  /** `steward:<node id>`. */
  role: string;
}

/** The claims of a steward's request, as {@link verifyStewardRequest} returns them. */
export interface StewardClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  action: StewardAction;
  steward: StewardIdentity;
  /** The held question decided on (release and decline). */
  hold?: string;
  /** Why: required to decline, optional to release. */
  reason?: string;
  /** A listing: only questions with this status (all when absent). */
  status?: (typeof HOLD_STATUSES)[number];
}

const text = (max: number) => z.string().min(1).max(max);
const seconds = z.number().int().nonnegative();

const ClaimsSchema = z
  .object({
    iss: text(512),
    aud: text(512),
    iat: seconds,
    exp: seconds,
    jti: text(128),
    action: z.enum(STEWARD_ACTIONS),
    steward: z.object({ person: text(256), name: text(256), role: text(600) }).strict(),
    hold: text(128).optional(),
    reason: z.string().max(2000).optional(),
    status: z.enum(HOLD_STATUSES).optional(),
  })
  .strict();

/** What the coordinator signs for one node. */
export interface SignStewardRequestInput {
  issuer: string;
  /** The node the request is for. */
  audience: string;
  action: StewardAction;
  steward: StewardIdentity;
  hold?: string;
  reason?: string;
  status?: StewardClaims['status'];
  /** Default {@link DEFAULT_STEWARD_TOKEN_LIFETIME_SECONDS}. */
  lifetimeSeconds?: number;
}

/** Signs a steward's request for one node (compact JWS, EdDSA). INVALID_ARGUMENT names the claim that would not verify. */
export function signStewardRequest(input: SignStewardRequestInput, key: SigningKey): string {
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    iss: input.issuer,
    aud: input.audience,
    iat,
    exp: iat + (input.lifetimeSeconds ?? DEFAULT_STEWARD_TOKEN_LIFETIME_SECONDS),
    jti: randomUUID(),
    action: input.action,
    steward: input.steward,
    ...(input.hold === undefined ? {} : { hold: input.hold }),
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    ...(input.status === undefined ? {} : { status: input.status }),
  };
  const parsed = ClaimsSchema.safeParse(claims);
  if (!parsed.success) {
    throw new BiospecError('INVALID_ARGUMENT', 'invalid steward request', {
      issues: parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || 'claims', message: i.message })),
    });
  }
  return signCompactJws(parsed.data, key, STEWARD_TOKEN_TYPE);
}

/** How a node checks a steward's request. */
export interface VerifyStewardRequestOptions {
  /** The coordinator keys this node pins (bound to its `coordinatorIds`). */
  keys: KeyRing;
  /** This node's id. */
  audience: string;
  replay: ReplayCache;
  /** The actions this endpoint takes; a token for another is refused. */
  actions: readonly StewardAction[];
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  clockSkewSeconds?: number;
}

/**
 * Verifies a steward's request and returns its claims. Checks run in a fixed order and the
 * first failure is thrown: signature and shape (UNAUTHENTICATED, as for a query token); another
 * node (PERMISSION_DENIED); issuer, expiry, future issue, lifetime, claims (UNAUTHENTICATED);
 * another action, a role other than `steward:<this node>` (PERMISSION_DENIED); a decision without
 * its held question, a decline without a reason (UNAUTHENTICATED: the coordinator never signs
 * those); replay (PERMISSION_DENIED). The jti is recorded only once everything else has passed.
 */
export async function verifyStewardRequest(token: string, options: VerifyStewardRequestOptions): Promise<StewardClaims> {
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const { payload } = await verifyCompactJws(token, {
    keys: options.keys,
    typ: STEWARD_TOKEN_TYPE,
    maxTokenBytes: DEFAULT_MAX_TOKEN_BYTES,
    unsignedReason: "steward's request is not signed",
  });
  const nowSeconds = (options.now ?? Date.now)() / 1000;
  checkAddressedClaims(payload, {
    keys: options.keys,
    audience: options.audience,
    otherAudience: "steward's request is for another node",
    nowSeconds,
    skewSeconds: skew,
    maxLifetimeSeconds: MAX_QUERY_LIFETIME_SECONDS,
  });
  const parsed = ClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || 'claims';
    reject('UNAUTHENTICATED', field, `invalid claim ${field}: ${issue?.message ?? 'invalid'}`);
  }
  const claims = parsed.data;
  if (!options.actions.includes(claims.action)) reject('PERMISSION_DENIED', 'action', `token is for ${claims.action}, not ${options.actions.join(' or ')}`);
  const role = `steward:${options.audience}`;
  if (claims.steward.role !== role) reject('PERMISSION_DENIED', 'steward.role', `the role ${claims.steward.role} does not steward this node (needs ${role})`);
  if (claims.action !== 'list-holds' && claims.hold === undefined) reject('UNAUTHENTICATED', 'hold', 'invalid claim hold: a decision names the held question');
  if (claims.action === 'decline-hold' && (claims.reason ?? '').trim() === '') reject('UNAUTHENTICATED', 'reason', 'invalid claim reason: a decline needs a reason');
  if (!options.replay.remember(claims.jti, claims.exp + skew, nowSeconds)) reject('PERMISSION_DENIED', 'jti', 'replayed token');
  return claims;
}
