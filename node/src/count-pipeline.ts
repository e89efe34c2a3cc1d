import type { CountResponse, NodeResult } from '@biospec/protocol';
import { planQuestion, protectAnswer, type TrueCount } from '@biospec/privacy';
import type { QueryClaims } from '@biospec/trust';
import { canonicalJson, type Query } from '@biospec/query';
import type { CountRouteLabel } from './metrics.js';
import { createQuestionSteps, requestIdOf, type AnswerContext, type QuestionStepsComponents } from './question-steps.js';

export type { AnswerContext } from './question-steps.js';

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
export interface CountPipelineComponents extends QuestionStepsComponents {
  counts: CountSource;
}

export interface CountPipeline {
  /** Answers one signed query; throws a BiospecError (mapped to a gRPC status by the server) when it refuses. */
  answer(signedQuery: string, context?: AnswerContext): Promise<CountResponse>;
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
  const steps = createQuestionSteps(c);

  return {
    async answer(signedQuery, context = {}) {
      let claims: QueryClaims | undefined;
      try {
        claims = await steps.verify(signedQuery, 'count', context);
        const asked = claims;
        await c.rateLimiter.take(asked.researcher, steps.now().getTime());
        const plan = planQuestion(asked.query, c.policy);
        const servingEpoch = c.counts.servingEpoch();
        steps.assertStillWanted(context);
        const { release: released, epoch, charged } = await steps.release({
          claims: asked,
          keyHash: asked.query_hash,
          generation: steps.generation,
          plan,
          servingEpoch,
          count: () => c.counts.count(asked.query),
          protect: (raw: TrueCount, at: number) =>
            protectAnswer(raw, asked.query, plan, c.policy, { secret: c.noiseSecret, queryHash: asked.query_hash, epoch: at, generation: steps.generation }),
          canonicalQuestion: canonicalJson(asked.query),
        });
        const result: NodeResult = {
          nodeId: c.nodeId,
          queryHash: asked.query_hash,
          unit: asked.query.unit,
          total: released.total,
          strata: released.strata,
          dataEpoch: epoch,
          answeredAt: steps.now().toISOString(),
          queryId: asked.jti,
          budget: steps.budgetStatus(asked.researcher, steps.now()),
          cost: plan.cost,
          charged,
          question: '',
          collectionsDigest: '',
        };
        const signedResult = await steps.sign(result);
        await c.audit.record({
          kind: 'query',
          actor: asked.researcher,
          subject: asked.query_hash,
          outcome: released.outcome,
          detail: { jti: asked.jti, ...requestIdOf(asked), project: asked.project, purpose: asked.purpose, released: released.total.display, epoch, charged },
        });
        steps.answered(released.outcome);
        c.logger.info({ ...requestIdOf(asked), queryHash: asked.query_hash, outcome: released.outcome, released: released.total.display }, 'query answered');
        return { signedResult, result };
      } catch (reason) {
        throw await steps.refused(claims, reason, 'query');
      }
    },
  };
}
