import { BiospecError, DisclosureKind, type Disclosure, type ReleasedFigure, type Stratum } from '@biospec/protocol';
import { canonicalJson, strataCellIndex, strataCells, type StrataDomains, type StrataQuestion } from '@biospec/query';
import type { FigurePlan, QuestionPlan } from './accounting.js';
import { decimalToRational, sampleDiscreteGaussian, sampleDiscreteLaplace, type BitSource } from './discrete-noise.js';
import { questionBitSources, questionNoiseKey } from './noise.js';
import type { DisclosurePolicy } from './policy.js';

/** A query's true counts before protection: the total and the count of any cells that are not 0. */
export interface TrueCount {
  total: number;
  strata: { key: Record<string, string>; count: number }[];
}

/** What binds noise to one question at one node. */
export interface ProtectionContext {
  secret: string | Uint8Array;
  queryHash: string;
  epoch: number;
  /** The node's noise generation (`noiseGeneration`). */
  generation: string;
}

/** A protected result, ready to be signed and sent. */
export interface ProtectedResult {
  total: ReleasedFigure;
  /** Every cell of the stratification, in the fixed order of `strataCells`; empty without stratify. */
  strata: Stratum[];
}

/**
 * Protects every figure of one answer. Its shape is fixed by the question:
 * a stratified answer holds every cell of the product of the stratify
 * dimensions' public domains (`strataCells`), a true 0 released as any other
 * count would be, so which cells exist says nothing about the data.
 *
 * With noise, each figure is the true count plus noise drawn first (discrete
 * Laplace of the plan's scale, or SHRINE's clamped discrete Gaussian); the
 * floor at 0, rounding, binning and the threshold then only ever see the
 * noisy value (post-processing, so they cost no privacy). Noise comes from
 * the question's keyed stream (secret, query hash, epoch, generation), figure
 * 0 being the total and figure i the i-th cell: the same question on the same
 * data always gets the same figures. `domains` supplies the collection domain of an
 * availability answer (the node's published list, and one cell for the rest).
 *
 * Without noise (mechanism `none`), the threshold and rounding apply to true
 * counts, and complementary suppression keeps the total from giving away the
 * suppressed cells: no formal guarantee, as the policy says.
 * @throws BiospecError INTERNAL when a true count is not a non-negative integer or names a cell outside the domains.
 */
export function protectAnswer(
  raw: TrueCount,
  query: StrataQuestion,
  plan: QuestionPlan,
  policy: DisclosurePolicy,
  context: ProtectionContext,
  domains?: StrataDomains,
): ProtectedResult {
  const dimensions = query.stratify ?? [];
  const keys = strataCells(dimensions, domains);
  const counts = new Array<number>(keys.length).fill(0);
  for (const stratum of raw.strata) {
    const index = strataCellIndex(dimensions, stratum.key, domains);
    if (index < 0) throw new BiospecError('INTERNAL', `a count names a cell outside the strata domains: ${JSON.stringify(stratum.key)}`);
    counts[index] = stratum.count;
  }
  for (const n of [raw.total, ...counts]) {
    if (!Number.isSafeInteger(n) || n < 0) throw new BiospecError('INTERNAL', `a true count must be a non-negative integer, got ${n}`);
  }

  if (policy.noise.mechanism === 'none') return suppressWithoutNoise(raw.total, keys, counts, plan, policy);

  const sources = questionBitSources(questionNoiseKey(context.secret, context), 1 + keys.length);
  const total = noisyFigure(raw.total, plan.total, policy, sources(0));
  const cellPlan = plan.cells ?? plan.total;
  const strata = keys.map((key, i) => ({ key, figure: noisyFigure(counts[i] as number, cellPlan, policy, sources(1 + i)) }));
  return { total, strata };
}

/**
 * The placeholder figure sent while the node's steward has not yet released an
 * answer held under `release: 'hold'`.
 */
export function heldFigure(policy: DisclosurePolicy, plan: FigurePlan): ReleasedFigure {
  return { value: undefined, disclosure: disclosureOf(policy, plan, DisclosureKind.DISCLOSURE_KIND_HELD), display: 'held for review' };
}

function noisyFigure(trueCount: number, plan: FigurePlan, policy: DisclosurePolicy, source: BitSource): ReleasedFigure {
  const { noise, rounding } = policy;
  let noisy: number;
  if (noise.mechanism === 'laplace') {
    noisy = roundToStep(Math.max(0, trueCount + sampleDiscreteLaplace(plan.scale as NonNullable<FigurePlan['scale']>, source)), rounding);
  } else if (noise.mechanism === 'shrine') {
    const sigma = decimalToRational(noise.sigma, 'noise.sigma');
    const gaussian = sampleDiscreteGaussian({ num: sigma.num * sigma.num, den: sigma.den * sigma.den }, source);
    const binned = roundToStep(Math.max(0, trueCount + Math.min(noise.clamp, Math.max(-noise.clamp, gaussian))), noise.bin);
    noisy = rounding > 1 ? roundToStep(binned, rounding) : binned;
  } else {
    throw new BiospecError('INTERNAL', 'noisyFigure needs a noise mechanism');
  }
  if (noisy < policy.threshold) return belowThreshold(policy, plan);
  return { value: noisy, disclosure: disclosureOf(policy, plan, DisclosureKind.DISCLOSURE_KIND_NOISY), display: `about ${noisy} (${noisyLabel(policy)})` };
}

/**
 * Threshold and rounding on true counts (mechanism `none`). Released cells are
 * exact or merely rounded, so total − (released cells) would reveal the sum of
 * the suppressed ones: the smallest released cells are suppressed too until
 * the suppressed cells hold at least `threshold` units, and the total is
 * suppressed when no released cell is left to add. When the total is
 * suppressed, every cell is.
 */
function suppressWithoutNoise(
  trueTotal: number,
  keys: Record<string, string>[],
  counts: number[],
  plan: QuestionPlan,
  policy: DisclosurePolicy,
): ProtectedResult {
  const cellPlan = plan.cells ?? plan.total;
  let total = plainFigure(trueTotal, plan.total, policy);
  const cells = keys.map((key, i) => {
    const count = counts[i] as number;
    return { key, id: canonicalJson(key), count, figure: plainFigure(count, cellPlan, policy) };
  });
  if (isSuppressed(total)) {
    for (const cell of cells) cell.figure = belowThreshold(policy, cellPlan);
  } else {
    const candidates = cells
      .filter((c) => !isSuppressed(c.figure))
      .sort((a, b) => a.count - b.count || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let suppressedSum = cells.filter((c) => isSuppressed(c.figure)).reduce((sum, c) => sum + c.count, 0);
    const anySuppressed = candidates.length < cells.length;
    while (anySuppressed && suppressedSum < policy.threshold) {
      const next = candidates.shift();
      if (next === undefined) {
        total = belowThreshold(policy, plan.total);
        break;
      }
      next.figure = belowThreshold(policy, cellPlan);
      suppressedSum += next.count;
    }
  }
  return { total, strata: cells.map((c) => ({ key: c.key, figure: c.figure })) };
}

function plainFigure(trueCount: number, plan: FigurePlan, policy: DisclosurePolicy): ReleasedFigure {
  if (trueCount < policy.threshold) return belowThreshold(policy, plan);
  if (policy.rounding === 1) {
    return { value: trueCount, disclosure: disclosureOf(policy, plan, DisclosureKind.DISCLOSURE_KIND_EXACT), display: `${trueCount}` };
  }
  const value = roundToStep(trueCount, policy.rounding);
  if (value < policy.threshold) return belowThreshold(policy, plan);
  return {
    value,
    disclosure: disclosureOf(policy, plan, DisclosureKind.DISCLOSURE_KIND_ROUNDED),
    display: `about ${value} (rounded to ${policy.rounding})`,
  };
}

function isSuppressed(released: ReleasedFigure): boolean {
  return released.disclosure?.kind === DisclosureKind.DISCLOSURE_KIND_BELOW_THRESHOLD;
}

function belowThreshold(policy: DisclosurePolicy, plan: FigurePlan): ReleasedFigure {
  return {
    value: undefined,
    disclosure: disclosureOf(policy, plan, DisclosureKind.DISCLOSURE_KIND_BELOW_THRESHOLD),
    display: `<${policy.threshold}`,
  };
}

function disclosureOf(policy: DisclosurePolicy, plan: FigurePlan, kind: DisclosureKind): Disclosure {
  const { noise } = policy;
  return {
    kind,
    threshold: policy.threshold,
    rounding: releasedStep(policy),
    mechanism: noise.mechanism,
    epsilon: noise.mechanism === 'laplace' ? noise.epsilon : 0,
    sigma: noise.mechanism === 'shrine' ? noise.sigma : 0,
    clamp: noise.mechanism === 'shrine' ? noise.clamp : 0,
    sensitivity: plan.sensitivity,
    noiseScale: plan.scale === null ? (noise.mechanism === 'shrine' ? noise.sigma : 0) : plan.scale.num / plan.scale.den,
  };
}

/** The step every released value is a multiple of. */
function releasedStep(policy: DisclosurePolicy): number {
  if (policy.noise.mechanism === 'shrine' && policy.rounding === 1) return policy.noise.bin;
  return policy.rounding;
}

function noisyLabel(policy: DisclosurePolicy): string {
  const { noise, rounding } = policy;
  const parts = ['noisy'];
  if (noise.mechanism === 'laplace') parts.push(`Laplace ε=${noise.epsilon}`);
  if (noise.mechanism === 'shrine') parts.push(`SHRINE σ=${noise.sigma} clamped ±${noise.clamp}`, `binned to ${noise.bin}`);
  if (rounding > 1) parts.push(`rounded to ${rounding}`);
  return parts.join(', ');
}

/** Nearest multiple of `step`, halves rounded up; never −0. */
function roundToStep(value: number, step: number): number {
  return Math.round(value / step) * step + 0;
}
