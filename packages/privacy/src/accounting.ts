/**
 * What a question costs and how much noise each of its figures gets, computed
 * from the question and the policy alone, before anything is counted. Nothing
 * here may read the data: the charge a researcher sees must not depend on it.
 */
import { createHash, createHmac } from 'node:crypto';
import { DIMENSION_DOMAINS, strataCellCount, type StrataDomains, type StrataQuestion } from '@biospec/query';
import { decimalToRational, type Rational } from './discrete-noise.js';
import type { DisclosurePolicy } from './policy.js';

/** How one figure of an answer is protected. */
export interface FigurePlan {
  /** The most one donor can change this figure (1 for donors, the cap for specimens and aliquots). */
  sensitivity: number;
  /** Noise scale of the discrete Laplace (Δ/ε), or null without Laplace noise. */
  scale: Rational | null;
}

/** How a question is protected and what it costs. */
export interface QuestionPlan {
  total: FigurePlan;
  /** Applies to every strata cell; absent without stratify. */
  cells?: FigurePlan;
  /** Cells of the answer (0 without stratify). */
  cellCount: number;
  /**
   * ε one person is charged for a new question: ε for the total, plus for
   * strata the L1 bound of one donor over all cells divided by the cell scale
   * (ε for specimens and aliquots, min(donorCells, cells) × ε for donors).
   * 0 without Laplace noise. A repeat in the same epoch is free (the ledger decides).
   */
  cost: number;
}

/**
 * Plans the protection of `query` (canonical) under `policy`. `domains` supplies the
 * collection domain of an availability question (the node's published list); the cost
 * does not depend on it for specimens (one donor's pairs over all cells are capped).
 */
export function planQuestion(query: StrataQuestion, policy: DisclosurePolicy, domains?: StrataDomains): QuestionPlan {
  const dimensions = query.stratify ?? [];
  const cellCount = dimensions.length === 0 ? 0 : strataCellCount(dimensions, domains);
  const caps = policy.contributionCaps;
  const figureSensitivity = query.unit === 'donors' || caps === null ? 1 : caps[query.unit];
  if (policy.noise.mechanism !== 'laplace') {
    const plain: FigurePlan = { sensitivity: figureSensitivity, scale: null };
    return { total: plain, ...(cellCount > 0 ? { cells: plain } : {}), cellCount, cost: 0 };
  }
  const epsilon = decimalToRational(policy.noise.epsilon, 'noise.epsilon');
  const figure: FigurePlan = { sensitivity: figureSensitivity, scale: { num: figureSensitivity * epsilon.den, den: epsilon.num } };
  // One donor's (unit, cell) pairs over all cells are at most the cell cap; each moves a cell by 1.
  const cellMultiplier = cellCount === 0 ? 0 : query.unit === 'donors' ? Math.min(caps?.donorCells ?? cellCount, cellCount) : 1;
  return {
    total: figure,
    ...(cellCount > 0 ? { cells: figure } : {}),
    cellCount,
    cost: ((1 + cellMultiplier) * epsilon.num) / epsilon.den,
  };
}

const SAMPLER = 'cks20-discrete/aes256ctr-64/v1';
const STRATA_DOMAINS_ID = createHash('sha256').update(JSON.stringify(DIMENSION_DOMAINS)).digest('hex').slice(0, 16);

/**
 * The noise generation of a node: its noise secret (by a fingerprint, never
 * the secret), mechanism and parameters, caps, the strata domains and the
 * sampler. Noise is keyed by it, and the ledger treats a question as a free
 * repeat only under the same generation, so changing ε, the caps, the secret
 * or upgrading to other domains never hands out a fresh draw for free.
 */
export function noiseGeneration(policy: DisclosurePolicy, secret: string | Uint8Array): string {
  const secretId = createHmac('sha256', typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret)
    .update('biospec/noise-secret-id')
    .digest('hex')
    .slice(0, 16);
  const { noise } = policy;
  const mechanism =
    noise.mechanism === 'laplace'
      ? `laplace:${noise.epsilon}`
      : noise.mechanism === 'shrine'
        ? `shrine:${noise.bin}:${noise.sigma}:${noise.clamp}`
        : 'none';
  const caps = policy.contributionCaps === null ? 'uncapped' : `${policy.contributionCaps.specimens},${policy.contributionCaps.aliquots},${policy.contributionCaps.donorCells}`;
  return `${mechanism};caps:${caps};strata:${STRATA_DOMAINS_ID};sampler:${SAMPLER};secret:${secretId}`;
}
