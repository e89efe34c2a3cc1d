import { icd10Chapter } from './vocab/icd10.js';

/** Age bands used to stratify results; each band's label is its key value. */
export const AGE_BANDS = ['0-17', '18-29', '30-39', '40-49', '50-59', '60-69', '70-79', '80+'] as const;

export function ageBand(age: number | null): string {
  if (age === null) return 'unknown';
  if (age < 18) return '0-17';
  if (age < 30) return '18-29';
  if (age >= 80) return '80+';
  const low = Math.floor(age / 10) * 10;
  return `${low}-${low + 9}`;
}

/** The ICD-10 chapter of the primary (first) diagnosis; `none` when there is none. */
export function diagnosisChapter(diagnosis: readonly string[]): string {
  const primary = diagnosis[0];
  if (primary === undefined) return 'none';
  return icd10Chapter(primary) ?? 'unknown';
}
