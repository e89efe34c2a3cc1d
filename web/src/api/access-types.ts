/**
 * The access workflow's REST JSON (docs/ACCESS.md, `packages/access`): requests with their
 * sites, timeline, comments and grants; memberships; who is asking; availability answers.
 */
import type { BudgetJson, MergedTotalJson, ReleasedFigureJson, SiteStatusName, StratumJson } from './types.js';

export type RequestState = 'draft' | 'submitted' | 'under_review' | 'returned' | 'approved' | 'declined' | 'concluded' | 'abandoned';
export type SiteState = 'pending' | 'on_hold' | 'approved' | 'declined' | 'samples_available' | 'samples_unavailable';
export type RequestAction = 'submit' | 'review' | 'return' | 'approve' | 'decline' | 'conclude' | 'abandon';
export type SiteAction = 'hold' | 'approve' | 'decline' | 'samples-available' | 'samples-unavailable';
export type MembershipState = 'applied' | 'approved' | 'declined' | 'suspended';
export type MembershipAction = 'approve' | 'decline' | 'suspend' | 'readmit';

/** `GET /api/v1/me`. */
export interface MeJson {
  personId: string;
  name?: string | null;
  email?: string | null;
  roles: string[];
  pseudonym: string;
}

export interface ActorJson {
  personId: string;
  name: string | null;
  role: string;
}

export interface SiteAnswerJson {
  nodeId: string;
  state: SiteState;
  collections: string[];
  updatedAt: string;
  remindedAt: string | null;
}

export interface AccessRequestJson {
  id: string;
  researcherId: string;
  state: RequestState;
  title: string;
  description: string;
  ethicsReference: string;
  purpose: string;
  origin: { kind: 'availability' | 'count'; queryHash: string; query: unknown };
  collections: { nodeId: string; collectionId: string }[];
  attachments: { name: string; sha256: string; bytes?: number }[];
  /** The researcher's public encryption key (JWK), or null until they give one. */
  encryptionKey: Record<string, unknown> | null;
  sites: SiteAnswerJson[];
  createdAt: string;
  updatedAt: string;
}

export interface TransitionJson {
  seq: number;
  requestId: string;
  nodeId: string | null;
  from: string | null;
  to: string;
  action: string;
  actor: ActorJson;
  at: string;
  reason: string;
}

export interface CommentJson {
  id: string;
  requestId: string;
  nodeId: string | null;
  author: ActorJson;
  body: string;
  at: string;
}

export interface GrantJson {
  id: string;
  nodeId: string;
  issuedAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokeReason: string | null;
}

export interface DeliveryJson {
  id: string;
  nodeId: string;
  grantId: string;
  sha256: string;
  bytes: number;
  at: string;
}

/** `GET /api/v1/access/requests/{id}` and every action's answer. */
export interface AccessRequestViewJson {
  request: AccessRequestJson;
  researcher: { personId: string; name: string | null; email: string | null };
  timeline: TransitionJson[];
  comments: CommentJson[];
  grants: GrantJson[];
  deliveries: DeliveryJson[];
}

export interface MembershipJson {
  nodeId: string;
  name: string;
  endpoint: string;
  contact: string | null;
  state: MembershipState;
  updatedAt: string;
}

export interface MembershipTransitionJson {
  seq: number;
  nodeId: string;
  from: MembershipState | null;
  to: MembershipState;
  actor: ActorJson;
  at: string;
  reason: string;
}

export interface MembershipViewJson {
  membership: MembershipJson;
  history: MembershipTransitionJson[];
}

export interface CollectionAvailabilityJson {
  collectionId: string;
  name?: string;
  description?: string;
  contactName?: string;
  contactEmail?: string;
  accessConditions?: string;
  materials?: StratumJson[];
  total?: MergedTotalJson;
}

export interface SiteAvailabilityJson {
  nodeId: string;
  nodeName?: string;
  status?: SiteStatusName;
  message?: string;
  signedResult?: string;
  total?: ReleasedFigureJson;
  collections?: CollectionAvailabilityJson[];
  collectionsDigest?: string;
  dataEpoch?: number;
  budget?: BudgetJson;
  cost?: number;
  charged?: number;
  latencyMs?: number;
  retryAfterMs?: number;
}

/** `POST /api/v1/availability`. */
export interface FederatedAvailabilityJson {
  queryHash: string;
  canonicalQueryJson: string;
  sites?: SiteAvailabilityJson[];
  total?: MergedTotalJson;
  elapsedMs?: number;
}

/** One node as staff see its health (`GET /api/v1/network`). */
export interface NodeHealthJson {
  nodeId: string;
  name: string;
  endpoint: string;
  membership: MembershipState | null;
  lastStatus: SiteStatusName | null;
  lastSeenAt: string | null;
  calls: number;
  errorRate: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  dataEpoch: number | null;
  software: { name: string; version: string } | null;
  directory: { lastSeenAt: string; stale: boolean } | null;
}

export interface NetworkHealthJson {
  windowMinutes: number;
  nodes: NodeHealthJson[];
}

/** A question a node holds for its steward, as the node lists it (`GET /api/v1/sites/{nodeId}/holds`): never its figures. */
export interface HeldQuestionJson {
  id: string;
  status: 'held' | 'released' | 'declined';
  canonicalQuery: string;
  queryHash: string;
  researcher: string;
  purpose: string;
  project: string;
  heldAt: string;
  dataEpoch: number;
  /** Empty while held. */
  decidedAt: string;
  decidedBy: string;
  reason: string;
}

export interface SiteHoldsJson {
  nodeId: string;
  holds: HeldQuestionJson[];
  total: number;
}
