/**
 * The access workflow: from an availability (or count) result to signed grants, in the
 * Negotiator's two levels of state. Every action is checked once against its permission
 * rule, moved through the state machine, stored with who, when and why (atomically, as a
 * compare-and-set), audited in the coordinator's signed log and notified. Grants are issued
 * when staff have approved a request and a site's steward approves; revocation produces a
 * new signed revocation list that reaches every node (docs/ACCESS.md).
 *
 * No network here: the coordinator injects its key, its audit log, its people and a way to
 * push revocation lists to nodes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BiospecError } from '@biospec/protocol';
import { canonicalise, parseQuery, queryHash } from '@biospec/query';
import type { PeopleRepository } from '@biospec/registry';
import type { SigningKey } from '@biospec/trust';
import { encryptionKeyThumbprint, parseEncryptionKey } from './granted-detail.js';
import { revocationListDigest, signGrant, signRevocationList } from './grant-token.js';
import {
  CommentSchema,
  CreateRequestSchema,
  parseInput,
  RevokeSchema,
  TransitionSchema,
  UpdateRequestSchema,
  type CreateRequestInput,
  type UpdateRequestInput,
} from './inputs.js';
import type { AccessRequest, Actor, Comment, Delivery, Grant, RequestFields, RevocationList, SiteAnswer, Transition } from './model.js';
import type { Notification, NotificationEvent, Notifier, Recipient } from './notifier.js';
import { authorize, may, type AccessCaller, type Permission } from './permissions.js';
import type { AccessStore } from './repositories.js';
import {
  EDITABLE_STATES,
  FINAL_REQUEST_STATES,
  GRANTED_SITE_STATES,
  nextRequestState,
  nextSiteState,
  stateLabel,
  type RequestAction,
  type SiteAction,
} from './states.js';

/** One step for the coordinator's signed audit log (`recordAccess`). */
export interface AccessAuditEntry {
  actor: string;
  subject: string;
  action: string;
  outcome: string;
  detail?: Record<string, unknown>;
}

export interface AccessWorkflowDeps {
  store: AccessStore;
  people: Pick<PeopleRepository, 'get' | 'withRole'>;
  /** The pseudonym nodes see for a researcher record (a grant's `sub`). */
  pseudonymOf: (personId: string) => string;
  /** The coordinator's id (`iss` of grants and revocation lists) and the key that signs them. */
  coordinatorId: string;
  signingKey: SigningKey;
  /** How long a grant is valid. */
  grantLifetimeSeconds: number;
  /** The visa `value` for a request: its URL at the coordinator, or a URN. */
  requestUri: (requestId: string) => string;
  /** The visa `source`: the coordinator's public URL or id. */
  grantSource: string;
  /** Is this node one the coordinator asks (an approved member)? */
  isMember: (nodeId: string) => boolean;
  /** Checks a saved result bundle against the query hash and the nodes' pinned keys. */
  checkBundle?: (bundle: unknown, queryHash: string) => Promise<void>;
  audit: (entry: AccessAuditEntry) => Promise<void>;
  notifier: Notifier;
  /** Called with every new revocation list, to push it to the nodes (best effort). */
  onRevocationList?: (list: RevocationList) => Promise<void>;
  /** A notification or push that failed; the action it followed stands. */
  onBackgroundError?: (error: unknown, what: string) => void;
  now?: () => Date;
}

/** A grant as callers see it: never the token itself. */
export interface GrantView {
  id: string;
  nodeId: string;
  issuedAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokeReason: string | null;
}

/** A request with everything its parties may see. */
export interface AccessRequestView {
  request: AccessRequest;
  researcher: { personId: string; name: string | null; email: string | null };
  timeline: Transition[];
  comments: Comment[];
  grants: GrantView[];
  deliveries: Delivery[];
}

/** What the coordinator needs to relay one granted question. */
export interface GrantedFetch {
  request: AccessRequest;
  grant: Grant;
  revocations: { version: number; sha256: string; token: string };
}

export interface AccessWorkflow {
  create(caller: AccessCaller, input: CreateRequestInput): Promise<AccessRequestView>;
  update(caller: AccessCaller, requestId: string, input: UpdateRequestInput): Promise<AccessRequestView>;
  get(caller: AccessCaller, requestId: string): Promise<AccessRequestView>;
  /** The requests the caller may see: their own, those asking their sites, all for staff. */
  list(caller: AccessCaller, filter?: { state?: string; nodeId?: string }): Promise<AccessRequest[]>;
  act(caller: AccessCaller, requestId: string, action: RequestAction, input?: unknown): Promise<AccessRequestView>;
  decideSite(caller: AccessCaller, requestId: string, nodeId: string, action: SiteAction, input?: unknown): Promise<AccessRequestView>;
  comment(caller: AccessCaller, requestId: string, input: unknown): Promise<AccessRequestView>;
  revokeGrant(caller: AccessCaller, grantId: string, input: unknown): Promise<GrantView>;
  /** Checks the caller may ask granted availability at `nodeId` for the request, and gathers what the question needs. */
  prepareGrantedFetch(caller: AccessCaller, requestId: string, nodeId: string): Promise<GrantedFetch>;
  /** Records that a node's encrypted answer was relayed: its hash and size, never its content. */
  recordDelivery(caller: AccessCaller, fetch: GrantedFetch, encrypted: string): Promise<Delivery>;
  /** The newest signed revocation list, for pushing to a node. */
  revocationList(): Promise<RevocationList | undefined>;
}

const GRANT_ID_BYTES = 8;

/** `req-` and 12 base32 characters: short enough to type, random enough not to guess. */
function newRequestId(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  return `req-${[...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(GRANT_ID_BYTES).toString('hex')}`;
}

export function createAccessWorkflow(deps: AccessWorkflowDeps): AccessWorkflow {
  const now = deps.now ?? (() => new Date());
  const { store } = deps;

  const mustGet = async (requestId: string): Promise<AccessRequest> => {
    const request = await store.requests.get(requestId);
    if (request === undefined) throw new BiospecError('NOT_FOUND', `no access request ${requestId}`);
    return request;
  };

  /** The audit log's actor: the pseudonym for a researcher (as for their questions), else the record and role. */
  const auditActor = (caller: AccessCaller, actor: Actor) => (actor.role === 'researcher' ? caller.pseudonym : `${actor.role} ${caller.personId}`);

  const recipientsWith = async (role: string): Promise<Recipient[]> =>
    (await deps.people.withRole(role as never)).map((p) => ({ personId: p.id, name: p.name, email: p.email, role }));
  const researcherOf = async (request: AccessRequest): Promise<Recipient[]> => {
    const person = await deps.people.get(request.researcherId);
    return person ? [{ personId: person.id, name: person.name, email: person.email, role: 'researcher' }] : [];
  };
  const stewardsOf = async (request: AccessRequest, nodeIds = request.sites.map((s) => s.nodeId)): Promise<Recipient[]> =>
    (await Promise.all(nodeIds.map((n) => recipientsWith(`steward:${n}`)))).flat();
  /** Everyone of several lists of recipients (a person on two lists is told once, by {@link tell}). */
  const all = async (...lists: Promise<Recipient[]>[]): Promise<Recipient[]> => (await Promise.all(lists)).flat();

  async function tell(event: NotificationEvent, recipients: Recipient[], request: AccessRequest, text: string, nodeId?: string): Promise<void> {
    const unique = [...new Map(recipients.map((r) => [r.personId, r])).values()];
    if (unique.length === 0) return;
    const notification: Notification = {
      event,
      subject: `[biospec] ${request.id} "${request.title}": ${text}`,
      text: `${text}\n\nAccess request ${request.id} "${request.title}" is now ${stateLabel(request.state)}.\n${deps.requestUri(request.id)}\n`,
      requestId: request.id,
      ...(nodeId === undefined ? {} : { nodeId }),
      recipients: unique,
    };
    try {
      await deps.notifier.notify(notification);
    } catch (error) {
      deps.onBackgroundError?.(error, `notification ${event} for ${request.id}`);
    }
  }

  const grantView = (g: Grant): GrantView => ({
    id: g.id,
    nodeId: g.nodeId,
    issuedAt: g.issuedAt,
    expiresAt: g.expiresAt,
    revokedAt: g.revokedAt,
    revokeReason: g.revokeReason,
  });

  async function view(request: AccessRequest): Promise<AccessRequestView> {
    const person = await deps.people.get(request.researcherId);
    return {
      request,
      researcher: { personId: request.researcherId, name: person?.name ?? null, email: person?.email ?? null },
      timeline: await store.requests.timeline(request.id),
      comments: await store.requests.comments(request.id),
      grants: (await store.grants.list({ requestId: request.id })).map(grantView),
      deliveries: await store.grants.deliveries(request.id),
    };
  }

  /** The request's fields from a researcher's input, checked: canonical query, its hash, members only. */
  async function checkedFields(input: ReturnType<typeof CreateRequestSchema.parse>, requestIdForErrors: string): Promise<RequestFields> {
    const query = canonicalise(parseQuery(input.origin.query));
    const hash = queryHash(query);
    if (input.origin.queryHash !== undefined && input.origin.queryHash !== hash) {
      throw new BiospecError('INVALID_ARGUMENT', `origin.queryHash is not the hash of the query (${hash})`, {
        issues: [{ field: 'origin.queryHash', message: 'does not match the query' }],
      });
    }
    if (input.origin.bundle !== undefined) {
      if (deps.checkBundle === undefined) throw new BiospecError('INVALID_ARGUMENT', 'this coordinator does not keep result bundles');
      await deps.checkBundle(input.origin.bundle, hash);
    }
    const strangers = [...new Set(input.collections.map((c) => c.nodeId))].filter((n) => !deps.isMember(n));
    if (strangers.length > 0) {
      throw new BiospecError('INVALID_ARGUMENT', `request ${requestIdForErrors} asks nodes that are not members: ${strangers.join(', ')}`, {
        issues: strangers.map((n) => ({ field: 'collections', message: `node ${n} is not a member of this network` })),
      });
    }
    const collections = [...new Map(input.collections.map((c) => [`${c.nodeId}\n${c.collectionId}`, c])).values()];
    return {
      title: input.title,
      description: input.description,
      ethicsReference: input.ethicsReference,
      purpose: input.purpose,
      origin: { kind: input.origin.kind, queryHash: hash, query, ...(input.origin.bundle === undefined ? {} : { bundle: input.origin.bundle }) },
      collections,
      attachments: input.attachments,
      encryptionKey: input.encryptionKey === null ? null : (parseEncryptionKey(input.encryptionKey) as Record<string, unknown>),
    };
  }

  /** The sites a request's collections ask, keeping each answer where its node stays asked. */
  function sitesFor(fields: RequestFields, previous: readonly SiteAnswer[], at: string): SiteAnswer[] {
    const byNode = new Map<string, string[]>();
    for (const c of fields.collections) byNode.set(c.nodeId, [...(byNode.get(c.nodeId) ?? []), c.collectionId]);
    return [...byNode.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([nodeId, collections]) => {
        const before = previous.find((s) => s.nodeId === nodeId);
        return { nodeId, state: before?.state ?? 'pending', collections: collections.sort(), updatedAt: before?.updatedAt ?? at, remindedAt: before?.remindedAt ?? null };
      });
  }

  /** What a request needs before it can be submitted. */
  function assertComplete(request: AccessRequest): void {
    const issues = [
      ...(request.description.trim() === '' ? [{ field: 'description', message: 'describe the project' }] : []),
      ...(request.ethicsReference.trim() === '' ? [{ field: 'ethicsReference', message: "give the ethics committee's reference" }] : []),
      ...(request.encryptionKey === null ? [{ field: 'encryptionKey', message: 'give a public encryption key: granted detail is encrypted to it' }] : []),
    ];
    if (issues.length > 0) {
      throw new BiospecError('INVALID_ARGUMENT', `request ${request.id} cannot be submitted yet: ${issues.map((i) => i.field).join(', ')} missing`, { issues });
    }
  }

  /** Signs a new revocation list holding every revoked, unexpired grant plus `ids`, and stores it with the revocations. */
  async function revoke(ids: string[], by: string, reason: string): Promise<RevocationList> {
    for (let attempt = 0; ; attempt++) {
      const at = now();
      const previous = (await store.grants.revocationList())?.version ?? 0;
      const revoked = [...new Set([...(await store.grants.revokedUnexpired(at.toISOString())).map((g) => g.id), ...ids])];
      const list: RevocationList = {
        version: previous + 1,
        issuedAt: at.toISOString(),
        token: signRevocationList({ issuer: deps.coordinatorId, version: previous + 1, revoked, now: at }, deps.signingKey),
      };
      try {
        await store.grants.revoke(ids, by, reason, at.toISOString(), list);
      } catch (error) {
        // Another revocation stored its list first: build this one on top of it.
        if (error instanceof BiospecError && error.code === 'FAILED_PRECONDITION' && attempt < 5) continue;
        throw error;
      }
      if (deps.onRevocationList) {
        try {
          await deps.onRevocationList(list);
        } catch (error) {
          deps.onBackgroundError?.(error, `pushing revocation list ${list.version}`);
        }
      }
      return list;
    }
  }

  /** Revokes every standing grant of a request (when it ends). */
  async function revokeAllOf(request: AccessRequest, by: string, reason: string): Promise<string[]> {
    const at = now().toISOString();
    const standing = (await store.grants.list({ requestId: request.id })).filter((g) => g.revokedAt === null && g.expiresAt > at);
    if (standing.length === 0) return [];
    await revoke(
      standing.map((g) => g.id),
      by,
      reason,
    );
    return standing.map((g) => g.id);
  }

  async function issueGrant(request: AccessRequest, nodeId: string, actor: string): Promise<Grant> {
    const at = now();
    const site = request.sites.find((s) => s.nodeId === nodeId)!;
    const approval = (await store.requests.timeline(request.id))
      .filter((t) => t.nodeId === null && t.to === 'approved')
      .pop();
    const { token, claims } = signGrant(
      {
        issuer: deps.coordinatorId,
        subject: deps.pseudonymOf(request.researcherId),
        nodeId,
        visaValue: deps.requestUri(request.id),
        source: deps.grantSource,
        asserted: approval ? new Date(approval.at) : at,
        lifetimeSeconds: deps.grantLifetimeSeconds,
        now: at,
        scope: {
          request: request.id,
          query_hash: request.origin.queryHash,
          collections: site.collections,
          jkt: await encryptionKeyThumbprint(request.encryptionKey as never),
        },
      },
      deps.signingKey,
    );
    const grant = await store.grants.add({
      id: claims.jti,
      requestId: request.id,
      nodeId,
      subject: claims.sub,
      issuedAt: new Date(claims.iat * 1000).toISOString(),
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      token,
      revokedAt: null,
      revokedBy: null,
      revokeReason: null,
    });
    await deps.audit({ actor, subject: request.id, action: 'grant-issued', outcome: 'issued', detail: { node: nodeId, grant: grant.id, expiresAt: grant.expiresAt } });
    return grant;
  }

  const REQUEST_EVENTS: Record<RequestAction, NotificationEvent> = {
    submit: 'request-submitted',
    review: 'request-under-review',
    return: 'request-returned',
    approve: 'request-approved',
    decline: 'request-declined',
    conclude: 'request-concluded',
    abandon: 'request-abandoned',
  };
  const REASON_REQUIRED: ReadonlySet<string> = new Set(['return', 'decline']);

  return {
    async create(caller, input) {
      const actor = authorize(caller, 'request.create');
      const parsed = parseInput(CreateRequestSchema, input, 'access request');
      const id = newRequestId();
      const fields = await checkedFields(parsed, id);
      const at = now().toISOString();
      const request: AccessRequest = { ...fields, id, researcherId: caller.personId, state: 'draft', sites: sitesFor(fields, [], at), createdAt: at, updatedAt: at };
      const created = await store.requests.create(request, { requestId: id, nodeId: null, from: null, to: 'draft', action: 'create', actor, at, reason: '' });
      await deps.audit({ actor: auditActor(caller, actor), subject: id, action: 'request-created', outcome: 'draft', detail: { sites: created.sites.map((s) => s.nodeId), queryHash: fields.origin.queryHash } });
      return view(created);
    },

    async update(caller, requestId, input) {
      const request = await mustGet(requestId);
      const actor = authorize(caller, 'request.edit', { request });
      if (!EDITABLE_STATES.includes(request.state)) {
        throw new BiospecError('FAILED_PRECONDITION', `request ${requestId} is ${stateLabel(request.state)}; only a draft or a returned request can be edited`);
      }
      const patch = parseInput(UpdateRequestSchema, input, 'request changes');
      const merged = parseInput(
        CreateRequestSchema,
        {
          title: patch.title ?? request.title,
          description: patch.description ?? request.description,
          ethicsReference: patch.ethicsReference ?? request.ethicsReference,
          purpose: patch.purpose ?? request.purpose,
          origin: patch.origin ?? {
            kind: request.origin.kind,
            query: request.origin.query,
            queryHash: request.origin.queryHash,
            ...(request.origin.bundle === undefined ? {} : { bundle: request.origin.bundle }),
          },
          collections: patch.collections ?? request.collections,
          attachments: patch.attachments ?? request.attachments,
          encryptionKey: patch.encryptionKey === undefined ? request.encryptionKey : patch.encryptionKey,
        },
        'access request',
      );
      const fields = await checkedFields(merged, requestId);
      const at = now().toISOString();
      const updated = await store.requests.updateFields(requestId, fields, sitesFor(fields, request.sites, at), request.state, at);
      await deps.audit({ actor: auditActor(caller, actor), subject: requestId, action: 'request-edited', outcome: updated.state, detail: { fields: Object.keys(patch) } });
      return view(updated);
    },

    async get(caller, requestId) {
      const request = await mustGet(requestId);
      authorize(caller, 'request.view', { request });
      return view(request);
    },

    async list(caller, filter = {}) {
      authorize(caller, 'request.list');
      const states = filter.state === undefined ? undefined : [filter.state as AccessRequest['state']];
      const all = await store.requests.list({ ...(states ? { states } : {}), ...(filter.nodeId === undefined ? {} : { nodeIds: [filter.nodeId] }) });
      // Staff see every request but other researchers' drafts; stewards see requests that ask their sites once staff approved them.
      return all.filter((request) => {
        if (request.researcherId === caller.personId) return true;
        if (caller.roles.includes('staff')) return request.state !== 'draft';
        const asksMine = request.sites.some((s) => caller.roles.includes(`steward:${s.nodeId}`));
        return asksMine && (request.state === 'approved' || request.state === 'concluded') && may(caller, 'request.view', { request });
      });
    },

    async act(caller, requestId, action, input = {}) {
      const request = await mustGet(requestId);
      const actor = authorize(caller, `request.${action}` as Permission, { request });
      const { reason } = parseInput(TransitionSchema, input, 'transition');
      const to = nextRequestState(requestId, request.state, action);
      if (REASON_REQUIRED.has(action) && reason.trim() === '') {
        throw new BiospecError('INVALID_ARGUMENT', `a reason is required to ${action} a request`, { issues: [{ field: 'reason', message: 'empty' }] });
      }
      if (action === 'submit') assertComplete(request);
      const at = now().toISOString();
      const moved = await store.requests.transition({ requestId, nodeId: null, from: request.state, to, action, actor, at, reason });
      const who = auditActor(caller, actor);
      await deps.audit({ actor: who, subject: requestId, action: `request-${action}`, outcome: to, detail: { from: request.state, ...(reason ? { reason } : {}) } });
      let revoked: string[] = [];
      if (FINAL_REQUEST_STATES.includes(to)) revoked = await revokeAllOf(moved, who, `request ${to}`);
      const text = `${stateLabel(to)} by ${actor.name ?? actor.role}${reason ? `: ${reason}` : ''}`;
      if (action === 'submit') await tell(REQUEST_EVENTS[action], await recipientsWith('staff'), moved, text);
      else if (action === 'approve') {
        await tell(REQUEST_EVENTS[action], await researcherOf(moved), moved, text);
        await tell('site-asked', await stewardsOf(moved), moved, `staff approved the request; your site's answer is needed`);
      } else {
        const told = await all(researcherOf(moved), recipientsWith('staff'), ...(revoked.length ? [stewardsOf(moved)] : []));
        await tell(REQUEST_EVENTS[action], told, moved, text);
      }
      return view(moved);
    },

    async decideSite(caller, requestId, nodeId, action, input = {}) {
      const request = await mustGet(requestId);
      const site = request.sites.find((s) => s.nodeId === nodeId);
      const actor = authorize(caller, `site.${action}` as Permission, { request, nodeId });
      if (site === undefined) throw new BiospecError('NOT_FOUND', `request ${requestId} does not ask node ${nodeId}`);
      const { reason } = parseInput(TransitionSchema, input, 'site decision');
      const to = nextSiteState(requestId, request.state, nodeId, site.state, action);
      if (action === 'decline' && reason.trim() === '') {
        throw new BiospecError('INVALID_ARGUMENT', 'a reason is required to decline a request for a site', { issues: [{ field: 'reason', message: 'empty' }] });
      }
      const at = now().toISOString();
      const moved = await store.requests.transition({ requestId, nodeId, from: site.state, to, action, actor, at, reason });
      const who = auditActor(caller, actor);
      await deps.audit({ actor: who, subject: requestId, action: `site-${action}`, outcome: to, detail: { node: nodeId, from: site.state, ...(reason ? { reason } : {}) } });
      // Staff approved the request (sites decide only then) and this site's steward approves: the site's grant.
      if (action === 'approve') await issueGrant(moved, nodeId, who);
      await tell('site-decided', await all(researcherOf(moved), recipientsWith('staff')), moved, `site ${nodeId}: ${stateLabel(to)}${reason ? ` (${reason})` : ''}`, nodeId);
      return view(moved);
    },

    async comment(caller, requestId, input) {
      const request = await mustGet(requestId);
      const actor = authorize(caller, 'request.comment', { request });
      const { body, nodeId } = parseInput(CommentSchema, input, 'comment');
      if (nodeId !== undefined && !request.sites.some((s) => s.nodeId === nodeId)) {
        throw new BiospecError('INVALID_ARGUMENT', `request ${requestId} does not ask node ${nodeId}`, { issues: [{ field: 'nodeId', message: 'not a site of this request' }] });
      }
      const comment = await store.requests.addComment({ id: newId('c'), requestId, nodeId: nodeId ?? null, author: actor, body, at: now().toISOString() });
      await deps.audit({ actor: auditActor(caller, actor), subject: requestId, action: 'comment-added', outcome: 'added', detail: { comment: comment.id, ...(nodeId ? { node: nodeId } : {}) } });
      const others = (await all(researcherOf(request), recipientsWith('staff'), stewardsOf(request, nodeId ? [nodeId] : undefined))).filter((r) => r.personId !== caller.personId);
      await tell('comment-added', others, request, `comment by ${actor.name ?? actor.role}`, nodeId);
      return view(await mustGet(requestId));
    },

    async revokeGrant(caller, grantId, input) {
      const grant = await store.grants.get(grantId);
      if (grant === undefined) throw new BiospecError('NOT_FOUND', `no grant ${grantId}`);
      const actor = authorize(caller, 'grant.revoke', { nodeId: grant.nodeId });
      const { reason } = parseInput(RevokeSchema, input, 'revocation');
      if (grant.revokedAt !== null) throw new BiospecError('FAILED_PRECONDITION', `grant ${grantId} was already revoked at ${grant.revokedAt}`);
      const who = auditActor(caller, actor);
      const list = await revoke([grantId], who, reason);
      await deps.audit({ actor: who, subject: grant.requestId, action: 'grant-revoked', outcome: 'revoked', detail: { node: grant.nodeId, grant: grantId, reason, revocationList: list.version } });
      const request = await mustGet(grant.requestId);
      await tell('grant-revoked', await all(researcherOf(request), stewardsOf(request, [grant.nodeId])), request, `grant for site ${grant.nodeId} revoked: ${reason}`, grant.nodeId);
      return grantView((await store.grants.get(grantId)) as Grant);
    },

    async prepareGrantedFetch(caller, requestId, nodeId) {
      const request = await mustGet(requestId);
      authorize(caller, 'granted.fetch', { request });
      const site = request.sites.find((s) => s.nodeId === nodeId);
      if (site === undefined) throw new BiospecError('NOT_FOUND', `request ${requestId} does not ask node ${nodeId}`);
      if (request.state !== 'approved') throw new BiospecError('FAILED_PRECONDITION', `request ${requestId} is ${stateLabel(request.state)}; granted availability needs an approved request`);
      if (!GRANTED_SITE_STATES.includes(site.state)) {
        throw new BiospecError('FAILED_PRECONDITION', `site ${nodeId} of request ${requestId} is ${stateLabel(site.state)}; granted availability needs a site that approved`);
      }
      const at = now().toISOString();
      const grant = (await store.grants.list({ requestId, nodeId }))
        .filter((g) => g.revokedAt === null && g.expiresAt > at)
        .pop();
      if (grant === undefined) throw new BiospecError('PERMISSION_DENIED', `no standing grant for request ${requestId} at site ${nodeId} (revoked or expired)`);
      const list = await store.grants.revocationList();
      return { request, grant, revocations: list ? { version: list.version, sha256: revocationListDigest(list.token), token: list.token } : { version: 0, sha256: '', token: '' } };
    },

    async recordDelivery(caller, fetch, encrypted) {
      const delivery = await store.grants.addDelivery({
        id: newId('d'),
        requestId: fetch.request.id,
        nodeId: fetch.grant.nodeId,
        grantId: fetch.grant.id,
        sha256: createHash('sha256').update(encrypted, 'utf8').digest('hex'),
        bytes: Buffer.byteLength(encrypted, 'utf8'),
        at: now().toISOString(),
      });
      await deps.audit({
        actor: caller.pseudonym,
        subject: fetch.request.id,
        action: 'granted-availability-delivered',
        outcome: 'delivered',
        detail: { node: delivery.nodeId, grant: delivery.grantId, sha256: delivery.sha256, bytes: delivery.bytes },
      });
      return delivery;
    },

    revocationList: () => store.grants.revocationList(),
  };
}
