/**
 * Rows of the access tables as `pg` returns them, and the records they hold. BIGINT columns
 * arrive as strings (pg does not narrow them to numbers on its own); sequence numbers and sizes
 * stay far below 2^53, so `Number` is exact.
 */
import type {
  AccessRequest,
  Actor,
  Comment,
  Delivery,
  Grant,
  Membership,
  MembershipState,
  MembershipTransition,
  RequestState,
  SiteAnswer,
  SiteState,
  Transition,
} from '@biospec/access';

export interface RequestRow {
  id: string;
  researcher_id: string;
  state: RequestState;
  title: string;
  description: string;
  ethics_reference: string;
  purpose: string;
  origin: string;
  collections: string;
  attachments: string;
  encryption_key: string | null;
  created_at: string;
  updated_at: string;
}

export interface SiteRow {
  request_id: string;
  node_id: string;
  state: SiteState;
  collections: string;
  updated_at: string;
  reminded_at: string | null;
}

interface ActorColumns {
  actor_person: string;
  actor_name: string | null;
  actor_role: string;
}

export interface TransitionRow extends ActorColumns {
  seq: string;
  request_id: string;
  node_id: string | null;
  from_state: Transition['from'];
  to_state: Transition['to'];
  action: string;
  at: string;
  reason: string;
}

export interface CommentRow {
  id: string;
  request_id: string;
  node_id: string | null;
  author_person: string;
  author_name: string | null;
  author_role: string;
  body: string;
  at: string;
}

export interface GrantRow {
  id: string;
  request_id: string;
  node_id: string;
  subject: string;
  issued_at: string;
  expires_at: string;
  token: string;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}

export interface DeliveryRow {
  id: string;
  request_id: string;
  node_id: string;
  grant_id: string;
  sha256: string;
  bytes: string;
  at: string;
}

export interface MembershipRow {
  node_id: string;
  name: string;
  endpoint: string;
  jwks: string;
  contact: string | null;
  state: MembershipState;
  application: string;
  updated_at: string;
}

export interface MembershipTransitionRow extends ActorColumns {
  seq: string;
  node_id: string;
  from_state: MembershipState | null;
  to_state: MembershipState;
  at: string;
  reason: string;
}

const actorOf = (row: ActorColumns): Actor => ({ personId: row.actor_person, name: row.actor_name, role: row.actor_role });

export const toSite = (row: SiteRow): SiteAnswer => ({
  nodeId: row.node_id,
  state: row.state,
  collections: JSON.parse(row.collections) as string[],
  updatedAt: row.updated_at,
  remindedAt: row.reminded_at,
});

export const toRequest = (row: RequestRow, sites: readonly SiteRow[]): AccessRequest => ({
  id: row.id,
  researcherId: row.researcher_id,
  state: row.state,
  title: row.title,
  description: row.description,
  ethicsReference: row.ethics_reference,
  purpose: row.purpose,
  origin: JSON.parse(row.origin) as AccessRequest['origin'],
  collections: JSON.parse(row.collections) as AccessRequest['collections'],
  attachments: JSON.parse(row.attachments) as AccessRequest['attachments'],
  encryptionKey: row.encryption_key === null ? null : (JSON.parse(row.encryption_key) as Record<string, unknown>),
  sites: sites.map(toSite),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const toTransition = (row: TransitionRow): Transition => ({
  seq: Number(row.seq),
  requestId: row.request_id,
  nodeId: row.node_id,
  from: row.from_state,
  to: row.to_state,
  action: row.action,
  actor: actorOf(row),
  at: row.at,
  reason: row.reason,
});

export const toComment = (row: CommentRow): Comment => ({
  id: row.id,
  requestId: row.request_id,
  nodeId: row.node_id,
  author: { personId: row.author_person, name: row.author_name, role: row.author_role },
  body: row.body,
  at: row.at,
});

export const toGrant = (row: GrantRow): Grant => ({
  id: row.id,
  requestId: row.request_id,
  nodeId: row.node_id,
  subject: row.subject,
  issuedAt: row.issued_at,
  expiresAt: row.expires_at,
  token: row.token,
  revokedAt: row.revoked_at,
  revokedBy: row.revoked_by,
  revokeReason: row.revoke_reason,
});

export const toDelivery = (row: DeliveryRow): Delivery => ({
  id: row.id,
  requestId: row.request_id,
  nodeId: row.node_id,
  grantId: row.grant_id,
  sha256: row.sha256,
  bytes: Number(row.bytes),
  at: row.at,
});

export const toMembership = (row: MembershipRow): Membership => ({
  nodeId: row.node_id,
  name: row.name,
  endpoint: row.endpoint,
  jwks: JSON.parse(row.jwks) as Membership['jwks'],
  contact: row.contact,
  state: row.state,
  application: row.application,
  updatedAt: row.updated_at,
});

export const toMembershipTransition = (row: MembershipTransitionRow): MembershipTransition => ({
  seq: Number(row.seq),
  nodeId: row.node_id,
  from: row.from_state,
  to: row.to_state,
  actor: actorOf(row),
  at: row.at,
  reason: row.reason,
});
