/**
 * The access tables' rows and the mapping between rows and records, shared by the SQLite store
 * (sqlite-store.ts) and the PostgreSQL one (`@biospec/postgres`): both hold the same tables
 * column for column, so a record reads and writes one way whatever the database. The SQL stays
 * in each store, as its dialect differs.
 *
 * Integer columns are numbers here, as better-sqlite3 returns them; pg returns BIGINT columns as
 * strings, and the PostgreSQL store turns those few into numbers before mapping.
 *
 * The `…Columns` functions give a record's values in the order of its table's columns (leaving
 * out `seq`, which each database numbers its own way), for the stores' INSERT statements.
 */
import type { AccessRequest, Actor, Comment, Delivery, Grant, Membership, MembershipState, MembershipTransition, RequestFields, RevocationList, SiteAnswer, Transition } from './model.js';
import type { AwaitingSite, NewTransition } from './repositories.js';
import type { RequestState, SiteState } from './states.js';

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

export interface ActorColumns {
  actor_person: string;
  actor_name: string | null;
  actor_role: string;
}

export interface TransitionRow extends ActorColumns {
  seq: number;
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

/** A pending site of an approved request, with when the request was approved (`asked_at`). */
export interface AwaitingSiteRow {
  request_id: string;
  node_id: string;
  asked_at: string;
  reminded_at: string | null;
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

export interface RevocationListRow {
  version: number;
  issued_at: string;
  token: string;
}

export interface DeliveryRow {
  id: string;
  request_id: string;
  node_id: string;
  grant_id: string;
  sha256: string;
  bytes: number;
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
  seq: number;
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
  seq: row.seq,
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

export const toAwaitingSite = (row: AwaitingSiteRow): AwaitingSite => ({
  requestId: row.request_id,
  nodeId: row.node_id,
  askedAt: row.asked_at,
  remindedAt: row.reminded_at,
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

export const toRevocationList = (row: RevocationListRow): RevocationList => ({ version: row.version, issuedAt: row.issued_at, token: row.token });

export const toDelivery = (row: DeliveryRow): Delivery => ({
  id: row.id,
  requestId: row.request_id,
  nodeId: row.node_id,
  grantId: row.grant_id,
  sha256: row.sha256,
  bytes: row.bytes,
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
  seq: row.seq,
  nodeId: row.node_id,
  from: row.from_state,
  to: row.to_state,
  actor: actorOf(row),
  at: row.at,
  reason: row.reason,
});

/** access_request's title … encryption_key: the fields a researcher writes. */
export const requestFieldColumns = (f: RequestFields) => [
  f.title,
  f.description,
  f.ethicsReference,
  f.purpose,
  JSON.stringify(f.origin),
  JSON.stringify(f.collections),
  JSON.stringify(f.attachments),
  f.encryptionKey === null ? null : JSON.stringify(f.encryptionKey),
];

/** request_site: request_id … reminded_at. */
export const siteColumns = (requestId: string, site: SiteAnswer) => [
  requestId,
  site.nodeId,
  site.state,
  JSON.stringify(site.collections),
  site.updatedAt,
  site.remindedAt,
];

/** request_transition: request_id … reason. */
export const transitionColumns = (t: NewTransition) => [t.requestId, t.nodeId, t.from, t.to, t.action, t.actor.personId, t.actor.name, t.actor.role, t.at, t.reason];

/** request_comment: id, request_id … at. */
export const commentColumns = (c: Comment) => [c.id, c.requestId, c.nodeId, c.author.personId, c.author.name, c.author.role, c.body, c.at];

/** access_grant: id … revoke_reason. */
export const grantColumns = (g: Grant) => [g.id, g.requestId, g.nodeId, g.subject, g.issuedAt, g.expiresAt, g.token, g.revokedAt, g.revokedBy, g.revokeReason];

/** delivery: id, request_id … at. */
export const deliveryColumns = (d: Delivery) => [d.id, d.requestId, d.nodeId, d.grantId, d.sha256, d.bytes, d.at];

/** membership: node_id … updated_at. */
export const membershipColumns = (m: Membership) => [m.nodeId, m.name, m.endpoint, JSON.stringify(m.jwks), m.contact, m.state, m.application, m.updatedAt];

/** membership_transition: node_id … reason. */
export const membershipTransitionColumns = (nodeId: string, t: Pick<MembershipTransition, 'from' | 'to' | 'actor' | 'at' | 'reason'>) => [
  nodeId,
  t.from,
  t.to,
  t.actor.personId,
  t.actor.name,
  t.actor.role,
  t.at,
  t.reason,
];
