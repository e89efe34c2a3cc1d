/**
 * The coarse catalogue summary a node publishes without any signed question
 * (Describe, the directory descriptor): how many donors, and which material
 * types it holds in quantity. Like every other figure it depends on the data
 * only through noise, so one donor's arrival or withdrawal cannot be read
 * from it.
 */
import { DisclosureKind, type ReleasedFigure } from '@biospec/protocol';
import { MATERIAL_TYPES } from '@biospec/query';
import { sampleDiscreteLaplace } from './discrete-noise.js';
import { questionBitSources, questionNoiseKey } from './noise.js';
import type { TrueCount } from './protect.js';

/** ε one donor spends, per data epoch, on each figure of the summary. */
export const SUMMARY_EPSILON = 0.01;
/** Donors are shown to the nearest hundred. */
export const SUMMARY_STEP = 100;
/**
 * A material type is listed as held from this many donors (after noise) on:
 * 3 noise scales, so a type with no donor at all is listed about 2.5 % of the time.
 */
export const SUMMARY_MATERIAL_MINIMUM = 300;
// Noise scale 1/ε = 100 donors, as a rational for the sampler.
const SCALE = { num: 100, den: 1 };

/** The true counts the summary is made from: donors, total and per material type (donors unit). */
export interface SummaryCounts {
  donors: number;
  byMaterial: TrueCount['strata'];
}

export interface CatalogueSummaryRelease {
  donors: ReleasedFigure;
  /** Material types whose noisy donor count reaches {@link SUMMARY_MATERIAL_MINIMUM}, in the fixed material order. */
  materialTypes: string[];
}

/**
 * Protects the summary of one data epoch: discrete Laplace noise of scale 100
 * (ε = 0.01 per figure for one donor), rounded to 100. Keyed by the node
 * secret and the epoch, so asking again gives the same figures; a new epoch
 * is a new release, which composes: a node with N epochs a year spends up
 * to N × 0.01 × (1 + donor cells) per donor through its summary.
 */
export function protectCatalogueSummary(counts: SummaryCounts, context: { secret: string | Uint8Array; epoch: number }): CatalogueSummaryRelease {
  const key = questionNoiseKey(context.secret, { queryHash: 'catalogue-summary', epoch: context.epoch, generation: 'summary/v1' });
  const sources = questionBitSources(key, 1 + MATERIAL_TYPES.length);
  const noisy = (count: number, index: number) => {
    const value = Math.max(0, count + sampleDiscreteLaplace(SCALE, sources(index)));
    return Math.round(value / SUMMARY_STEP) * SUMMARY_STEP;
  };
  const donors = noisy(counts.donors, 0);
  const byMaterial = new Map(counts.byMaterial.map((s) => [s.key['material_type'], s.count]));
  const materialTypes = MATERIAL_TYPES.filter((material, i) => noisy(byMaterial.get(material) ?? 0, 1 + i) >= SUMMARY_MATERIAL_MINIMUM);
  return {
    donors: {
      value: donors,
      disclosure: {
        kind: DisclosureKind.DISCLOSURE_KIND_NOISY,
        threshold: 0,
        rounding: SUMMARY_STEP,
        mechanism: 'laplace',
        epsilon: SUMMARY_EPSILON,
        sigma: 0,
        clamp: 0,
        sensitivity: 1,
        noiseScale: SCALE.num,
      },
      display: `about ${donors} donors (noisy, Laplace ε=${SUMMARY_EPSILON}, rounded to ${SUMMARY_STEP})`,
    },
    materialTypes: [...materialTypes],
  };
}
