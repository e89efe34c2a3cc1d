/**
 * The node's held questions for a steward who works through the coordinator (docs/PRIVACY.md,
 * "Hold mode"): a listing of the questions and their decisions, and a decision on one. Each call
 * carries a steward's request signed by a pinned coordinator key, for this node, with the
 * steward's role for this node, used once; and the node takes it only when its own config
 * allows (`holds.decisionsFromCoordinator`). The held figures never leave the node this way:
 * the researcher gets them by asking again, as after a decision taken at the node.
 */
import type { Logger } from 'pino';
import { BiospecError, type DecideHoldResponse, type HeldQuestionSummary, type ListHoldsResponse } from '@biospec/protocol';
import type { HeldQuestion, HoldQueue } from '@biospec/privacy';
import { verifyStewardRequest, type AuditLog, type KeyRing, type ReplayCache, type StewardAction, type StewardClaims } from '@biospec/trust';
import type { AnswerContext } from './question-steps.js';
import type { PreAuthRefusals } from './pre-auth-refusals.js';
import { decideHold } from './hold-decisions.js';

/** The most questions one listing carries: held ones first, so a long history never hides one waiting. */
const MAX_LISTED_HOLDS = 200;

export interface StewardHoldsComponents {
  nodeId: string;
  /** `holds.decisionsFromCoordinator` from the node's config. */
  enabled: boolean;
  coordinatorKeys: () => Promise<KeyRing>;
  replay: ReplayCache;
  holds: HoldQueue;
  audit: AuditLog;
  preAuthRefusals: PreAuthRefusals;
  logger: Logger;
  now?: () => Date;
}

export interface StewardHolds {
  list(signedRequest: string, context: AnswerContext): Promise<ListHoldsResponse>;
  decide(signedRequest: string, context: AnswerContext): Promise<DecideHoldResponse>;
}

/** A held question without its figures. */
function holdSummary(h: HeldQuestion): HeldQuestionSummary {
  return {
    id: h.id,
    status: h.status,
    canonicalQuery: h.canonicalQuery,
    queryHash: h.queryHash,
    researcher: h.researcher,
    purpose: h.purpose,
    project: h.project,
    heldAt: h.heldAt,
    dataEpoch: h.epoch,
    decidedAt: h.decidedAt ?? '',
    decidedBy: h.steward ?? '',
    reason: h.reason ?? '',
  };
}

export function createStewardHolds(c: StewardHoldsComponents): StewardHolds {
  const now = c.now ?? (() => new Date());

  /** Verifies the request (refusals before that are counted per peer), then checks the node allows it (audited with the steward). */
  async function accept(signedRequest: string, actions: readonly StewardAction[], context: AnswerContext): Promise<StewardClaims> {
    let claims: StewardClaims;
    try {
      claims = await verifyStewardRequest(signedRequest, { keys: await c.coordinatorKeys(), audience: c.nodeId, replay: c.replay, actions, now: () => now().getTime() });
    } catch (reason) {
      const err = BiospecError.from(reason);
      await c.preAuthRefusals.record(context.peer ?? 'unknown', err);
      throw err;
    }
    if (!c.enabled) {
      throw await refused(
        claims,
        new BiospecError('FAILED_PRECONDITION', `node ${c.nodeId} takes hold decisions only at the node (holds.decisionsFromCoordinator is off)`),
      );
    }
    return claims;
  }

  async function refused(claims: StewardClaims, reason: unknown): Promise<BiospecError> {
    const err = BiospecError.from(reason);
    await c.audit.record({
      kind: claims.action === 'list-holds' ? 'hold-list' : 'hold-decision',
      actor: claims.steward.name,
      subject: claims.hold ?? 'holds',
      outcome: 'rejected',
      detail: { via: 'coordinator', coordinator: claims.iss, person: claims.steward.person, role: claims.steward.role, jti: claims.jti, code: err.code, reason: err.message },
    });
    c.logger.warn({ code: err.code, reason: err.message, action: claims.action, steward: claims.steward.person }, "steward's request refused");
    return err;
  }

  return {
    async list(signedRequest, context) {
      const claims = await accept(signedRequest, ['list-holds'], context);
      const matching = c.holds.list(claims.status);
      const held = matching.filter((h) => h.status === 'held');
      const decided = matching.filter((h) => h.status !== 'held').sort((a, b) => (b.decidedAt ?? '').localeCompare(a.decidedAt ?? ''));
      // Who looked at which researchers' questions is the node's record to keep, like who decided.
      await c.audit.record({
        kind: 'hold-list',
        actor: claims.steward.name,
        subject: 'holds',
        outcome: 'listed',
        detail: { via: 'coordinator', coordinator: claims.iss, person: claims.steward.person, role: claims.steward.role, jti: claims.jti, status: claims.status ?? 'all', total: matching.length },
      });
      return { holds: [...held, ...decided].slice(0, MAX_LISTED_HOLDS).map(holdSummary), total: matching.length };
    },

    async decide(signedRequest, context) {
      const claims = await accept(signedRequest, ['release-hold', 'decline-hold'], context);
      try {
        const decided = await decideHold({ holds: c.holds, audit: c.audit }, claims.hold as string, {
          action: claims.action === 'release-hold' ? 'release' : 'decline',
          steward: claims.steward.name,
          ...(claims.reason === undefined ? {} : { reason: claims.reason }),
          source: { kind: 'coordinator', coordinator: claims.iss, person: claims.steward.person, role: claims.steward.role, jti: claims.jti },
        });
        c.logger.info({ hold: decided.id, status: decided.status, steward: claims.steward.person }, 'held question decided through the coordinator');
        return { hold: holdSummary(decided) };
      } catch (reason) {
        throw await refused(claims, reason);
      }
    },
  };
}
