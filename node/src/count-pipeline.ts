import type { Logger } from 'pino';
import { BiospecError, type BudgetStatus, type CountResponse, type NodeResult, type ReleasedFigure, type Stratum } from '@biospec/protocol';
import {
  heldFigure,
  noiseGeneration,
  planQuestion,
  protectAnswer,
  type BudgetLedger,
  type DisclosurePolicy,
  type HoldQueue,
  type QuestionPlan,
  type RateLimiter,
  type TrueCount,
} from '@biospec/privacy';
import {
  signResult,
  verifyQuery,
  type AuditLog,
  type KeyRing,
  type QueryClaims,
  type ReplayCache,
  type SigningKey,
} from '@biospec/trust';
import { canonicalJson, type Query } from '@biospec/query';
import type { CountRouteLabel, NodeMetrics } from './metrics.js';
import type { PreAuthRefusals } from './pre-auth-refusals.js';

/** What the pipeline counts on: the epoch answers are given at, and true counts with the epoch they are true for. */
export interface CountSource {
  /**
   * The data epoch a count asked now would be answered at.
   * @throws BiospecError WARMING_UP when nothing can answer quickly yet.
   */
  servingEpoch(): number;
  /** True counts of a canonical query, with the epoch they are true for, read together, and how they were counted. */
  count(query: Query): Promise<TrueCount & { epoch: number; route?: CountRouteLabel }>;
}

/** What the count pipeline is built from; every part is injected so tests can use real stores in temp folders. */
export interface CountPipelineComponents {
  nodeId: string;
  counts: CountSource;
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

/** What the server knows about the call a signed query came in. */
export interface AnswerContext {
  /** The caller's deadline: a question still waiting when it passes is dropped before it is charged or counted. */
  deadline?: Date;
  /** Aborted when the caller cancels (its stream or call ended); the question is then dropped if not yet charged. */
  signal?: AbortSignal;
  /** The caller's address, for refusals that come before the token is verified. */
  peer?: string;
}

export interface CountPipeline {
  /** Answers one signed query; throws a BiospecError (mapped to a gRPC status by the server) when it refuses. */
  answer(signedQuery: string, context?: AnswerContext): Promise<CountResponse>;
}

/** The coordinator's request id of a query, as log lines and audit entries carry it. */
function requestIdOf(claims: QueryClaims): { requestId?: string } {
  return claims.request_id === undefined ? {} : { requestId: claims.request_id };
}

interface Release {
  total: ReleasedFigure;
  strata: Stratum[];
  outcome: 'answered' | 'held' | 'released-by-steward';
}

/**
 * The node's path for one query: verify, rate-limit, plan (cost and noise
 * from the question alone), charge the person's budget, count, protect,
 * (hold), sign, audit.
 *
 * Everything a researcher sees depends on the data only through noised
 * figures: the cost is known before counting and charged before counting
 * (atomically with the repeat check), every cell of a stratification is
 * released, and no refusal can come after the count. A HELD reply carries
 * the same budget movement a released one would.
 */
export function createCountPipeline(c: CountPipelineComponents): CountPipeline {
  const now = c.now ?? (() => new Date());
  const generation = noiseGeneration(c.policy, c.noiseSecret);

  function budgetStatus(person: string, at: Date): BudgetStatus | undefined {
    const { budget } = c.policy;
    if (!budget) return undefined;
    const status = c.budget.status(person, budget, at);
    return { spent: status.spent, remaining: status.remaining, total: budget.epsilon, renewsAt: status.renewsAt ?? '', windowDays: budget.windowDays };
  }

  function charge(claims: QueryClaims, plan: QuestionPlan, epoch: number, at: Date): number {
    if (!c.policy.budget) return 0;
    const { charged } = c.budget.charge(
      { person: claims.researcher, queryHash: claims.query_hash, epoch, generation, epsilon: plan.cost, now: at, project: claims.project },
      c.policy.budget,
    );
    c.metrics?.budgetCharged(charged);
    return charged;
  }

  async function release(claims: QueryClaims, plan: QuestionPlan, epoch: number): Promise<{ release: Release; epoch: number; charged: number }> {
    const { policy } = c;
    let charged = charge(claims, plan, epoch, now());
    const existing = policy.release === 'hold' ? c.holds.find(claims.query_hash, epoch, claims.researcher) : undefined;
    if (existing) {
      if (existing.status === 'released') return { release: { ...existing.released, outcome: 'released-by-steward' }, epoch, charged };
      if (existing.status === 'declined') {
        throw new BiospecError('PERMISSION_DENIED', `the steward declined this question: ${existing.reason ?? 'no reason given'}`);
      }
      return { release: { total: heldFigure(policy, plan.total), strata: [], outcome: 'held' }, epoch, charged };
    }

    const counting = process.hrtime.bigint();
    const raw = await c.counts.count(claims.query);
    c.metrics?.countTook(raw.route ?? 'unknown', Number(process.hrtime.bigint() - counting) / 1e9);
    // A withdrawal between the charge and the count moved the epoch: these figures are the new epoch's, so that is what is charged.
    if (raw.epoch !== epoch) charged += charge(claims, plan, raw.epoch, now());
    const released = protectAnswer(raw, claims.query, plan, policy, {
      secret: c.noiseSecret,
      queryHash: claims.query_hash,
      epoch: raw.epoch,
      generation,
    });
    if (policy.release === 'hold') {
      c.holds.hold({
        queryHash: claims.query_hash,
        epoch: raw.epoch,
        researcher: claims.researcher,
        project: claims.project,
        purpose: claims.purpose,
        canonicalQuery: canonicalJson(claims.query),
        released,
      });
      return { release: { total: heldFigure(policy, plan.total), strata: [], outcome: 'held' }, epoch: raw.epoch, charged };
    }
    return { release: { ...released, outcome: 'answered' }, epoch: raw.epoch, charged };
  }

  /** Why a question is no longer wanted (its caller went away, or its deadline passed), or undefined while it is. */
  function unwanted(context: AnswerContext, at: Date): 'cancelled' | 'deadline' | undefined {
    if (context.signal?.aborted) return 'cancelled';
    if (context.deadline && context.deadline.getTime() <= at.getTime()) return 'deadline';
    return undefined;
  }

  return {
    async answer(signedQuery, context = {}) {
      let claims: QueryClaims | undefined;
      let dropped: 'cancelled' | 'deadline' | undefined;
      try {
        const at = now();
        try {
          claims = await verifyQuery(signedQuery, {
            keys: await c.coordinatorKeys(),
            audience: c.nodeId,
            replay: c.replay,
            now: () => at.getTime(),
          });
        } catch (reason) {
          const err = BiospecError.from(reason);
          await c.preAuthRefusals.record(context.peer ?? 'unknown', err);
          throw err;
        }
        await c.rateLimiter.take(claims.researcher, at.getTime());
        const plan = planQuestion(claims.query, c.policy);
        const servingEpoch = c.counts.servingEpoch();
        // Refused before it costs anything.
        dropped = unwanted(context, now());
        if (dropped === 'cancelled') throw new BiospecError('DEADLINE_EXCEEDED', 'the caller cancelled the question before it was counted');
        if (dropped === 'deadline') throw new BiospecError('DEADLINE_EXCEEDED', 'the question reached its deadline before it was counted');
        const { release: released, epoch, charged } = await release(claims, plan, servingEpoch);
        const result: NodeResult = {
          nodeId: c.nodeId,
          queryHash: claims.query_hash,
          unit: claims.query.unit,
          total: released.total,
          strata: released.strata,
          dataEpoch: epoch,
          answeredAt: now().toISOString(),
          queryId: claims.jti,
          budget: budgetStatus(claims.researcher, now()),
          cost: plan.cost,
          charged,
        };
        const signedResult = await signResult(result, c.signingKey);
        await c.audit.record({
          kind: 'query',
          actor: claims.researcher,
          subject: claims.query_hash,
          outcome: released.outcome,
          detail: { jti: claims.jti, ...requestIdOf(claims), project: claims.project, purpose: claims.purpose, released: released.total.display, epoch, charged },
        });
        c.metrics?.question(released.outcome === 'released-by-steward' ? 'released_by_steward' : released.outcome);
        c.logger.info({ ...requestIdOf(claims), queryHash: claims.query_hash, outcome: released.outcome, released: released.total.display }, 'query answered');
        return { signedResult, result };
      } catch (reason) {
        const err = BiospecError.from(reason);
        if (dropped) c.metrics?.question('dropped', dropped);
        else c.metrics?.refused(err.code);
        if (claims !== undefined) {
          await c.audit.record({
            kind: 'query',
            actor: claims.researcher,
            subject: claims.query_hash,
            outcome: 'rejected',
            detail: { jti: claims.jti, ...requestIdOf(claims), code: err.code, reason: err.message, issues: err.issues.map((i) => i.message) },
          });
        }
        c.logger.warn({ ...(claims ? requestIdOf(claims) : {}), code: err.code, reason: err.message }, 'query rejected');
        throw err;
      }
    },
  };
}
