/**
 * The node's availability answers, beside its counts and through the same steps
 * (question-steps.ts):
 *
 * - an availability question: verify (question "availability") → rate limit → plan over the
 *   published collection domain (2ε under the default policy, from the question and the
 *   list alone) → charge → (hold) → count available specimens per (collection × material),
 *   per-donor caps across all cells → fold undescribed collections into their cell → protect
 *   every cell (noise keyed apart from counts) → sign → audit;
 * - a granted availability question: verify (question "granted-availability") → rate limit
 *   → the revocation list it came with (never older than one seen; a newer one is kept) →
 *   the grant (signature, expiry, audience, researcher, request, question, not revoked) →
 *   the researcher's key is the one the grant names → list the matching available specimens
 *   of the granted collections → sign, encrypt to the researcher → audit the grant's use.
 */
import {
  availabilityCollectionDomain,
  availabilityDomains,
  availabilityKeyHash,
  availabilityQuestion,
  checkGrant,
  checkRevocationStamp,
  encryptionKeyThumbprint,
  foldIntoDomain,
  MAX_GRANTED_SPECIMENS,
  parseEncryptionKey,
  sealGrantedDetail,
  verifyRevocationList,
  type AvailabilityQuestion,
  type GrantedSpecimen,
  type NodeAccessState,
} from '@biospec/access';
import { BiospecError, type AvailabilityResponse, type GrantedAvailabilityRequest, type GrantedAvailabilityResponse, type NodeResult } from '@biospec/protocol';
import { planQuestion, protectAnswer, type TrueCount } from '@biospec/privacy';
import type { QueryClaims } from '@biospec/trust';
import { canonicalJson } from '@biospec/query';
import { createQuestionSteps, requestIdOf, type AnswerContext, type QuestionStepsComponents } from './question-steps.js';

/** What availability answers count on. */
export interface AvailabilitySource {
  /**
   * The data epoch a question asked now would be answered at.
   * @throws BiospecError WARMING_UP when nothing can answer quickly yet.
   */
  servingEpoch(): number;
  /**
   * True counts of specimens matching the question, stratified by raw collection id and
   * material type, with the per-donor caps applied across all cells, and their epoch.
   */
  countAvailable(question: AvailabilityQuestion): Promise<TrueCount & { epoch: number }>;
  /** The matching specimens of `collections`, in sample id order, at most `limit`. */
  listAvailable(question: AvailabilityQuestion, collections: readonly string[], limit: number): Promise<{ epoch: number; specimens: GrantedSpecimen[] }>;
}

export interface AvailabilityPipelineComponents extends QuestionStepsComponents {
  availability: AvailabilitySource;
  /** The published collection list and the newest revocation list seen. */
  accessState: NodeAccessState;
}

export interface AvailabilityPipeline {
  answer(signedQuery: string, context?: AnswerContext): Promise<AvailabilityResponse>;
  granted(request: GrantedAvailabilityRequest, context?: AnswerContext): Promise<GrantedAvailabilityResponse>;
  /** Keeps a signed revocation list when it is newer than the one seen; returns the version now held. */
  pushRevocations(token: string): Promise<number>;
}

export function createAvailabilityPipeline(c: AvailabilityPipelineComponents): AvailabilityPipeline {
  const steps = createQuestionSteps(c);

  /** Keeps a newer list (atomically: an older one never replaces it) and audits that it was seen. */
  async function keep(newer: { version: number; token: string; revoked: string[] }, via: string): Promise<number> {
    const before = c.accessState.revocations().version;
    const now = c.accessState.acceptRevocations(newer.version, newer.revoked, newer.token);
    if (now.version > before) {
      await c.audit.record({ kind: 'revocations', actor: 'coordinator', subject: `v${now.version}`, outcome: 'kept', detail: { via, revoked: now.revoked.length, previous: before } });
      c.logger.info({ version: now.version, revoked: now.revoked.length, via }, 'revocation list kept');
    }
    return now.version;
  }

  return {
    async answer(signedQuery, context = {}) {
      let claims: QueryClaims | undefined;
      try {
        claims = await steps.verify(signedQuery, 'availability', context);
        const asked = claims;
        await c.rateLimiter.take(asked.researcher, steps.now().getTime());
        const question = availabilityQuestion(asked.query);
        const published = c.accessState.published();
        const domain = availabilityCollectionDomain(published.collections);
        const domains = availabilityDomains(domain);
        const plan = planQuestion(question, c.policy, domains);
        const keyHash = availabilityKeyHash(asked.query_hash);
        // The published list fixes the cells, so a new list is new noise and a new charge, as a new software domain would be.
        const generation = `${steps.generation};collections:${published.digest}`;
        const servingEpoch = c.availability.servingEpoch();
        steps.assertStillWanted(context);
        const { release: released, epoch, charged } = await steps.release({
          claims: asked,
          keyHash,
          generation,
          plan,
          servingEpoch,
          count: async () => foldIntoDomain(await c.availability.countAvailable(question), domain),
          protect: (raw: TrueCount, at: number) => protectAnswer(raw, question, plan, c.policy, { secret: c.noiseSecret, queryHash: keyHash, epoch: at, generation }, domains),
          canonicalQuestion: JSON.stringify({ availability: JSON.parse(canonicalJson(asked.query)), collections: published.digest }),
        });
        const result: NodeResult = {
          nodeId: c.nodeId,
          queryHash: asked.query_hash,
          unit: question.unit,
          total: released.total,
          strata: released.strata,
          dataEpoch: epoch,
          answeredAt: steps.now().toISOString(),
          queryId: asked.jti,
          budget: steps.budgetStatus(asked.researcher, steps.now()),
          cost: plan.cost,
          charged,
          question: 'availability',
          collectionsDigest: published.digest,
        };
        const signedResult = await steps.sign(result);
        await c.audit.record({
          kind: 'availability',
          actor: asked.researcher,
          subject: asked.query_hash,
          outcome: released.outcome,
          detail: { jti: asked.jti, ...requestIdOf(asked), project: asked.project, purpose: asked.purpose, released: released.total.display, epoch, charged, collections: published.digest },
        });
        steps.answered(released.outcome);
        c.logger.info({ ...requestIdOf(asked), queryHash: asked.query_hash, outcome: released.outcome, released: released.total.display }, 'availability answered');
        return { signedResult, collectionsJson: JSON.stringify(published.collections) };
      } catch (reason) {
        throw await steps.refused(claims, reason, 'availability');
      }
    },

    async granted(request, context = {}) {
      let claims: QueryClaims | undefined;
      try {
        claims = await steps.verify(request.signedQuery, 'granted-availability', context);
        const asked = claims;
        await c.rateLimiter.take(asked.researcher, steps.now().getTime());
        const keys = await c.coordinatorKeys();
        const stamp = await checkRevocationStamp(asked, request.revocationList, keys, c.accessState.revocations());
        // Kept before the grant is checked: a list that revokes this very grant must stay in force.
        if (stamp.newer !== undefined) await keep(stamp.newer, 'granted question');
        const grant = await checkGrant({ grant: request.grant, claims: asked, keys, nodeId: c.nodeId, revoked: stamp.revoked, now: () => steps.now().getTime() });
        let recipient: Record<string, unknown>;
        try {
          recipient = JSON.parse(request.recipientJwkJson) as Record<string, unknown>;
        } catch {
          throw new BiospecError('INVALID_ARGUMENT', 'recipient key is not JSON', { issues: [{ field: 'recipient_jwk_json', message: 'not JSON' }] });
        }
        const jkt = await encryptionKeyThumbprint(parseEncryptionKey(recipient, 'recipient_jwk_json'));
        if (jkt !== grant.biospec_grant.jkt) throw new BiospecError('PERMISSION_DENIED', 'the encryption key is not the one the grant names');
        steps.assertStillWanted(context);
        const question = availabilityQuestion(asked.query);
        const listed = await c.availability.listAvailable(question, grant.biospec_grant.collections, MAX_GRANTED_SPECIMENS + 1);
        const truncated = listed.specimens.length > MAX_GRANTED_SPECIMENS;
        const specimens = listed.specimens.slice(0, MAX_GRANTED_SPECIMENS);
        const encryptedAnswer = await sealGrantedDetail(
          {
            node_id: c.nodeId,
            request: grant.biospec_grant.request,
            query_hash: asked.query_hash,
            query_id: asked.jti,
            grant_id: grant.jti,
            data_epoch: listed.epoch,
            answered_at: steps.now().toISOString(),
            recipient: jkt,
            truncated,
            specimens,
          },
          c.signingKey,
          recipient,
        );
        await c.audit.record({
          kind: 'grant-use',
          actor: asked.researcher,
          subject: grant.biospec_grant.request,
          outcome: 'answered',
          detail: { grant: grant.jti, jti: asked.jti, ...requestIdOf(asked), queryHash: asked.query_hash, specimens: specimens.length, truncated, epoch: listed.epoch, recipient: jkt },
        });
        steps.answered('answered');
        c.logger.info({ ...requestIdOf(asked), request: grant.biospec_grant.request, grant: grant.jti, specimens: specimens.length }, 'granted availability answered');
        return { encryptedAnswer };
      } catch (reason) {
        throw await steps.refused(claims, reason, 'grant-use');
      }
    },

    async pushRevocations(token) {
      const list = await verifyRevocationList(token, await c.coordinatorKeys());
      const seen = c.accessState.revocations();
      if (list.version <= seen.version) return seen.version;
      return keep({ version: list.version, token, revoked: [...new Set([...seen.revoked, ...list.revoked])] }, 'push');
    },
  };
}
