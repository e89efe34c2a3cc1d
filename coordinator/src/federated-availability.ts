/**
 * The coordinator's path for an availability question, beside the count's: canonicalise,
 * rate-limit, sign one token per site with question "availability", fan out with a
 * deadline, verify every signed answer (node, query hash, question id, the published list
 * it names), and lay each site's cells out per published collection. Like counts, nothing
 * here sees a specimen: only protected figures and the nodes' public collection lists.
 */
import type { Logger } from 'pino';
import {
  BiospecError,
  DisclosureKind,
  SiteStatus,
  NodeServiceService,
  type CollectionAvailability,
  type FederatedAvailabilityResponse,
  type NodeResult,
  type SiteAvailability,
} from '@biospec/protocol';
import { canonicalJson, canonicalise, parseQuery, queryHash, type Query } from '@biospec/query';
import type { RateLimiter } from '@biospec/privacy';
import { availabilityQuestion, collectionsDigest, parseCollections, UNDESCRIBED_COLLECTION, type CollectionDescription } from '@biospec/access';
import { signQueryForEach, verifyResult, type SigningKey } from '@biospec/trust';
import { fanOut, mergeFigures } from '@biospec/federation';
import { checkPurposeAndProject, deadlineOf, type FederatedCountInput } from './federated-count.js';
import type { Member } from './members.js';

export interface FederatedAvailabilityComponents {
  coordinatorId: string;
  signingKey: SigningKey;
  members: () => readonly Member[];
  rateLimiter: RateLimiter;
  defaultDeadlineMs: number;
  queryLifetimeSeconds: number;
  logger: Logger;
}

/** An availability answer may list up to 1,515 cells: as large as a count answer may be. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** A node's answer, checked: its signed result and the published list its cells follow. */
interface CheckedAnswer {
  result: NodeResult;
  signedResult: string;
  collections: CollectionDescription[];
}

export function createFederatedAvailability(c: FederatedAvailabilityComponents) {
  async function askSite(member: Member, deadline: Date, token: string, jti: string, hash: string): Promise<CheckedAnswer> {
    const answer = await member.call(NodeServiceService.availability, { signedQuery: token }, deadline);
    try {
      const result = await verifyResult(answer.signedResult, member.keys, { expectedNodeId: member.id, expectedQueryHash: hash, maxTokenBytes: MAX_ANSWER_BYTES });
      if (result.queryId !== jti) throw new Error(`answers query ${result.queryId}, not ${jti}`);
      if (result.question !== 'availability') throw new Error(`answers a ${result.question || 'count'} question, not an availability one`);
      const collections = parseCollections(JSON.parse(answer.collectionsJson) as unknown[]);
      if (collectionsDigest(collections) !== result.collectionsDigest) throw new Error('the collection list sent is not the one the answer names');
      return { result, signedResult: answer.signedResult, collections };
    } catch (cause) {
      throw Object.assign(new Error(`answer does not verify: ${(cause as Error).message}`), { cause });
    }
  }

  /** One site's cells, grouped per published collection (then the undescribed cell), with what the node says about each. */
  function collectionsOf(answer: CheckedAnswer): CollectionAvailability[] {
    const byCollection = new Map<string, NodeResult['strata']>();
    for (const stratum of answer.result.strata) {
      const id = stratum.key.collection_id ?? '';
      byCollection.set(id, [...(byCollection.get(id) ?? []), stratum]);
    }
    const described = new Map(answer.collections.map((d) => [d.id, d]));
    return [...byCollection.entries()].map(([id, materials]) => {
      const d = described.get(id);
      return {
        collectionId: id,
        name: d?.name ?? (id === UNDESCRIBED_COLLECTION ? 'specimens in collections the node has not described' : ''),
        description: d?.description ?? '',
        contactName: d?.contact.name ?? '',
        contactEmail: d?.contact.email ?? '',
        accessConditions: d?.accessConditions ?? '',
        materials,
        total: mergeFigures(materials.flatMap((m) => (m.figure ? [m.figure] : []))),
      };
    });
  }

  return async function federatedAvailability(researcher: string, input: FederatedCountInput): Promise<FederatedAvailabilityResponse> {
    const started = Date.now();
    const query: Query = canonicalise(parseQuery(input.query));
    availabilityQuestion(query);
    checkPurposeAndProject(input);
    await c.rateLimiter.take(researcher);
    const hash = queryHash(query);
    const deadline = deadlineOf(started, input.deadlineMs, c.defaultDeadlineMs);
    const members = c.members();
    const tokens = await signQueryForEach(
      {
        query,
        purpose: input.purpose,
        researcher,
        project: input.project,
        issuer: c.coordinatorId,
        lifetimeSeconds: c.queryLifetimeSeconds,
        question: 'availability',
        ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
      },
      members.map((m) => m.id),
      c.signingKey,
    );
    const tokenFor = new Map(tokens.map((t) => [t.audience, t]));
    const outcomes = await fanOut(
      members,
      (member, siteDeadline) => {
        const signed = tokenFor.get(member.id);
        if (signed === undefined) throw new BiospecError('INTERNAL', `no token signed for ${member.id}`);
        return askSite(member, siteDeadline, signed.token, signed.jti, hash);
      },
      { deadline },
    );
    const sites: SiteAvailability[] = outcomes.map((o) => {
      const base = { nodeId: o.site.id, nodeName: o.site.name, latencyMs: Math.round(o.latencyMs) };
      if (!o.ok) {
        return { ...base, status: o.failure.status, message: o.failure.message, signedResult: '', collections: [], collectionsDigest: '', dataEpoch: 0, cost: 0, charged: 0, retryAfterMs: o.failure.retryAfterMs ?? 0 };
      }
      const { result, signedResult } = o.value;
      const held = result.total?.disclosure?.kind === DisclosureKind.DISCLOSURE_KIND_HELD;
      return {
        ...base,
        status: held ? SiteStatus.SITE_STATUS_HELD : SiteStatus.SITE_STATUS_OK,
        message: held ? 'held for steward review' : '',
        signedResult,
        ...(result.total ? { total: result.total } : {}),
        collections: held ? [] : collectionsOf(o.value),
        collectionsDigest: result.collectionsDigest,
        dataEpoch: result.dataEpoch,
        ...(result.budget ? { budget: result.budget } : {}),
        cost: result.cost,
        charged: result.charged,
        retryAfterMs: 0,
      };
    });
    const answered = sites.filter((s) => s.status === SiteStatus.SITE_STATUS_OK);
    const response: FederatedAvailabilityResponse = {
      queryHash: hash,
      canonicalQueryJson: canonicalJson(query),
      sites,
      total: mergeFigures(answered.flatMap((s) => (s.total ? [s.total] : []))),
      elapsedMs: Date.now() - started,
    };
    c.logger.info({ requestId: input.requestId, queryHash: hash, researcher, sites: sites.map((s) => `${s.nodeId}:${s.status}`), elapsedMs: response.elapsedMs }, 'federated availability');
    return response;
  };
}

export type FederatedAvailability = ReturnType<typeof createFederatedAvailability>;
