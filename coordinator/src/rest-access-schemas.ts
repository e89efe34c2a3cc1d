/**
 * The shapes of the access workflow's REST routes (docs/ACCESS.md): request bodies the handlers
 * parse with, and the JSON the workflow answers with. Request fields are checked once more by the
 * workflow itself (CreateRequestSchema in @biospec/access), which names each field it refuses.
 */
import { z } from 'zod';
import { MEMBERSHIP_STATES, REQUEST_STATES, SITE_STATES } from '@biospec/access';
import { HOLD_STATUSES } from '@biospec/trust';
import { BudgetStatusJson, MergedTotalJson, ReleasedFigureJson, SiteStatusJson, StratumJson, jsonFloat } from './rest-schemas.js';

const deadlineMs = z.number().int().min(0).max(120000).optional().meta({ description: "How long the coordinator waits for the nodes, in milliseconds (default: the coordinator's `defaultDeadlineMs`)." });

export const ReasonBodySchema = z.object({ reason: z.string().max(2000).optional() }).strict().meta({ id: 'ReasonBody' });
export const CommentBodySchema = z
  .object({ body: z.string(), nodeId: z.string().optional().meta({ description: 'The site the comment is about, if it is about one.' }) })
  .strict()
  .meta({ id: 'CommentBody' });
export const RevokeBodySchema = z.object({ reason: z.string() }).strict().meta({ id: 'RevokeBody' });
export const GrantedBodySchema = z.object({ deadlineMs }).strict().meta({ id: 'GrantedAvailabilityBody' });
export const ApplicationBodySchema = z
  .object({ application: z.string().min(1).max(32_768).meta({ description: "The node's signed membership application (compact JWS from `biospec node join`)." }) })
  .strict()
  .meta({ id: 'MembershipApplicationBody' });
/** A request's fields; the workflow checks each. */
export const RequestBodySchema = z
  .record(z.string(), z.unknown())
  .meta({ id: 'AccessRequestFields', description: 'title, description, ethicsReference, purpose (DUO code), origin {kind, queryHash, query, bundle?}, collections [{nodeId, collectionId}], attachments [{name, sha256, bytes?}], encryptionKey (public JWK); docs/ACCESS.md.' });
export const ListQuerySchema = z.object({ state: z.string().optional(), nodeId: z.string().optional() }).strict();

/** Which held questions a steward lists: one status, or all of them. */
export const HoldsQuerySchema = z.object({ status: z.enum(HOLD_STATUSES).optional().meta({ description: 'Only questions with this status; all when absent.' }) }).strict();
export const ReleaseHoldBodySchema = z
  .object({ reason: z.string().max(2000).optional().meta({ description: "Why, for the node's audit log; the researcher is not told it." }) })
  .strict()
  .meta({ id: 'ReleaseHoldBody' });
export const DeclineHoldBodySchema = z
  .object({
    reason: z
      .string()
      .max(2000)
      .refine((reason) => reason.trim() !== '', 'a reason is required to decline a held question')
      .meta({ description: 'Told to the researcher as written, when they ask the question again.' }),
  })
  .strict()
  .meta({ id: 'DeclineHoldBody' });

/** A held question as the node lists it to a steward: the question and its decision, never its figures. */
const HeldQuestionJson = z
  .object({
    id: z.string(),
    status: z.enum(HOLD_STATUSES),
    canonicalQuery: z.string().meta({ description: "The canonical question (a count's canonical query; an availability question's, with its collection list digest)." }),
    queryHash: z.string().meta({ description: 'What the hold is keyed by: the query hash of a count, a hash derived from it for an availability question.' }),
    researcher: z.string().meta({ description: "The researcher's pseudonym, as nodes see them." }),
    purpose: z.string(),
    project: z.string(),
    heldAt: z.string(),
    dataEpoch: z.number().int(),
    decidedAt: z.string().meta({ description: 'Empty while held.' }),
    decidedBy: z.string().meta({ description: 'The steward who decided; empty while held.' }),
    reason: z.string().meta({ description: "The steward's reason; empty when none was given." }),
  })
  .strict()
  .meta({ id: 'HeldQuestion' });
export const SiteHoldsJson = z
  .object({ nodeId: z.string(), holds: z.array(HeldQuestionJson), total: z.number().int().meta({ description: 'How many matched at the node; `holds` lists at most 200, held ones first.' }) })
  .strict()
  .meta({ id: 'SiteHolds' });
export const HeldQuestionResponseJson = z.object({ hold: HeldQuestionJson }).strict().meta({ id: 'HeldQuestionResponse' });

const ActorJson = z.object({ personId: z.string(), name: z.string().nullable(), role: z.string() }).strict().meta({ id: 'Actor' });

const SiteAnswerJson = z
  .object({ nodeId: z.string(), state: z.enum(SITE_STATES), collections: z.array(z.string()), updatedAt: z.string(), remindedAt: z.string().nullable() })
  .strict()
  .meta({ id: 'SiteAnswer' });

const AccessRequestJson = z
  .object({
    id: z.string(),
    researcherId: z.string(),
    state: z.enum(REQUEST_STATES),
    sites: z.array(SiteAnswerJson),
    createdAt: z.string(),
    updatedAt: z.string(),
    title: z.string(),
    description: z.string(),
    ethicsReference: z.string(),
    purpose: z.string(),
    origin: z.object({ kind: z.enum(['availability', 'count']), queryHash: z.string(), query: z.unknown(), bundle: z.unknown().optional() }).strict(),
    collections: z.array(z.object({ nodeId: z.string(), collectionId: z.string() }).strict()),
    attachments: z.array(z.object({ name: z.string(), sha256: z.string(), bytes: z.number().int().optional() }).strict()),
    encryptionKey: z.record(z.string(), z.unknown()).nullable(),
  })
  .strict()
  .meta({ id: 'AccessRequest' });

const TransitionJson = z
  .object({
    seq: z.number().int(),
    requestId: z.string(),
    nodeId: z.string().nullable(),
    from: z.string().nullable(),
    to: z.string(),
    action: z.string(),
    actor: ActorJson,
    at: z.string(),
    reason: z.string(),
  })
  .strict()
  .meta({ id: 'Transition' });

const CommentJson = z
  .object({ id: z.string(), requestId: z.string(), nodeId: z.string().nullable(), author: ActorJson, body: z.string(), at: z.string() })
  .strict()
  .meta({ id: 'Comment' });

const GrantViewJson = z
  .object({ id: z.string(), nodeId: z.string(), issuedAt: z.string(), expiresAt: z.string(), revokedAt: z.string().nullable(), revokeReason: z.string().nullable() })
  .strict()
  .meta({ id: 'Grant' });

const DeliveryJson = z
  .object({ id: z.string(), requestId: z.string(), nodeId: z.string(), grantId: z.string(), sha256: z.string(), bytes: z.number().int(), at: z.string() })
  .strict()
  .meta({ id: 'Delivery', description: 'One encrypted answer the coordinator relayed: only its hash and size are kept.' });

export const AccessRequestViewJson = z
  .object({
    request: AccessRequestJson,
    researcher: z.object({ personId: z.string(), name: z.string().nullable(), email: z.string().nullable() }).strict(),
    timeline: z.array(TransitionJson),
    comments: z.array(CommentJson),
    grants: z.array(GrantViewJson),
    deliveries: z.array(DeliveryJson),
  })
  .strict()
  .meta({ id: 'AccessRequestView' });

export const AccessRequestListJson = z.object({ requests: z.array(AccessRequestJson) }).strict().meta({ id: 'AccessRequestList' });

export const CommentResponseJson = CommentJson;

export const GrantViewResponseJson = GrantViewJson;

export const GrantedDeliveryJson = z
  .object({
    nodeId: z.string(),
    encryptedAnswer: z.string().meta({ description: "The node's signed answer encrypted to the researcher's key (compact JWE); the coordinator cannot read it." }),
    delivery: DeliveryJson,
  })
  .strict()
  .meta({ id: 'GrantedDelivery' });

const MembershipJson = z
  .object({
    nodeId: z.string(),
    name: z.string(),
    endpoint: z.string(),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).strict(),
    contact: z.string().nullable(),
    state: z.enum(MEMBERSHIP_STATES),
    application: z.string(),
    updatedAt: z.string(),
  })
  .strict()
  .meta({ id: 'Membership' });

export const MembershipViewJson = z
  .object({
    membership: MembershipJson,
    history: z.array(z.object({ seq: z.number().int(), nodeId: z.string(), from: z.string().nullable(), to: z.string(), actor: ActorJson, at: z.string(), reason: z.string() }).strict()),
  })
  .strict()
  .meta({ id: 'MembershipView' });

export const MembershipListJson = z.object({ memberships: z.array(MembershipJson) }).strict().meta({ id: 'MembershipList' });

export const MeJson = z
  .object({
    personId: z.string(),
    name: z.string().nullable().optional(),
    email: z.string().nullable().optional(),
    roles: z.array(z.string()).meta({ description: 'e.g. `researcher`, `staff`, `steward:north-uh`, `operator:north-uh`.' }),
    pseudonym: z.string().meta({ description: 'What the nodes see of this person.' }),
  })
  .strict()
  .meta({ id: 'Me' });

const CollectionAvailabilityJson = z
  .object({
    collectionId: z.string().optional(),
    name: z.string().optional(),
    description: z.string().optional(),
    contactName: z.string().optional(),
    contactEmail: z.string().optional(),
    accessConditions: z.string().optional(),
    materials: z.array(StratumJson).optional(),
    total: MergedTotalJson.optional(),
  })
  .strict()
  .meta({ id: 'CollectionAvailability' });

export const FederatedAvailabilityResponseJson = z
  .object({
    queryHash: z.string().optional(),
    canonicalQueryJson: z.string().optional(),
    sites: z
      .array(
        z
          .object({
            nodeId: z.string().optional(),
            nodeName: z.string().optional(),
            status: SiteStatusJson.optional(),
            message: z.string().optional(),
            signedResult: z.string().optional(),
            total: ReleasedFigureJson.optional(),
            collections: z.array(CollectionAvailabilityJson).optional(),
            collectionsDigest: z.string().optional(),
            dataEpoch: z.number().int().optional(),
            budget: BudgetStatusJson.optional(),
            cost: jsonFloat.optional(),
            charged: jsonFloat.optional(),
            latencyMs: z.number().int().optional(),
            retryAfterMs: z.number().int().optional(),
          })
          .strict()
          .meta({ id: 'SiteAvailability' }),
      )
      .optional(),
    total: MergedTotalJson.optional(),
    elapsedMs: z.number().int().optional(),
  })
  .strict()
  .meta({ id: 'FederatedAvailabilityResponse' });

const NodeHealthJson = z
  .object({
    nodeId: z.string(),
    name: z.string(),
    endpoint: z.string(),
    membership: z.enum(MEMBERSHIP_STATES).nullable().meta({ description: 'Its membership state, or null for a node the coordinator asks without one.' }),
    lastStatus: SiteStatusJson.nullable(),
    lastSeenAt: z.string().nullable().meta({ description: 'When it last answered the coordinator (any call but a timeout, unreachable or error).' }),
    calls: z.number().int().min(0),
    errorRate: z.number().min(0).max(1).nullable(),
    latencyP50Ms: z.number().nullable(),
    latencyP95Ms: z.number().nullable(),
    dataEpoch: z.number().int().nullable(),
    software: z.object({ name: z.string(), version: z.string() }).strict().nullable(),
    directory: z.object({ lastSeenAt: z.string(), stale: z.boolean() }).strict().nullable().meta({ description: 'What the network directory last heard from it, when the directory is enabled.' }),
  })
  .strict()
  .meta({ id: 'NodeHealth' });

export const NetworkHealthJson = z
  .object({ windowMinutes: z.number().meta({ description: "The window of the coordinator's record of its calls." }), nodes: z.array(NodeHealthJson) })
  .strict()
  .meta({ id: 'NetworkHealth' });
