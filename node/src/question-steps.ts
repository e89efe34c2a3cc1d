/**
 * The steps every protected question takes at a node, whatever it asks (a count, an
 * availability question): verify the signed token (refusals before that counted per peer),
 * refuse a question its caller no longer waits for, charge the person's budget before
 * counting (a repeat is free), hold for the steward when the policy says so, count, protect,
 * sign, and audit refusals. The count and availability pipelines are this sequence with
 * their own question, key and protection.
 */
import type { Logger } from 'pino';
import { BiospecError, type BudgetStatus, type NodeResult, type ReleasedFigure, type Stratum } from '@biospec/protocol';
import {
  heldFigure,
  noiseGeneration,
  type BudgetLedger,
  type DisclosurePolicy,
  type HoldQueue,
  type ProtectedResult,
  type QuestionPlan,
  type RateLimiter,
  type TrueCount,
} from '@biospec/privacy';
import { signResult, verifyQuery, type AuditLog, type KeyRing, type QueryClaims, type QuestionKind, type ReplayCache, type SigningKey } from '@biospec/trust';
import type { CountRouteLabel, NodeMetrics } from './metrics.js';
import type { PreAuthRefusals } from './pre-auth-refusals.js';

/** What the shared steps are built from; every part is injected so tests can use real stores in temp folders. */
export interface QuestionStepsComponents {
  nodeId: string;
  signingKey: SigningKey;
  /** The coordinator keys this node accepts (pinned in its config), as currently in force. */
  coordinatorKeys: () => Promise<KeyRing>;
  replay: ReplayCache;
  policy: DisclosurePolicy;
  noiseSecret: Uint8Array;
  budget: BudgetLedger;
  rateLimiter: RateLimiter;
  holds: HoldQueue;
  audit: AuditLog;
  /** Where refusals that come before the token verifies are counted instead of audited one by one. */
  preAuthRefusals: PreAuthRefusals;
  logger: Logger;
  /** Where outcomes, count times and budget charges are counted; none when absent. */
  metrics?: Pick<NodeMetrics, 'question' | 'refused' | 'countTook' | 'budgetCharged'>;
  now?: () => Date;
}

/** What the server knows about the call a signed question came in. */
export interface AnswerContext {
  /** The caller's deadline: a question still waiting when it passes is dropped before it is charged or counted. */
  deadline?: Date;
  /** Aborted when the caller cancels (its stream or call ended); the question is then dropped if not yet charged. */
  signal?: AbortSignal;
  /** The caller's address, for refusals that come before the token is verified. */
  peer?: string;
}

/** What one question releases, and how. */
export interface Release {
  total: ReleasedFigure;
  strata: Stratum[];
  outcome: 'answered' | 'held' | 'released-by-steward';
}

/** One protected question as the shared steps see it. */
export interface ProtectedQuestion {
  claims: QueryClaims;
  /** What noise, budget and holds are keyed by: the query hash for a count, a derived hash for other kinds. */
  keyHash: string;
  /** The node's noise generation for this kind of question (it includes any published domain). */
  generation: string;
  plan: QuestionPlan;
  /** The epoch the node would answer at now (checked before anything is charged). */
  servingEpoch: number;
  /** True counts, with the epoch they are true for, and how they were counted when the source says. */
  count(): Promise<TrueCount & { epoch: number; route?: CountRouteLabel }>;
  protect(raw: TrueCount, epoch: number): ProtectedResult;
  /** The canonical question as the steward's hold queue shows it. */
  canonicalQuestion: string;
}

export interface QuestionSteps {
  now(): Date;
  /** The node's noise generation (policy, secret, strata domains, sampler). */
  generation: string;
  /**
   * Verifies a signed question of `kind`. A refusal here is counted per peer (the token
   * never verified, so nobody is known to audit it against).
   */
  verify(signedQuery: string, kind: QuestionKind, context: AnswerContext): Promise<QueryClaims>;
  /** Refuses a question the caller no longer waits for, before it costs anything. */
  assertStillWanted(context: AnswerContext): void;
  budgetStatus(person: string, at: Date): BudgetStatus | undefined;
  /** Charge, (hold), count, protect: nothing refuses after the count. */
  release(question: ProtectedQuestion): Promise<{ release: Release; epoch: number; charged: number }>;
  sign(result: NodeResult): Promise<string>;
  /** Counts a question that was answered, held or released by the steward (refusals are counted by {@link refused}). */
  answered(outcome: Release['outcome']): void;
  /** Audits and logs a refusal of a verified question (unverified ones were counted in `verify`), and returns it to throw. */
  refused(claims: QueryClaims | undefined, reason: unknown, kind: string): Promise<BiospecError>;
}

/** The coordinator's request id of a question, as log lines and audit entries carry it. */
export function requestIdOf(claims: QueryClaims): { requestId?: string } {
  return claims.request_id === undefined ? {} : { requestId: claims.request_id };
}

export function createQuestionSteps(c: QuestionStepsComponents): QuestionSteps {
  const now = c.now ?? (() => new Date());
  const generation = noiseGeneration(c.policy, c.noiseSecret);
  /** Refusals of questions nobody waited for any more, and why: the metrics count them as dropped, not refused. */
  const drops = new WeakMap<BiospecError, 'cancelled' | 'deadline'>();

  function charge(claims: QueryClaims, keyHash: string, questionGeneration: string, plan: QuestionPlan, epoch: number, at: Date): number {
    if (!c.policy.budget) return 0;
    const { charged } = c.budget.charge(
      { person: claims.researcher, queryHash: keyHash, epoch, generation: questionGeneration, epsilon: plan.cost, now: at, project: claims.project },
      c.policy.budget,
    );
    c.metrics?.budgetCharged(charged);
    return charged;
  }

  function dropped(why: 'cancelled' | 'deadline', message: string): BiospecError {
    const err = new BiospecError('DEADLINE_EXCEEDED', message);
    drops.set(err, why);
    return err;
  }

  return {
    now,
    generation,

    async verify(signedQuery, kind, context) {
      const at = now();
      try {
        return await verifyQuery(signedQuery, {
          keys: await c.coordinatorKeys(),
          audience: c.nodeId,
          replay: c.replay,
          now: () => at.getTime(),
          question: kind,
        });
      } catch (reason) {
        const err = BiospecError.from(reason);
        await c.preAuthRefusals.record(context.peer ?? 'unknown', err);
        throw err;
      }
    },

    assertStillWanted(context) {
      const at = now();
      if (context.signal?.aborted) throw dropped('cancelled', 'the caller cancelled the question before it was counted');
      if (context.deadline && context.deadline.getTime() <= at.getTime()) {
        throw dropped('deadline', 'the question reached its deadline before it was counted');
      }
    },

    budgetStatus(person, at) {
      const { budget } = c.policy;
      if (!budget) return undefined;
      const status = c.budget.status(person, budget, at);
      return { spent: status.spent, remaining: status.remaining, total: budget.epsilon, renewsAt: status.renewsAt ?? '', windowDays: budget.windowDays };
    },

    async release(q) {
      const { policy } = c;
      const { claims, keyHash, plan } = q;
      let charged = charge(claims, keyHash, q.generation, plan, q.servingEpoch, now());
      const existing = policy.release === 'hold' ? c.holds.find(keyHash, q.servingEpoch, claims.researcher) : undefined;
      if (existing) {
        if (existing.status === 'released') return { release: { ...existing.released, outcome: 'released-by-steward' }, epoch: q.servingEpoch, charged };
        if (existing.status === 'declined') {
          throw new BiospecError('PERMISSION_DENIED', `the steward declined this question: ${existing.reason ?? 'no reason given'}`);
        }
        return { release: { total: heldFigure(policy, plan.total), strata: [], outcome: 'held' }, epoch: q.servingEpoch, charged };
      }

      const counting = process.hrtime.bigint();
      const raw = await q.count();
      c.metrics?.countTook(raw.route ?? 'unknown', Number(process.hrtime.bigint() - counting) / 1e9);
      // A withdrawal between the charge and the count moved the epoch: these figures are the new epoch's, so that is what is charged.
      if (raw.epoch !== q.servingEpoch) charged += charge(claims, keyHash, q.generation, plan, raw.epoch, now());
      const released = q.protect(raw, raw.epoch);
      if (policy.release === 'hold') {
        c.holds.hold({
          queryHash: keyHash,
          epoch: raw.epoch,
          researcher: claims.researcher,
          project: claims.project,
          purpose: claims.purpose,
          canonicalQuery: q.canonicalQuestion,
          released,
        });
        return { release: { total: heldFigure(policy, plan.total), strata: [], outcome: 'held' }, epoch: raw.epoch, charged };
      }
      return { release: { ...released, outcome: 'answered' }, epoch: raw.epoch, charged };
    },

    sign: (result) => signResult(result, c.signingKey),

    answered(outcome) {
      c.metrics?.question(outcome === 'released-by-steward' ? 'released_by_steward' : outcome);
    },

    async refused(claims, reason, kind) {
      const err = BiospecError.from(reason);
      const drop = drops.get(err);
      if (drop === undefined) c.metrics?.refused(err.code);
      else c.metrics?.question('dropped', drop);
      if (claims !== undefined) {
        await c.audit.record({
          kind,
          actor: claims.researcher,
          subject: claims.query_hash,
          outcome: 'rejected',
          detail: { jti: claims.jti, ...requestIdOf(claims), code: err.code, reason: err.message, issues: err.issues.map((i) => i.message) },
        });
      }
      c.logger.warn({ ...(claims === undefined ? {} : requestIdOf(claims)), code: err.code, reason: err.message, question: kind }, `${kind} rejected`);
      return err;
    },
  };
}
