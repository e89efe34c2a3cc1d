import type { Dimension } from './ast.js';
import { ICD10_CHAPTERS } from './vocab/icd10.js';
import { MATERIAL_TYPES, SEXES, STORAGE_TEMPERATURES } from './specimen.js';

/** Age bands used to stratify results; each band's label is its key value. */
export const AGE_BANDS = ['0-17', '18-29', '30-39', '40-49', '50-59', '60-69', '70-79', '80+'] as const;

/**
 * The fixed, public set of values each stratify dimension can take: every
 * value `ageBand`, `diagnosisChapter` (strata.ts) and the record fields can
 * produce. A stratified answer lists every cell of the product of these
 * domains, so which cells an answer holds depends on the question alone,
 * never on the data (docs/PRIVACY.md).
 */
export const DIMENSION_DOMAINS: Readonly<Record<Dimension, readonly string[]>> = Object.freeze({
  material_type: MATERIAL_TYPES,
  sex: SEXES,
  age_band: [...AGE_BANDS, 'unknown'],
  diagnosis_chapter: [...ICD10_CHAPTERS.map((c) => c.chapter), 'none', 'unknown'],
  storage_temperature: STORAGE_TEMPERATURES,
});
