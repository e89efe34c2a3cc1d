import type { Logger } from 'pino';
import { BiospecError, type BudgetStatus, type CountResponse, type NodeResult, type ReleasedFigure, type Stratum } from '@biospec/protocol';
import type { Catalogue } from '@biospec/catalogue';
import {
  epsilonPerQuery,
  heldFigure,
  protectResult,
  type BudgetLedger,
  type DisclosurePolicy,
  type HoldQueue,
  type RateLimiter,
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
import { canonicalJson } from '@biospec/query';

/** What the count pipeline is built from; every part is injected so tests can use real stores in temp folders. */
export interface CountPipelineComponents {
  nodeId: string;
  catalogue: Catalogue;
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
  logger: Logger;
  now?: () => Date;
}

/** What the server knows about the call a signed query came in. */
export interface AnswerContext {
  /** The caller's deadline: a question still waiting when it passes is dropped before it is counted. */
  deadline?: Date;
  /** Aborted when the caller cancels (its stream or call ended); the question is then dropped if not yet counted. */
  signal?: AbortSignal;
  /** The caller's address, for refusals that come before the token is verified. */
  peer?: string;
}

export interface CountPipeline {
  /** Answers one signed query; throws a BiospecError (mapped to a gRPC status by the server) when it refuses. */
  answer(signedQuery: string, context?: AnswerContext): Promise<CountResponse>;
}

/**
 * The node's path for one query: verify, rate-limit, execute, spend budget,
 * protect, (hold), sign, audit. Nothing is executed before the token verifies,
 * and every outcome, refused ones included, is written to the audit log.
 */
export function createCountPipeline(c: CountPipelineComponents): CountPipeline {
  const now = c.now ?? (() => new Date());

  function budgetStatus(claims: QueryClaims): BudgetStatus | undefined {
    const { budget } = c.policy;
    if (!budget) return undefined;
    const status = c.budget.remaining({ researcher: claims.researcher, project: claims.project }, budget, now());
    return { spent: status.spent, remaining: status.remaining, total: budget.epsilon, periodEndsAt: status.periodEndsAt };
  }

  async function release(claims: QueryClaims, epoch: number): Promise<{ total: ReleasedFigure; strata: Stratum[]; outcome: string }> {
    const { policy } = c;
    const existingHold = policy.release === 'hold' ? c.holds.find(claims.query_hash, epoch, claims.researcher) : undefined;
    if (existingHold) {
      if (existingHold.status === 'released') return { ...existingHold.released, outcome: 'released-by-steward' };
      if (existingHold.status === 'declined') {
        throw new BiospecError('PERMISSION_DENIED', `the steward declined this question: ${existingHold.reason ?? 'no reason given'}`);
      }
      return { total: heldFigure(policy), strata: [], outcome: 'held' };
    }

    const raw = c.catalogue.count(claims.query);
    if (policy.budget) {
      const cost = epsilonPerQuery(policy, raw.strata.length);
      if (cost > 0) {
        c.budget.charge(
          { researcher: claims.researcher, project: claims.project, queryHash: claims.query_hash, epoch, epsilon: cost, now: now() },
          policy.budget,
        );
      }
    }
    const released = protectResult(raw, policy, { secret: c.noiseSecret, queryHash: claims.query_hash, epoch });
    if (policy.release === 'hold') {
      c.holds.hold({
        queryHash: claims.query_hash,
        epoch,
        researcher: claims.researcher,
        project: claims.project,
        purpose: claims.purpose,
        canonicalQuery: canonicalJson(claims.query),
        released,
      });
      return { total: heldFigure(policy), strata: [], outcome: 'held' };
    }
    return { ...released, outcome: 'answered' };
  }

  return {
    async answer(signedQuery) {
      let claims: QueryClaims | undefined;
      try {
        const at = now();
        claims = await verifyQuery(signedQuery, {
          keys: await c.coordinatorKeys(),
          audience: c.nodeId,
          replay: c.replay,
          now: () => at.getTime(),
        });
        c.rateLimiter.take(claims.researcher, at.getTime());
        const epoch = c.catalogue.epoch();
        const { total, strata, outcome } = await release(claims, epoch);
        const result: NodeResult = {
          nodeId: c.nodeId,
          queryHash: claims.query_hash,
          unit: claims.query.unit,
          total,
          strata,
          dataEpoch: epoch,
          answeredAt: now().toISOString(),
          queryId: claims.jti,
          budget: budgetStatus(claims),
        };
        const signedResult = await signResult(result, c.signingKey);
        await c.audit.record({
          kind: 'query',
          actor: claims.researcher,
          subject: claims.query_hash,
          outcome,
          detail: { jti: claims.jti, project: claims.project, purpose: claims.purpose, released: total.display, epoch },
        });
        c.logger.info({ queryHash: claims.query_hash, outcome, released: total.display }, 'query answered');
        return { signedResult, result };
      } catch (reason) {
        const err = BiospecError.from(reason);
        await c.audit.record({
          kind: 'query',
          actor: claims?.researcher ?? 'unknown',
          subject: claims?.query_hash ?? 'unverified',
          outcome: 'rejected',
          detail: { code: err.code, reason: err.message, issues: err.issues.map((i) => i.message) },
        });
        c.logger.warn({ code: err.code, reason: err.message }, 'query rejected');
        throw err;
      }
    },
  };
}
