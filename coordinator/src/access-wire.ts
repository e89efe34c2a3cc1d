/**
 * The access workflow's records as gRPC messages (proto/biospecimen/v1/access.proto), and
 * gRPC requests as the workflow's input. REST serves the workflow's own JSON; gRPC carries
 * JSON values (queries, keys, bundles) as strings.
 */
import { AccessWire, BiospecError } from '@biospec/protocol';
import type { AccessRequest, AccessRequestView, Actor, Delivery, GrantView, Membership, MembershipTransition, MembershipView } from '@biospec/access';
import { canonicalJson } from '@biospec/query';

const actor = (a: Actor): AccessWire.Actor => ({ personId: a.personId, name: a.name ?? '', role: a.role });

export const deliveryToWire = (d: Delivery): AccessWire.Delivery => ({ id: d.id, nodeId: d.nodeId, grantId: d.grantId, sha256: d.sha256, bytes: d.bytes, at: d.at });

export const grantToWire = (g: GrantView): AccessWire.GrantView => ({
  id: g.id,
  nodeId: g.nodeId,
  issuedAt: g.issuedAt,
  expiresAt: g.expiresAt,
  revokedAt: g.revokedAt ?? '',
  revokeReason: g.revokeReason ?? '',
});

const sitesToWire = (request: AccessRequest): AccessWire.SiteAnswer[] =>
  request.sites.map((s) => ({ nodeId: s.nodeId, state: s.state, collections: s.collections, updatedAt: s.updatedAt }));

export function requestToWire(view: AccessRequestView): AccessWire.AccessRequestView {
  const r = view.request;
  return {
    id: r.id,
    state: r.state,
    fields: {
      title: r.title,
      description: r.description,
      ethicsReference: r.ethicsReference,
      purpose: r.purpose,
      origin: {
        kind: r.origin.kind,
        queryHash: r.origin.queryHash,
        queryJson: canonicalJson(r.origin.query),
        bundleJson: r.origin.bundle === undefined ? '' : JSON.stringify(r.origin.bundle),
      },
      collections: r.collections,
      attachments: r.attachments.map((a) => ({ name: a.name, sha256: a.sha256, bytes: a.bytes ?? 0 })),
      encryptionKeyJson: r.encryptionKey === null ? '' : JSON.stringify(r.encryptionKey),
    },
    researcher: { personId: view.researcher.personId, name: view.researcher.name ?? '', email: view.researcher.email ?? '' },
    sites: sitesToWire(r),
    timeline: view.timeline.map((t) => ({
      seq: t.seq,
      nodeId: t.nodeId ?? '',
      from: t.from ?? '',
      to: t.to,
      action: t.action,
      actor: actor(t.actor),
      at: t.at,
      reason: t.reason,
    })),
    comments: view.comments.map((c) => ({ id: c.id, nodeId: c.nodeId ?? '', author: actor(c.author), body: c.body, at: c.at })),
    grants: view.grants.map(grantToWire),
    deliveries: view.deliveries.map(deliveryToWire),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export const summaryToWire = (r: AccessRequest): AccessWire.AccessRequestSummary => ({
  id: r.id,
  state: r.state,
  title: r.title,
  researcherId: r.researcherId,
  sites: sitesToWire(r),
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

export const membershipToWire = (m: Membership): AccessWire.Membership => ({
  nodeId: m.nodeId,
  name: m.name,
  endpoint: m.endpoint,
  state: m.state,
  contact: m.contact ?? '',
  jwksJson: JSON.stringify(m.jwks),
  updatedAt: m.updatedAt,
});

const historyToWire = (t: MembershipTransition): AccessWire.MembershipTransition => ({ seq: t.seq, from: t.from ?? '', to: t.to, actor: actor(t.actor), at: t.at, reason: t.reason });

export const membershipViewToWire = (v: MembershipView) => ({ membership: membershipToWire(v.membership), history: v.history.map(historyToWire) });

function json(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BiospecError('INVALID_ARGUMENT', `${field} is not JSON`, { issues: [{ field, message: 'not JSON' }] });
  }
}

/** A gRPC request's fields as the workflow's input; in an update, empty values are left out unless cleared. */
export function fieldsFromWire(fields: AccessWire.AccessRequestFields | undefined, options: { update: boolean; clear?: readonly string[] } = { update: false }): Record<string, unknown> {
  const f = fields ?? AccessWire.AccessRequestFields.fromPartial({});
  const clear = new Set(options.clear ?? []);
  const out: Record<string, unknown> = {};
  const text = (name: string, value: string, wire: string) => {
    if (clear.has(wire)) out[name] = '';
    else if (value !== '' || !options.update) out[name] = value;
  };
  text('title', f.title, 'title');
  text('description', f.description, 'description');
  text('ethicsReference', f.ethicsReference, 'ethics_reference');
  text('purpose', f.purpose, 'purpose');
  if (f.origin !== undefined && f.origin.queryJson !== '') {
    out.origin = {
      kind: f.origin.kind,
      query: json(f.origin.queryJson, 'fields.origin.query_json'),
      ...(f.origin.queryHash ? { queryHash: f.origin.queryHash } : {}),
      ...(f.origin.bundleJson ? { bundle: json(f.origin.bundleJson, 'fields.origin.bundle_json') } : {}),
    };
  } else if (!options.update) {
    out.origin = undefined;
  }
  if (f.collections.length > 0 || !options.update) out.collections = f.collections.map((c) => ({ nodeId: c.nodeId, collectionId: c.collectionId }));
  if (clear.has('attachments')) out.attachments = [];
  else if (f.attachments.length > 0 || !options.update) out.attachments = f.attachments.map((a) => ({ name: a.name, sha256: a.sha256, ...(a.bytes ? { bytes: a.bytes } : {}) }));
  if (clear.has('encryption_key')) out.encryptionKey = null;
  else if (f.encryptionKeyJson !== '') out.encryptionKey = json(f.encryptionKeyJson, 'fields.encryption_key_json');
  return out;
}
