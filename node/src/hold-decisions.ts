import type { HeldQuestion, HoldQueue } from '@biospec/privacy';
import type { AuditLog } from '@biospec/trust';

/** Where a steward's decision was taken: on the node's machine, or relayed by a coordinator for a steward it knows. */
export type HoldDecisionSource =
  | { kind: 'cli' }
  | {
      kind: 'coordinator';
      /** The coordinator id that signed the request (`iss`). */
      coordinator: string;
      /** The coordinator's person record of the steward. */
      person: string;
      /** The role that allowed it (`steward:<node id>`). */
      role: string;
      /** The signed request's `jti`, to join the node's entry with the coordinator's records. */
      jti: string;
    };

/** A steward's decision on one held question. */
export interface HoldDecision {
  action: 'release' | 'decline';
  /** Who decided, as the hold queue and the audit log name them. */
  steward: string;
  /** Required to decline (the researcher is told it); optional to release. */
  reason?: string;
  source: HoldDecisionSource;
}

/**
 * Releases or declines a held question and writes the decision to the node's audit log
 * (kind `hold-decision`, the steward as actor, the reason and where it was taken): the one path
 * for `biospec node holds release|decline` and for decisions relayed by the coordinator.
 * The queue and the log are two SQLite files, so the decision commits first and its entry
 * follows: a decision that fails (unknown, already decided, no reason) is never audited as taken.
 */
export async function decideHold(stores: { holds: HoldQueue; audit: AuditLog }, id: string, decision: HoldDecision): Promise<HeldQuestion> {
  const { holds, audit } = stores;
  const decided = decision.action === 'release' ? holds.release(id, decision.steward, decision.reason) : holds.decline(id, decision.steward, decision.reason ?? '');
  await audit.record({
    kind: 'hold-decision',
    actor: decision.steward,
    subject: decided.queryHash,
    outcome: decided.status,
    detail: {
      hold: decided.id,
      epoch: decided.epoch,
      researcher: decided.researcher,
      ...(decided.reason === undefined ? {} : { reason: decided.reason }),
      via: decision.source.kind,
      ...(decision.source.kind === 'coordinator'
        ? { coordinator: decision.source.coordinator, person: decision.source.person, role: decision.source.role, jti: decision.source.jti }
        : {}),
    },
  });
  return decided;
}
