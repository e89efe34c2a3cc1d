import { BiospecError, DisclosureKind, type Disclosure, type ReleasedFigure, type Stratum } from '@biospec/protocol';
import { clampedGaussianNoise, laplaceNoise, noiseSeed } from './noise.js';
import type { DisclosurePolicy, NoiseMechanism } from './policy.js';

/** A query's true counts before protection: the total and one count per stratum cell. */
export interface TrueCount {
  total: number;
  strata: { key: Record<string, string>; count: number }[];
}

/** What binds noise to one question at one node: the node secret, the query and the data epoch. */
export interface ProtectionContext {
  secret: string | Uint8Array;
  queryHash: string;
  epoch: number;
}

/** A protected result, ready to be signed and sent. */
export interface ProtectedResult {
  total: ReleasedFigure;
  strata: Stratum[];
}

/** The noise cell of a result's total; stratum cells are JSON arrays, so they never collide with it. */
export const TOTAL_CELL = 'total';

/** Canonical string of a stratum key: its entries sorted by dimension name, as JSON. */
export function canonicalCellKey(key: Record<string, string>): string {
  return JSON.stringify(Object.entries(key).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Protects one true count under a policy.
 *
 * A count below the threshold is released as "<threshold" with no value. That
 * includes a true 0 whenever the threshold is above 0: "nobody here has X" is
 * itself a disclosure, and showing 0 apart from 1–9 would tell them apart.
 * With threshold 0 every count passes the threshold. After noise and rounding,
 * a figure that lands below the threshold is also released as "<threshold", so
 * no released value is ever below it (nor negative).
 *
 * - none: rounded to the nearest multiple of `rounding`; exact when rounding is 1.
 * - laplace: true + Laplace(1/ε), then rounded.
 * - shrine: binned to `bin`, plus a Gaussian clamped to ±clamp, binned again,
 *   then rounded when `rounding` > 1.
 *
 * Noise is drawn from HMAC(secret, query hash, epoch, cell, noise parameters):
 * the same question on the same data always gets the same figure.
 * @throws BiospecError INVALID_ARGUMENT when the count is not a non-negative integer.
 */
export function protectCount(
  trueCount: number,
  policy: DisclosurePolicy,
  context: ProtectionContext & { cell?: string },
): ReleasedFigure {
  if (!Number.isSafeInteger(trueCount) || trueCount < 0) {
    throw new BiospecError('INVALID_ARGUMENT', `a true count must be a non-negative integer, got ${trueCount}`);
  }
  if (trueCount < policy.threshold) return belowThreshold(policy);

  const { noise, rounding } = policy;
  if (noise.mechanism === 'none') {
    if (rounding === 1) return figure(trueCount, policy, DisclosureKind.DISCLOSURE_KIND_EXACT, `${trueCount}`);
    const value = roundToStep(trueCount, rounding);
    if (value < policy.threshold) return belowThreshold(policy);
    return figure(value, policy, DisclosureKind.DISCLOSURE_KIND_ROUNDED, `about ${value} (rounded to ${rounding})`);
  }

  const seed = noiseSeed(context.secret, {
    queryHash: context.queryHash,
    epoch: context.epoch,
    cell: context.cell ?? TOTAL_CELL,
    mechanism: noiseFingerprint(noise),
  });
  let noisy: number;
  if (noise.mechanism === 'laplace') {
    noisy = roundToStep(trueCount + laplaceNoise(seed, 1 / noise.epsilon), rounding);
  } else {
    const binned = roundToStep(trueCount, noise.bin);
    noisy = roundToStep(binned + clampedGaussianNoise(seed, noise.sigma, noise.clamp), noise.bin);
    if (rounding > 1) noisy = roundToStep(noisy, rounding);
  }
  const value = Math.max(0, noisy);
  if (value < policy.threshold) return belowThreshold(policy);
  return figure(value, policy, DisclosureKind.DISCLOSURE_KIND_NOISY, `about ${value} (${noisyLabel(policy)})`);
}

/**
 * Protects a whole result: the total and every stratum cell, each on its own
 * with its own noise draw (cell = {@link canonicalCellKey}).
 *
 * Strata must not undo the threshold by differencing. When the total is
 * suppressed, every cell is. Without noise, released cells are exact or merely
 * rounded, so total − (released cells) reveals the sum of the suppressed cells;
 * complementary suppression therefore also suppresses the smallest released
 * cells until the suppressed cells together hold at least `threshold` units
 * (so with one small suppressed cell, the next-smallest one joins it). If no
 * released cell is left to add, the total is suppressed too. With noise, each
 * figure carries its own independent draw, so differencing only yields a
 * noisier estimate and no extra cell is suppressed.
 *
 * This guards one result. Differencing across different questions is what
 * noise, the budget and the rate limits are for.
 */
export function protectResult(raw: TrueCount, policy: DisclosurePolicy, context: ProtectionContext): ProtectedResult {
  let total = protectCount(raw.total, policy, { ...context, cell: TOTAL_CELL });
  const cells = raw.strata.map((stratum) => {
    const cell = canonicalCellKey(stratum.key);
    return { key: { ...stratum.key }, cell, count: stratum.count, figure: protectCount(stratum.count, policy, { ...context, cell }) };
  });

  if (isSuppressed(total)) {
    for (const c of cells) c.figure = belowThreshold(policy);
  } else if (policy.noise.mechanism === 'none') {
    const candidates = cells
      .filter((c) => !isSuppressed(c.figure))
      .sort((a, b) => a.count - b.count || (a.cell < b.cell ? -1 : a.cell > b.cell ? 1 : 0));
    let suppressedSum = cells.filter((c) => isSuppressed(c.figure)).reduce((sum, c) => sum + c.count, 0);
    const anySuppressed = candidates.length < cells.length;
    while (anySuppressed && suppressedSum < policy.threshold) {
      const next = candidates.shift();
      if (next === undefined) {
        total = belowThreshold(policy);
        break;
      }
      next.figure = belowThreshold(policy);
      suppressedSum += next.count;
    }
  }

  return { total, strata: cells.map((c) => ({ key: c.key, figure: c.figure })) };
}

/**
 * The placeholder figure sent while the node's steward has not yet released an
 * answer held under `release: 'hold'`.
 */
export function heldFigure(policy: DisclosurePolicy): ReleasedFigure {
  return { value: undefined, disclosure: disclosureOf(policy, DisclosureKind.DISCLOSURE_KIND_HELD), display: 'held for review' };
}

function isSuppressed(released: ReleasedFigure): boolean {
  return released.disclosure?.kind === DisclosureKind.DISCLOSURE_KIND_BELOW_THRESHOLD;
}

function belowThreshold(policy: DisclosurePolicy): ReleasedFigure {
  return {
    value: undefined,
    disclosure: disclosureOf(policy, DisclosureKind.DISCLOSURE_KIND_BELOW_THRESHOLD),
    display: `<${policy.threshold}`,
  };
}

function figure(value: number, policy: DisclosurePolicy, kind: DisclosureKind, display: string): ReleasedFigure {
  return { value, disclosure: disclosureOf(policy, kind), display };
}

function disclosureOf(policy: DisclosurePolicy, kind: DisclosureKind): Disclosure {
  const { noise } = policy;
  return {
    kind,
    threshold: policy.threshold,
    rounding: releasedStep(policy),
    mechanism: noise.mechanism,
    epsilon: noise.mechanism === 'laplace' ? noise.epsilon : 0,
    sigma: noise.mechanism === 'shrine' ? noise.sigma : 0,
    clamp: noise.mechanism === 'shrine' ? noise.clamp : 0,
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

function noiseFingerprint(noise: NoiseMechanism): string {
  switch (noise.mechanism) {
    case 'none':
      return 'none';
    case 'laplace':
      return `laplace:${noise.epsilon}`;
    case 'shrine':
      return `shrine:${noise.bin}:${noise.sigma}:${noise.clamp}`;
  }
}

/** Nearest multiple of `step`, halves rounded up; never −0. */
function roundToStep(value: number, step: number): number {
  return Math.round(value / step) * step + 0;
}
