import { BiospecError, readJsonFile, type FederatedAvailabilityResponse, type FederatedCountResponse } from '@biospec/protocol';
import { canonicalise, parseQuery, queryHash } from '@biospec/query';
import { createKeyRing, type AuditStore, type KeyRing, type SigningKey } from '@biospec/trust';
import type { CoordinatorConfig } from './config.js';
import { federatedOutcome, siteStatusLabel } from './metrics.js';

/** How a federated question ended: every site answered, some did, none did, or it was refused before fan-out. */
export type FederatedOutcome = 'answered' | 'partial' | 'unanswered' | 'rejected';

/** What a federated question was, as the audit log keeps it (never the researcher's login: the pseudonym). */
export interface AuditedQuestion {
  /** The pseudonym nodes saw. */
  researcher: string;
  query: unknown;
  purpose: string;
  project: string;
  /** The researcher's call it came in. */
  requestId?: string;
}

/** One step of the access workflow (request submitted, site approved, grant issued, revoked, ...). */
export interface AccessAction {
  /** Who acted: a staff member, a site steward, a researcher's pseudonym. */
  actor: string;
  /** What it acted on: an access request id, a grant id. */
  subject: string;
  /** e.g. `request-submitted`, `site-approved`, `grant-issued`, `grant-revoked`. */
  action: string;
  outcome: string;
  detail?: Record<string, unknown>;
}

/**
 * The coordinator's tamper-evident record: every federated question (kind `federated-query`)
 * and every access-workflow action (kind `access`), in a hash-chained log whose head the
 * coordinator signs. Each call resolves once its entry has committed.
 */
export interface CoordinatorAudit {
  recordQuery(question: AuditedQuestion, response: FederatedCountResponse): Promise<void>;
  /** An availability question (kind `availability-query`), with the same detail as a count. */
  recordAvailability(question: AuditedQuestion, response: FederatedAvailabilityResponse): Promise<void>;
  /** A question refused before fan-out; `kind` is `federated-query` (the default) or `availability-query`. */
  recordRejectedQuery(question: AuditedQuestion, reason: unknown, kind?: string): Promise<void>;
  recordAccess(action: AccessAction): Promise<void>;
  readonly log: AuditStore;
}


/** The hash of a refused question when it is a valid query at all. */
function hashOrInvalid(query: unknown): string {
  try {
    return queryHash(canonicalise(parseQuery(query)));
  } catch {
    return 'invalid';
  }
}

export function createCoordinatorAudit(log: AuditStore): CoordinatorAudit {
  return {
    log,
    async recordQuery(question, response) {
      await log.record({
        kind: 'federated-query',
        actor: question.researcher,
        subject: response.queryHash,
        outcome: federatedOutcome(response),
        detail: {
          ...(question.requestId === undefined ? {} : { requestId: question.requestId }),
          project: question.project,
          purpose: question.purpose,
          sites: Object.fromEntries(response.sites.map((s) => [s.nodeId, siteStatusLabel(s.status)])),
          elapsedMs: response.elapsedMs,
        },
      });
    },
    async recordAvailability(question, response) {
      await log.record({
        kind: 'availability-query',
        actor: question.researcher,
        subject: response.queryHash,
        outcome: federatedOutcome(response),
        detail: {
          ...(question.requestId === undefined ? {} : { requestId: question.requestId }),
          project: question.project,
          purpose: question.purpose,
          sites: Object.fromEntries(response.sites.map((s) => [s.nodeId, siteStatusLabel(s.status)])),
          elapsedMs: response.elapsedMs,
        },
      });
    },
    async recordRejectedQuery(question, reason, kind = 'federated-query') {
      const err = BiospecError.from(reason);
      await log.record({
        kind,
        actor: question.researcher,
        subject: hashOrInvalid(question.query),
        outcome: 'rejected',
        detail: {
          ...(question.requestId === undefined ? {} : { requestId: question.requestId }),
          project: question.project,
          purpose: question.purpose,
          code: err.code,
          reason: err.message,
        },
      });
    },
    async recordAccess(action) {
      await log.record({
        kind: 'access',
        actor: action.actor,
        subject: action.subject,
        outcome: action.outcome,
        detail: { action: action.action, ...action.detail },
      });
    },
  };
}

/** The keys the coordinator's checkpoints may be signed with: the current key and the retired ones. */
export async function coordinatorAuditKeys(config: CoordinatorConfig, signingKey: SigningKey): Promise<KeyRing> {
  const retired = config.retiredKeys ? ((readJsonFile(config.retiredKeys, 'retired keys') as { keys?: unknown[] }).keys ?? []) : [];
  const byKid = new Map<string, Parameters<typeof createKeyRing>[0][number]>([[signingKey.kid, signingKey.publicJwk]]);
  for (const key of retired as Parameters<typeof createKeyRing>[0]) if (typeof key.kid === 'string' && !byKid.has(key.kid)) byKid.set(key.kid, key);
  return createKeyRing([...byKid.values()]);
}
