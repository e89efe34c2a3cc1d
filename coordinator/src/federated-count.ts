import type { Logger } from 'pino';
import {
  BiospecError,
  DisclosureKind,
  FederatedCountResponse,
  SiteStatus,
  type NodeResult,
  type SiteResult,
} from '@biospec/protocol';
import { canonicalJson, canonicalise, isUseCategory, parseQuery, queryHash, strataCells, USE_CATEGORIES, type Query } from '@biospec/query';
import type { RateLimiter } from '@biospec/privacy';
import type { Person } from '@biospec/registry';
import { signQueryForEach, verifyResult, type SignedQuery, type SignQueryInput, type SigningKey } from '@biospec/trust';
import { fanOut, mergeFigures, mergeStrata, type SiteFailure } from '@biospec/federation';
import type { Member } from './members.js';
import { researcherPseudonym } from './pseudonym.js';

/** A researcher's federated question, as it arrives over gRPC or REST. */
export interface FederatedCountInput {
  query: unknown;
  purpose: string;
  project: string;
  deadlineMs?: number;
  /** The researcher's call (REST or gRPC) this question came in; carried in every signed query. */
  requestId?: string;
}

export interface FederatedCountComponents {
  coordinatorId: string;
  signingKey: SigningKey;
  members: () => readonly Member[];
  pseudonymSecret: Uint8Array;
  rateLimiter: RateLimiter;
  defaultDeadlineMs: number;
  queryLifetimeSeconds: number;
  logger: Logger;
  onSiteAnswered?: (nodeId: string, status: SiteStatus, latencyMs: number) => void;
}

const MAX_DEADLINE_MS = 120_000;

/**
 * Checks what every federated question carries besides its query: a DUO use category as
 * purpose and a project.
 * @throws BiospecError INVALID_ARGUMENT naming the field.
 */
export function checkPurposeAndProject(input: { purpose: string; project: string }): void {
  if (!isUseCategory(input.purpose)) {
    throw new BiospecError('INVALID_ARGUMENT', `purpose must be one of ${USE_CATEGORIES.join(', ')}`, {
      issues: [{ field: 'purpose', message: `unknown research purpose '${input.purpose}'` }],
    });
  }
  if (!input.project.trim()) {
    throw new BiospecError('INVALID_ARGUMENT', 'project is required', { issues: [{ field: 'project', message: 'empty' }] });
  }
}

/** The absolute deadline of a federated question: the caller's, or the default, never more than two minutes. */
export function deadlineOf(started: number, deadlineMs: number | undefined, defaultDeadlineMs: number): Date {
  return new Date(started + Math.min(deadlineMs && deadlineMs > 0 ? deadlineMs : defaultDeadlineMs, MAX_DEADLINE_MS));
}

/**
 * Members whose queries are signed in one go. The first ones are asked while the rest are still
 * being signed, and no signing run holds the event loop for long: a thousand members at once
 * would be 60 ms of Ed25519 on an idle core, in one block, before any node could start.
 */
const SIGNING_CHUNK = 32;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One signed query per audience, in chunks of {@link SIGNING_CHUNK}, each after a turn of the event
 * loop. The first chunk is signed before this resolves, so a question the signer refuses fails as a
 * whole, at once, as it would unchunked; later chunks sign the same claims for other audiences.
 */
async function signInChunks(input: Omit<SignQueryInput, 'audience'>, audiences: readonly string[], key: SigningKey): Promise<Map<string, Promise<SignedQuery>>> {
  const tokens = new Map<string, Promise<SignedQuery>>();
  let previous: Promise<unknown> = Promise.resolve();
  for (let from = 0; from < audiences.length; from += SIGNING_CHUNK) {
    const chunk = audiences.slice(from, from + SIGNING_CHUNK);
    const signed = from === 0 ? Promise.resolve(await signQueryForEach(input, chunk, key)) : previous.then(nextTurn).then(() => signQueryForEach(input, chunk, key));
    chunk.forEach((audience, i) => tokens.set(audience, signed.then((all) => all[i]!)));
    // Each member's promise carries a failure to its own site; the chain only orders the chunks.
    previous = signed.then(
      () => undefined,
      () => undefined,
    );
  }
  return tokens;
}

/** A stratified answer can be large; this matches the gRPC limit on what a node may send. */
const MAX_ANSWER_BYTES = 1024 * 1024;


/** Refusals that ask the researcher to wait: their own rate limit, or their privacy budget. */
const LIMIT_REASONS: ReadonlySet<string> = new Set(['RATE_LIMITED', 'BUDGET_EXHAUSTED']);

/**
 * When every site refused the question for the researcher's rate limit or privacy budget,
 * the question as a whole is refused the same way (HTTP 429 with `Retry-After`, gRPC
 * RESOURCE_EXHAUSTED with the `retry-after-ms` trailer) rather than answered with no figure:
 * RATE_LIMITED if any site said so, BUDGET_EXHAUSTED otherwise, and the earliest moment any
 * site said it may answer again. Any other site outcome (an answer, a timeout, another
 * refusal) keeps the per-site answer.
 */
export function refuseWhenEveryoneLimited(outcomes: readonly { ok: boolean; site: { id: string }; failure?: SiteFailure }[]): void {
  const failures = outcomes.map((o) => (o.ok ? undefined : o.failure));
  if (failures.length === 0 || !failures.every((f) => f?.reason !== undefined && LIMIT_REASONS.has(f.reason))) return;
  const code = failures.some((f) => f?.reason === 'RATE_LIMITED') ? 'RATE_LIMITED' : 'BUDGET_EXHAUSTED';
  const hints = failures.flatMap((f) => (f?.retryAfterMs === undefined ? [] : [f.retryAfterMs]));
  const why = outcomes.map((o, i) => `${o.site.id}: ${failures[i]?.message ?? ''}`).join('; ');
  throw new BiospecError(code, `every site refused the question (${why})`, hints.length > 0 ? { retryAfterMs: Math.min(...hints) } : {});
}

/**
 * The coordinator's path for one question: authenticate (done by the caller),
 * validate and canonicalise, rate-limit, sign one token per site, fan out with
 * a deadline, verify every signed answer, merge. No specimen row ever passes here.
 */
export function createFederatedCount(c: FederatedCountComponents) {
  /**
   * Nodes see a stable pseudonym of the person, never a login: one per
   * researcher record, whatever identity provider or project the question
   * comes with, so every node keeps one budget per person.
   */
  const pseudonymOf = (person: Person) => researcherPseudonym(c.pseudonymSecret, person);

  async function askSite(member: Member, deadline: Date, signed: SignedQuery & { hash: string }): Promise<{ result: NodeResult; signedResult: string }> {
    const signedResult = await member.counts.count(signed.token, deadline);
    try {
      const result = await verifyResult(signedResult, member.keys, {
        expectedNodeId: member.id,
        expectedQueryHash: signed.hash,
        maxTokenBytes: MAX_ANSWER_BYTES,
      });
      if (result.queryId !== signed.jti) throw new Error(`answers query ${result.queryId}, not ${signed.jti}`);
      return { result, signedResult };
    } catch (cause) {
      throw Object.assign(new Error(`answer does not verify: ${(cause as Error).message}`), { cause });
    }
  }

  return async function federatedCount(person: Person, input: FederatedCountInput): Promise<FederatedCountResponse> {
    const started = Date.now();
    const query: Query = canonicalise(parseQuery(input.query));
    checkPurposeAndProject(input);
    const researcher = pseudonymOf(person);
    await c.rateLimiter.take(researcher);
    const hash = queryHash(query);
    const deadline = deadlineOf(started, input.deadlineMs, c.defaultDeadlineMs);
    const members = c.members();

    const tokenFor = await signInChunks(
      {
        query,
        purpose: input.purpose,
        researcher,
        project: input.project,
        issuer: c.coordinatorId,
        lifetimeSeconds: c.queryLifetimeSeconds,
        ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
      },
      members.map((m) => m.id),
      c.signingKey,
    );
    const outcomes = await fanOut(members, (member, siteDeadline) => tokenFor.get(member.id)!.then((signed) => askSite(member, siteDeadline, { ...signed, hash })), { deadline });

    const sites: SiteResult[] = outcomes.map((o) => {
      const base = { nodeId: o.site.id, nodeName: o.site.name, latencyMs: Math.round(o.latencyMs) };
      if (!o.ok) {
        c.onSiteAnswered?.(o.site.id, o.failure.status, o.latencyMs);
        const { status, message, retryAfterMs = 0 } = o.failure;
        return { ...base, status, message, strata: [], signedResult: '', dataEpoch: 0, retryAfterMs, cost: 0, charged: 0 };
      }
      const { result, signedResult } = o.value;
      const held = result.total?.disclosure?.kind === DisclosureKind.DISCLOSURE_KIND_HELD;
      const status = held ? SiteStatus.SITE_STATUS_HELD : SiteStatus.SITE_STATUS_OK;
      c.onSiteAnswered?.(o.site.id, status, o.latencyMs);
      return {
        ...base,
        status,
        message: held ? 'held for steward review' : '',
        ...(result.total ? { total: result.total } : {}),
        strata: result.strata,
        signedResult,
        dataEpoch: result.dataEpoch,
        ...(result.budget ? { budget: result.budget } : {}),
        cost: result.cost,
        charged: result.charged,
        retryAfterMs: 0,
      };
    });

    refuseWhenEveryoneLimited(outcomes);
    const answered = sites.filter((s) => s.status === SiteStatus.SITE_STATUS_OK);
    const response: FederatedCountResponse = {
      queryHash: hash,
      canonicalQueryJson: canonicalJson(query),
      unit: query.unit,
      total: mergeFigures(answered.flatMap((s) => (s.total ? [s.total] : []))),
      sites,
      strata: mergeStrata(strataCells(query.stratify ?? []), answered.map((s) => s.strata)),
      elapsedMs: Date.now() - started,
    };
    c.logger.info(
      { requestId: input.requestId, queryHash: hash, researcher, sites: sites.map((s) => `${s.nodeId}:${s.status}`), elapsedMs: response.elapsedMs },
      'federated count',
    );
    return response;
  };
}

export type FederatedCount = ReturnType<typeof createFederatedCount>;
