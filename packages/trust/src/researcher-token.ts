import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { BiospecError } from '@biospec/protocol';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type JWTVerifyGetKey,
} from 'jose';
import { z } from 'zod';
import { DEFAULT_MAX_TOKEN_BYTES, isCanonicalBase64url, refuseCriticalHeaders, reject } from './compact-jws.js';
import { SIGNING_ALGORITHM, type KeyRing, type SigningKey } from './keys.js';

/** Network-wide roles; node roles are `steward:<node id>` and `operator:<node id>` (packages/registry/src/roles.ts). */
export const RESEARCHER_ROLES = ['researcher', 'staff'] as const;
export type ResearcherRole = (typeof RESEARCHER_ROLES)[number] | `steward:${string}` | `operator:${string}`;

/**
 * The shape of a role in a token: the grammar of `packages/registry/src/roles.ts`, which
 * owns what roles mean (this package sits beside the registry and cannot import it).
 */
export const ROLE_PATTERN = /^(researcher|staff|(steward|operator):[a-z0-9][a-z0-9-]{0,62})$/;
const isRoleShaped = (role: string) => ROLE_PATTERN.test(role);

/** Lifetime of a coordinator-issued researcher token unless asked otherwise. */
export const DEFAULT_RESEARCHER_TOKEN_LIFETIME_SECONDS = 3600;

/** Asymmetric algorithms an external OpenID Connect provider may sign with; never HS* or none. */
const EXTERNAL_ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

/** Who a verified bearer token says the caller is. */
export interface ResearcherIdentity {
  subject: string;
  name?: string;
  roles: string[];
  issuer: string;
  /** The `email` claim, with whether the provider says it verified it (`email_verified`). */
  email?: string;
  emailVerified?: boolean;
}

/** A token to issue for a researcher or staff member signing in to the coordinator. */
export interface IssueResearcherTokenInput {
  subject: string;
  name?: string;
  /** Default ['researcher']. Role-shaped strings ({@link ROLE_PATTERN}); the registry decides who holds which. */
  roles?: string[];
  issuer: string;
  audience: string;
  /** Default {@link DEFAULT_RESEARCHER_TOKEN_LIFETIME_SECONDS}. */
  lifetimeSeconds?: number;
}

const IssueSchema = z.object({
  subject: z.string().min(1).max(256),
  name: z.string().max(256).optional(),
  roles: z.array(z.string().regex(ROLE_PATTERN, 'not a role')).optional(),
  issuer: z.string().min(1),
  audience: z.string().min(1),
  lifetimeSeconds: z.number().int().positive().optional(),
});

/** Issues a bearer JWT (EdDSA) for a researcher. */
export async function issueResearcherToken(input: IssueResearcherTokenInput, key: SigningKey): Promise<string> {
  const parsed = IssueSchema.safeParse(input);
  if (!parsed.success) {
    throw new BiospecError('INVALID_ARGUMENT', 'invalid researcher token request', {
      issues: parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join('.'), message: issue.message })),
    });
  }
  const { subject, name, roles, issuer, audience, lifetimeSeconds } = parsed.data;
  const jwt = new SignJWT({ roles: roles ?? ['researcher'], ...(name === undefined ? {} : { name }) })
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(`${lifetimeSeconds ?? DEFAULT_RESEARCHER_TOKEN_LIFETIME_SECONDS}s`);
  return jwt.sign(key.key);
}

/** An issuer whose keys this coordinator holds (usually itself). */
export interface LocalIssuer extends RoleMapping {
  issuer: string;
  audience: string;
  keys: KeyRing;
}

/**
 * Where an issuer's tokens say which roles the caller holds. Without `roleClaim`, the
 * `roles` claim, keeping only role-shaped values. With it, the values at that claim (a
 * dotted path such as `realm_access.roles`; a string or a list of strings), each turned
 * into this network's role by `roleMapping` (a provider's group `biobank-dac` to `staff`,
 * say); values the mapping does not name are dropped.
 */
export interface RoleMapping {
  roleClaim?: string;
  roleMapping?: Record<string, string>;
}

/** An external OpenID Connect provider; its keys are fetched from `jwksUri` and cached. */
export interface RemoteIssuer extends RoleMapping {
  issuer: string;
  audience: string;
  jwksUri: string;
}

export interface ResearcherVerifierOptions {
  issuers: (LocalIssuer | RemoteIssuer)[];
  /** Default 30. */
  clockSkewSeconds?: number;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
}

export interface ResearcherVerifier {
  /** Accepts an `Authorization` header value (`Bearer …`) or a bare token. */
  verify(authorizationHeaderOrToken: string): Promise<ResearcherIdentity>;
}

const ClaimsSchema = z.object({
  iss: z.string().min(1),
  sub: z.string().min(1).max(256),
  name: z.string().max(256).optional(),
  roles: z.array(z.string()).optional(),
  email: z.string().max(320).optional(),
  email_verified: z.boolean().optional(),
});

interface ResolvedIssuer {
  rolesOf: (claims: Record<string, unknown>) => string[];
  audience: string;
  algorithms: string[];
  getKey: JWTVerifyGetKey;
}

/**
 * Creates the coordinator's check of researcher bearer tokens. Every failure is
 * UNAUTHENTICATED with the reason as message, except an identity provider that
 * cannot be reached (UNAVAILABLE). A token without a `roles` claim (typical of
 * external providers) is a plain researcher.
 */
export function createResearcherVerifier(options: ResearcherVerifierOptions): ResearcherVerifier {
  const skew = options.clockSkewSeconds ?? 30;
  const now = options.now ?? Date.now;
  const issuers = new Map<string, ResolvedIssuer>();
  for (const [i, config] of options.issuers.entries()) {
    if (issuers.has(config.issuer)) {
      throw new BiospecError('INVALID_CONFIG', `issuer ${config.issuer} configured twice`, {
        issues: [{ field: `issuers[${i}].issuer`, message: 'duplicate issuer' }],
      });
    }
    issuers.set(config.issuer, resolveIssuer(config, i));
  }

  // A researcher sends the same token with every question; it is verified once, then
  // served from here until it expires (the cache key is the whole signed token).
  const verified = new Map<string, { identity: ResearcherIdentity; expiresAtMs: number }>();

  return {
    async verify(authorizationHeaderOrToken) {
      const token = bearerToken(authorizationHeaderOrToken);
      const cached = verified.get(token);
      if (cached && cached.expiresAtMs > now()) return cached.identity;
      if (cached) verified.delete(token);
      if (Buffer.byteLength(token, 'utf8') > DEFAULT_MAX_TOKEN_BYTES) reject('UNAUTHENTICATED', 'token', 'token too large');
      let iss: unknown;
      let header: Record<string, unknown> = {};
      try {
        header = decodeProtectedHeader(token);
        iss = decodeJwt(token).iss;
      } catch (cause) {
        reject('UNAUTHENTICATED', 'token', 'malformed token', cause);
      }
      const alg = header.alg;
      refuseCriticalHeaders(header);
      if (!isCanonicalBase64url(token.slice(token.lastIndexOf('.') + 1))) {
        reject('UNAUTHENTICATED', 'signature', 'signature is not canonical base64url');
      }
      const issuer = typeof iss === 'string' ? issuers.get(iss) : undefined;
      if (issuer === undefined) reject('UNAUTHENTICATED', 'iss', 'unknown issuer');
      if (typeof alg !== 'string' || !issuer.algorithms.includes(alg)) {
        reject('UNAUTHENTICATED', 'alg', `algorithm ${String(alg)} not allowed`);
      }

      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, issuer.getKey, {
          issuer: iss as string,
          audience: issuer.audience,
          algorithms: issuer.algorithms,
          clockTolerance: skew,
          currentDate: new Date(now()),
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (cause) {
        throw verificationError(cause);
      }
      // jose checks iat only against a maximum age; a token from the future is refused here.
      const iat = (payload as { iat?: unknown }).iat;
      if (typeof iat === 'number' && iat > now() / 1000 + skew) reject('UNAUTHENTICATED', 'iat', 'issued in the future');
      const claims = ClaimsSchema.safeParse(payload);
      if (!claims.success) {
        const field = claims.error.issues[0]?.path.map(String).join('.') || 'claims';
        reject('UNAUTHENTICATED', field, `invalid claim ${field}`);
      }
      const roles = issuer.rolesOf(payload as Record<string, unknown>);
      const identity: ResearcherIdentity = {
        subject: claims.data.sub,
        ...(claims.data.name === undefined ? {} : { name: claims.data.name }),
        roles,
        issuer: claims.data.iss,
        ...(claims.data.email === undefined ? {} : { email: claims.data.email }),
        ...(claims.data.email_verified === undefined ? {} : { emailVerified: claims.data.email_verified }),
      };
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string);
      verified.set(token, { identity, expiresAtMs: (payload as { exp: number }).exp * 1000 });
      return identity;
    },
  };
}

/** Distinct researcher tokens remembered as verified; the oldest is forgotten first. */
const VERIFIED_CACHE_SIZE = 10_000;

/** The roles a verified token's claims carry, under its issuer's {@link RoleMapping}. */
export function rolesFromClaims(claims: Record<string, unknown>, mapping: RoleMapping): string[] {
  if (mapping.roleClaim === undefined) {
    const roles = claims.roles;
    if (!Array.isArray(roles)) return ['researcher'];
    return [...new Set(roles.filter((role): role is string => typeof role === 'string' && isRoleShaped(role)))];
  }
  let value: unknown = claims;
  for (const step of mapping.roleClaim.split('.')) {
    value = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[step] : undefined;
  }
  const values = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  const table = mapping.roleMapping ?? {};
  const mapped = values.flatMap((v) => (Object.prototype.hasOwnProperty.call(table, v) ? [table[v] as string] : []));
  return [...new Set(mapped.filter(isRoleShaped))];
}

function resolveIssuer(config: LocalIssuer | RemoteIssuer, index: number): ResolvedIssuer {
  const mapping: RoleMapping = {
    ...(config.roleClaim === undefined ? {} : { roleClaim: config.roleClaim }),
    ...(config.roleMapping === undefined ? {} : { roleMapping: config.roleMapping }),
  };
  const rolesOf = (claims: Record<string, unknown>) => rolesFromClaims(claims, mapping);
  if ('keys' in config) {
    const ring = config.keys;
    return {
      rolesOf,
      audience: config.audience,
      algorithms: [SIGNING_ALGORITHM],
      getKey: (header) => {
        const entry = header.kid === undefined ? undefined : ring.get(header.kid);
        if (entry === undefined) throw new joseErrors.JWKSNoMatchingKey();
        return entry.key;
      },
    };
  }
  let url: URL;
  try {
    url = new URL(config.jwksUri);
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', `invalid jwksUri for issuer ${config.issuer}`, {
      issues: [{ field: `issuers[${index}].jwksUri`, message: 'not a URL' }],
      cause,
    });
  }
  return { rolesOf, audience: config.audience, algorithms: EXTERNAL_ALGORITHMS, getKey: createRemoteJWKSet(url) };
}

function bearerToken(value: string): string {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  const match = /^(\S+)\s+(\S+)$/.exec(trimmed);
  if (match !== null) {
    if (match[1]?.toLowerCase() !== 'bearer') reject('UNAUTHENTICATED', 'authorization', 'no bearer token');
    return match[2] ?? '';
  }
  if (trimmed === '' || /\s/.test(trimmed) || trimmed.toLowerCase() === 'bearer') {
    reject('UNAUTHENTICATED', 'authorization', 'no bearer token');
  }
  return trimmed;
}

function verificationError(cause: unknown): BiospecError {
  const fail = (field: string, reason: string) =>
    new BiospecError('UNAUTHENTICATED', reason, { issues: [{ field, message: reason }], cause });
  if (cause instanceof joseErrors.JWTExpired) return fail('exp', 'token expired');
  if (cause instanceof joseErrors.JWTClaimValidationFailed) {
    if (cause.claim === 'aud') return fail('aud', 'wrong audience');
    if (cause.claim === 'nbf' || cause.claim === 'iat') return fail(cause.claim, 'token not yet valid');
    return fail(cause.claim, `invalid claim ${cause.claim}`);
  }
  if (cause instanceof joseErrors.JWSSignatureVerificationFailed) return fail('signature', 'signature does not verify');
  if (cause instanceof joseErrors.JWKSNoMatchingKey || cause instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return fail('kid', 'unknown key id');
  }
  if (cause instanceof joseErrors.JOSEAlgNotAllowed) return fail('alg', 'algorithm not allowed');
  // Fetch failures, timeouts, non-200 answers and unreadable key sets: the provider, not the token, is at fault.
  const providerFault =
    !(cause instanceof joseErrors.JOSEError) ||
    cause instanceof joseErrors.JWKSTimeout ||
    cause instanceof joseErrors.JWKSInvalid ||
    cause.code === 'ERR_JOSE_GENERIC';
  if (providerFault) {
    return new BiospecError('UNAVAILABLE', 'identity provider keys unavailable', {
      issues: [{ field: 'jwks', message: 'could not fetch the issuer keys' }],
      cause,
    });
  }
  return fail('token', 'invalid token');
}
