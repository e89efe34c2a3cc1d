/**
 * What the access workflow keeps: requests with their sites, every transition, comments,
 * attachments by reference, grants, the revocation list, deliveries, node memberships.
 * Plain data, the same whatever store holds it.
 */
import type { Query } from '@biospec/query';
import type { RequestState, SiteState } from './states.js';

/** A file that stays with the researcher; the request keeps its name and SHA-256 so anyone can check a copy. */
export interface Attachment {
  name: string;
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
  /** Size in bytes, when given. */
  bytes?: number;
}

/** A collection a request asks for: one of a node's published collections. */
export interface RequestedCollection {
  nodeId: string;
  collectionId: string;
}

/** The availability or count result a request starts from. */
export interface RequestOrigin {
  kind: 'availability' | 'count';
  /** Hash of the canonical query (as every signed answer names it). */
  queryHash: string;
  /** The canonical query. */
  query: Query;
  /** The saved result bundle (signed per-site answers and the nodes' keys), when the researcher kept it. */
  bundle?: unknown;
}

/** The fields a researcher writes (and may edit while the request is a draft or returned). */
export interface RequestFields {
  title: string;
  description: string;
  /** The ethics committee's reference for the project's approval. */
  ethicsReference: string;
  /** DUO code of the research purpose, e.g. DUO:0000006. */
  purpose: string;
  origin: RequestOrigin;
  collections: RequestedCollection[];
  attachments: Attachment[];
  /**
   * The researcher's public encryption key (JWK, X25519 or P-256): granted detail is
   * encrypted by the node to this key, so only the researcher can read it.
   */
  encryptionKey: Record<string, unknown> | null;
}

/** Who did something, as the request's timeline shows it. */
export interface Actor {
  personId: string;
  /** A display name, when the record has one. */
  name: string | null;
  /** The role the action needed, e.g. `staff` or `steward:north-uh`. */
  role: string;
}

export interface SiteAnswer {
  nodeId: string;
  state: SiteState;
  /** The collections of this site the request asks for. */
  collections: string[];
  updatedAt: string;
  /** When this site was last reminded to answer, if ever. */
  remindedAt: string | null;
}

export interface AccessRequest extends RequestFields {
  id: string;
  /** The researcher record that made the request. */
  researcherId: string;
  state: RequestState;
  sites: SiteAnswer[];
  createdAt: string;
  updatedAt: string;
}

/** One step of a request's or a site's state, with who, when and why. */
export interface Transition {
  seq: number;
  requestId: string;
  /** Absent for the request's own state; the node for a site's. */
  nodeId: string | null;
  from: RequestState | SiteState | null;
  to: RequestState | SiteState;
  action: string;
  actor: Actor;
  at: string;
  reason: string;
}

export interface Comment {
  id: string;
  requestId: string;
  /** The site a comment is about, when it is about one. */
  nodeId: string | null;
  author: Actor;
  body: string;
  at: string;
}

/** A signed grant for one researcher at one site, as the coordinator keeps it. */
export interface Grant {
  /** The grant JWT's `jti`. */
  id: string;
  requestId: string;
  nodeId: string;
  /** The researcher's pseudonym, the grant's `sub`. */
  subject: string;
  issuedAt: string;
  expiresAt: string;
  /** The signed grant (compact JWS). */
  token: string;
  revokedAt: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
}

/** The coordinator's signed list of revoked grants, versioned so nodes refuse an older one. */
export interface RevocationList {
  version: number;
  issuedAt: string;
  /** Compact JWS of {@link RevocationListClaims}. */
  token: string;
}

/** That a node's granted detail reached the researcher: never the detail itself. */
export interface Delivery {
  id: string;
  requestId: string;
  nodeId: string;
  grantId: string;
  /** Hex SHA-256 of the encrypted answer the coordinator relayed. */
  sha256: string;
  bytes: number;
  at: string;
}

export const MEMBERSHIP_STATES = ['applied', 'approved', 'declined', 'suspended'] as const;
export type MembershipState = (typeof MEMBERSHIP_STATES)[number];

/** A node's standing in the network, from its signed application on. */
export interface Membership {
  nodeId: string;
  name: string;
  endpoint: string;
  /** The node's public signing keys (JWKS), pinned once staff approve. */
  jwks: { keys: Record<string, unknown>[] };
  contact: string | null;
  state: MembershipState;
  /** The node's signed application (compact JWS), kept as evidence. */
  application: string;
  updatedAt: string;
}

export interface MembershipTransition {
  seq: number;
  nodeId: string;
  from: MembershipState | null;
  to: MembershipState;
  actor: Actor;
  at: string;
  reason: string;
}
