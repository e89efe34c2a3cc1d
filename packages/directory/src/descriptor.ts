import { BiospecError } from '@biospec/protocol';
import { signCompactJws, type SigningKey } from '@biospec/trust';
import { z } from 'zod';

/**
 * The gossipsub topic descriptors travel on. The number is the descriptor format's
 * major version: a change old peers would misread gets a new topic, so old and new
 * releases never validate each other's messages. Optional fields may be added within a version.
 */
export const DIRECTORY_TOPIC = '/biospec/directory/1';

/** `typ` header of a signed descriptor. */
export const DESCRIPTOR_TOKEN_TYPE = 'biospec-descriptor+jwt';

/** Largest signed descriptor accepted, in bytes of its compact JWS; checked before anything is decoded. */
export const DEFAULT_MAX_DESCRIPTOR_BYTES = 16 * 1024;

/** Node ids as `node.json` and the coordinator's membership spell them. */
export const NodeIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, at most 63');

/** A public Ed25519 JWK. Strict: a key with private members (`d`) is malformed, never silently stripped. */
export const PublicJwkSchema = z
  .object({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a 32-byte base64url public key'),
    kid: z.string().min(1).max(128),
    alg: z.literal('EdDSA').optional(),
    use: z.literal('sig').optional(),
  })
  .strict();
export type PublicJwk = z.infer<typeof PublicJwkSchema>;

/**
 * The coarse catalogue summary, exactly as the caller hands it over. It must already be
 * protected (noised by the node's disclosure control, `protectCatalogueSummary` in the privacy
 * package): this package carries and validates its shape, it never computes one from true counts.
 */
export const CatalogueSummarySchema = z
  .object({
    donors: z
      .object({
        /** The protected figure, absent when withheld. */
        value: z.number().int().min(0).optional(),
        /** How a person should read it, e.g. "about 1200 donors (noisy, Laplace ε=0.01, rounded to 100)". */
        display: z.string().min(1).max(120),
      })
      .strict(),
    /** Material types the protected summary reports as present (decided on noisy counts). */
    materialTypes: z.array(z.string().min(1).max(40)).max(32),
    /** The data epoch the summary was protected for. */
    epoch: z.number().int().min(0),
  })
  .strict();
export type CatalogueSummary = z.infer<typeof CatalogueSummarySchema>;

/** What a node's disclosure policy promises, for people choosing where to ask. */
export const PolicySummarySchema = z
  .object({
    /** One line a person reads, e.g. the privacy package's `describePolicy`. */
    text: z.string().min(1).max(1000),
    threshold: z.number().int().min(0).optional(),
    rounding: z.number().int().min(1).optional(),
    noise: z.string().min(1).max(40).optional(),
    release: z.enum(['auto', 'hold']).optional(),
  })
  .strict();
export type PolicySummary = z.infer<typeof PolicySummarySchema>;

/** How other peers of the directory's own network reach this one (filled in by the transport, not the caller). */
export const PeerContactSchema = z
  .object({
    peerId: z.string().min(1).max(128),
    addrs: z.array(z.string().min(1).max(256)).max(8),
  })
  .strict();
export type PeerContact = z.infer<typeof PeerContactSchema>;

const DescriptorFields = {
  nodeId: NodeIdSchema,
  name: z.string().min(1).max(200),
  institution: z.string().min(1).max(200),
  /** `host:port` of the node's gRPC server, or `connect-out` for a node that only dials out. */
  endpoint: z.union([z.literal('connect-out'), z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port or connect-out')]),
  /** Every key this node currently signs with, the one signing this descriptor included. */
  jwks: z
    .object({ keys: z.array(PublicJwkSchema).min(1).max(8) })
    .strict()
    .refine((jwks) => new Set(jwks.keys.map((k) => k.kid)).size === jwks.keys.length, 'duplicate kid'),
  software: z.object({ name: z.string().min(1).max(64), version: z.string().min(1).max(64) }).strict(),
  policy: PolicySummarySchema,
  /** Absent until the node has a protected summary to publish. */
  catalogue: CatalogueSummarySchema.optional(),
  dataEpoch: z.number().int().min(0),
};

/** What a node says about itself; the directory adds the version, sequence, time and peer contact. */
export const DescriptorInputSchema = z.object(DescriptorFields).strict();
export type DescriptorInput = z.infer<typeof DescriptorInputSchema>;

/**
 * The payload of a signed descriptor. Unknown top-level fields are dropped, not refused, so a
 * later release can add optional fields on the same topic; nested objects are strict.
 */
export const NodeDescriptorSchema = z.object({
  v: z.literal(1),
  ...DescriptorFields,
  /** Strictly increasing per node: milliseconds since the epoch, bumped if the clock did not move. */
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Seconds since the epoch when signed. */
  iat: z.number().int().min(0),
  p2p: PeerContactSchema.optional(),
});
export type NodeDescriptor = z.infer<typeof NodeDescriptorSchema>;

/** The parts of a signing the directory decides, not the caller. */
export interface SigningMeta {
  seq: number;
  iat: number;
  p2p?: PeerContact;
}

/**
 * Validates `input` and signs it as a compact JWS (EdDSA, `typ` {@link DESCRIPTOR_TOKEN_TYPE}).
 * The signing key must be one of the keys the descriptor lists, or every peer would drop it.
 */
export function signDescriptor(input: DescriptorInput, key: SigningKey, meta: SigningMeta): string {
  const parsed = DescriptorInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new BiospecError('INVALID_ARGUMENT', 'invalid node descriptor', {
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'descriptor', message: i.message })),
    });
  }
  const listed = parsed.data.jwks.keys.find((k) => k.kid === key.kid);
  if (listed === undefined || listed.x !== key.publicJwk.x) {
    throw new BiospecError('INVALID_ARGUMENT', `signing key ${key.kid} is not among the descriptor's keys`, {
      issues: [{ field: 'jwks.keys', message: `must list the signing key ${key.kid}` }],
    });
  }
  const payload: NodeDescriptor = { v: 1, ...parsed.data, seq: meta.seq, iat: meta.iat, ...(meta.p2p ? { p2p: meta.p2p } : {}) };
  return signCompactJws(payload, key, DESCRIPTOR_TOKEN_TYPE);
}

/** The descriptor without what changes on every re-announcement: equal content means nothing changed. */
export function descriptorContent(descriptor: NodeDescriptor): string {
  const { seq: _seq, iat: _iat, p2p: _p2p, ...content } = descriptor;
  return JSON.stringify(content);
}
