import { duoTerm, normaliseIcd10 as normalise } from '@biospec/query/model';
import { memoized } from './memo.js';
import type { CodeableConcept, Coding, LocatedIssue } from './fhir-model.js';
import { EXTENSIONS, ICD10_SYSTEMS, SYSTEMS } from './systems.js';

/** ICD-10 codes normalised (`c509` → `C50.9`), remembered. */
const normaliseIcd10 = memoized(normalise);

/** `'39065001' (http://snomed.info/sct)`: how a coding is named in messages. */
export function describeCoding(coding: Coding): string {
  return `'${coding.code ?? ''}'${coding.system ? ` (${coding.system})` : ''}`;
}

/**
 * The ICD-10 codes of a CodeableConcept, normalised (`c509` → `C50.9`). Codings
 * in other systems are alternatives and ignored while one ICD-10 coding is
 * present. A concept with none is a warning (no diagnosis question can match
 * it, so dropping it changes no count); a malformed ICD-10 code is an issue.
 */
export function icd10Codes(concept: CodeableConcept, path: string): { codes: string[]; issues: LocatedIssue[]; warning?: LocatedIssue } {
  const codes: string[] = [];
  const issues: LocatedIssue[] = [];
  const codings = concept.coding ?? [];
  let sawIcd10 = false;
  codings.forEach((coding, i) => {
    if (!coding.system || !ICD10_SYSTEMS.has(coding.system)) return;
    sawIcd10 = true;
    const code = coding.code === undefined ? null : normaliseIcd10(coding.code);
    if (code === null) issues.push({ field: `${path}.coding[${i}].code`, message: `${describeCoding(coding)} is not a valid ICD-10 code` });
    else if (!codes.includes(code)) codes.push(code);
  });
  if (!sawIcd10) {
    const first = codings[0];
    const warning = first
      ? { field: `${path}.coding[0].code`, message: `${describeCoding(first)} is not an ICD-10 code (expected a coding in ${[...ICD10_SYSTEMS].join(', ')}): dropped` }
      : { field: path, message: 'no ICD-10 coding: dropped' };
    return { codes, issues, warning };
  }
  return { codes, issues };
}

/** True for a CodeableConcept that says, with a data-absent-reason extension, that its value is deliberately empty. */
export function isDataAbsent(concept: CodeableConcept): boolean {
  return (concept.coding ?? []).length === 0 && (concept.extension ?? []).some((e) => e.url === EXTENSIONS.dataAbsentReason);
}

const DUO_CODE = /^DUO[:_](\d{7})$/;

/** `DUO:0000042` for a DUO coding (by system, or by a `DUO:`/`DUO_`-shaped code); null for a coding of another system. */
export function duoCode(coding: Coding): string | null {
  const match = coding.code === undefined ? null : DUO_CODE.exec(coding.code.trim());
  if (match) return `DUO:${match[1]}`;
  return coding.system === SYSTEMS.duo ? (coding.code ?? '') : null;
}

/** Checks a DUO code against the vocabulary; returns an issue for one we do not know. */
export function checkDuo(code: string, coding: Coding, field: string): LocatedIssue | null {
  return duoTerm(code) ? null : { field, message: `${describeCoding(coding)} is not a known DUO code` };
}
