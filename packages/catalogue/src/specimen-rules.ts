/**
 * The rules a specimen record must satisfy before the catalogue stores it, as
 * small checks returning a precise message (or null when the value is fine).
 * Shared by the CSV parser and the import boundary, so both say the same thing.
 */
import {
  MATERIAL_TYPES,
  SEXES,
  STATUSES,
  STORAGE_TEMPERATURES,
  duoTerm,
  isIcd10Code,
  type SpecimenRecord,
} from '@biospec/query/model';
import { partialDateSpan } from './partial-date.js';

/** A problem with one field of one record (the importer adds the line or reference). */
export interface FieldIssue {
  field?: string;
  message: string;
}

export const MAX_AGE = 150;

/** ICD-O-3 topography: `C50` or `C50.4` (the normalised ICD-10 form, chapter C, one decimal). */
const TOPOGRAPHY = /^C[0-9]{2}(\.[0-9])?$/;

const MATERIALS = new Set<string>(MATERIAL_TYPES);
const SEX_SET = new Set<string>(SEXES);
const TEMPERATURES = new Set<string>(STORAGE_TEMPERATURES);
const STATUS_SET = new Set<string>(STATUSES);

/** `'value'`, shortened so one absurd cell cannot flood an error report. */
export function quote(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return `'${shown}'`;
}

function oneOf(set: ReadonlySet<string>, list: readonly string[], what: string) {
  return (value: string): string | null =>
    set.has(value) ? null : `unknown ${what} ${quote(value)}; allowed: ${list.join(', ')}`;
}

export const checkMaterialType = oneOf(MATERIALS, MATERIAL_TYPES, 'material type');
export const checkSex = oneOf(SEX_SET, SEXES, 'sex');
export const checkStorageTemperature = oneOf(TEMPERATURES, STORAGE_TEMPERATURES, 'storage temperature');
export const checkStatus = oneOf(STATUS_SET, STATUSES, 'status');

export function checkRequiredId(value: string, field: string): string | null {
  return value === '' ? `${field} is empty` : null;
}

export function checkCollectedOn(value: string): string | null {
  const span = partialDateSpan(value);
  return 'error' in span ? `impossible or malformed date ${quote(value)}: ${span.error}` : null;
}

/** For an already normalised code (the form records hold). */
export function checkDiagnosisCode(code: string): string | null {
  return isIcd10Code(code) ? null : `diagnosis code ${quote(code)} is not an ICD-10 code (expected e.g. C50 or C50.9)`;
}

export function checkAnatomicalSite(code: string): string | null {
  return TOPOGRAPHY.test(code)
    ? null
    : `anatomical site ${quote(code)} is not an ICD-O-3 topography code (expected C00 to C80 with one decimal, e.g. C50.4)`;
}

export function checkConsentCode(code: string): string | null {
  return duoTerm(code) !== undefined
    ? null
    : `consent code ${quote(code)} is not a known DUO term (expected e.g. DUO:0000042 for general research use)`;
}

export function checkAge(age: number): string | null {
  if (!Number.isInteger(age)) return `age_at_collection ${age} is not a whole number of years`;
  return age < 0 || age > MAX_AGE ? `age_at_collection ${age} is outside 0..${MAX_AGE}` : null;
}

export function checkQuantity(quantity: number): string | null {
  if (!Number.isFinite(quantity)) return `quantity ${quantity} is not a number`;
  return quantity < 0 ? `quantity ${quantity} is negative; it counts aliquots or amount left` : null;
}

export function checkParent(parent: string, sampleId: string): string | null {
  if (parent === '') return 'parent_sample_id is empty (a specimen without parent has none)';
  return parent === sampleId ? `parent_sample_id equals the sample's own sample_id ${quote(sampleId)}` : null;
}

/**
 * Every problem in a record handed to the import boundary by any source.
 * Records must already be normalised (ICD-10 codes dotted and uppercase).
 */
export function checkRecord(record: SpecimenRecord): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const add = (field: string, message: string | null): void => {
    if (message !== null) issues.push({ field, message });
  };
  if (typeof record !== 'object' || record === null) return [{ message: 'not a specimen record' }];
  for (const field of ['sample_id', 'donor_id', 'collection_id'] as const) {
    const value = record[field];
    add(field, typeof value === 'string' ? checkRequiredId(value, field) : `${field} must be text`);
  }
  add('material_type', checkMaterialType(String(record.material_type)));
  add('sex', checkSex(String(record.sex)));
  add('storage_temperature', checkStorageTemperature(String(record.storage_temperature)));
  add('status', checkStatus(String(record.status)));
  if (record.collected_on !== null) add('collected_on', checkCollectedOn(String(record.collected_on)));
  if (!Array.isArray(record.diagnosis)) add('diagnosis', 'diagnosis must be a list of ICD-10 codes');
  else for (const code of record.diagnosis) add('diagnosis', checkDiagnosisCode(String(code)));
  if (record.anatomical_site !== null) add('anatomical_site', checkAnatomicalSite(String(record.anatomical_site)));
  if (record.age_at_collection !== null) add('age_at_collection', checkAge(Number(record.age_at_collection)));
  if (!Array.isArray(record.consent)) add('consent', 'consent must be a list of DUO codes');
  else for (const code of record.consent) add('consent', checkConsentCode(String(code)));
  add('quantity', typeof record.quantity === 'number' ? checkQuantity(record.quantity) : 'quantity must be a number');
  if (record.parent_sample_id !== null) {
    add('parent_sample_id', checkParent(String(record.parent_sample_id), record.sample_id));
  }
  return issues;
}
