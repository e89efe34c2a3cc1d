/**
 * CSV cells → validated, encoded rows ({@link EncodedBatch}) or the precise
 * list of what is wrong with a row. The header is checked once; each cell's
 * verdict is cached by its text (a catalogue has few distinct dates, codes
 * and quantities), so a typical row costs a few map lookups.
 */
import { BiospecError, type Issue } from '@biospec/protocol/core';
import {
  MATERIAL_TYPES,
  SEXES,
  SPECIMEN_FIELDS,
  STATUSES,
  STORAGE_TEMPERATURES,
  normaliseIcd10,
  type SpecimenRecord,
} from '@biospec/query/model';
import type { ColumnMapping } from './column-mapping.js';
import { NONE, SLOT, SLOTS, emptyGrowth, type DictionaryGrowth, type EncodedBatch } from './encoded-batch.js';
import { partialDateSpan, toIsoDate, type DateFormat } from './partial-date.js';
import {
  checkAge,
  checkAnatomicalSite,
  checkCollectedOn,
  checkConsentCode,
  checkMaterialType,
  checkParent,
  checkQuantity,
  checkRequiredId,
  checkSex,
  checkStatus,
  checkStorageTemperature,
  quote,
  type FieldIssue,
} from './specimen-rules.js';

type Field = (typeof SPECIMEN_FIELDS)[number];

/** Columns that must be present; their cells may still be empty. */
export const OPTIONAL_FIELDS = [
  'anatomical_site',
  'parent_sample_id',
  'collected_on',
  'age_at_collection',
  'diagnosis',
  'consent',
] as const satisfies readonly Field[];
export const REQUIRED_FIELDS = SPECIMEN_FIELDS.filter((f) => !(OPTIONAL_FIELDS as readonly string[]).includes(f));

/** Cached verdicts per distinct cell text stop growing here, so odd files cannot exhaust memory. */
const CACHE_LIMIT = 50_000;

type Verdict<T> = { value: T } | { issues: FieldIssue[] };

export interface RowEncoder {
  readonly columnCount: number;
  /** Encodes `cells` (one record, `line` it starts on) as the batch's next row. */
  add(cells: readonly string[], line: number): void;
  /** The rows added since the last take, with the dictionary entries they introduced. */
  take(): EncodedBatch;
  readonly pending: number;
}

/** Checks the header (one error listing every problem, at line 1) and builds the encoder for the rows under it. */
export function createRowEncoder(header: readonly string[], mapping: ColumnMapping | undefined): RowEncoder {
  const columnOf = checkHeader(header, mapping);
  const columnCount = header.length;
  const separator = mapping?.multiValueSeparator ?? ';';
  const dateFormat: DateFormat = mapping?.dateFormat ?? 'YYYY-MM-DD';
  const translations = new Map<string, ReadonlyMap<string, string>>(
    Object.entries(mapping?.values ?? {}).map(([field, table]) => [field, new Map(Object.entries(table ?? {}))]),
  );
  const translate = (field: Field, value: string): string => translations.get(field)?.get(value) ?? value;
  const at = (field: Field): number => columnOf.get(field) ?? -1;
  const [iSample, iDonor, iCollection, iMaterial, iDate, iDiagnosis, iSite, iSex, iAge, iTemperature, iConsent, iStatus, iQuantity, iParent] =
    SPECIMEN_FIELDS.map(at) as [number, number, number, number, number, number, number, number, number, number, number, number, number, number];
  const translating = translations.size > 0;
  const cell = (cells: readonly string[], i: number, field: Field): string => {
    const value = i < 0 ? '' : (cells[i] as string).trim();
    return translating ? translate(field, value) : value;
  };
  const list = (raw: string, field: Field): string[] => {
    if (raw === '') return [];
    const items: string[] = [];
    for (const part of raw.split(separator)) {
      const item = part.trim();
      if (item !== '') items.push(translating ? translate(field, item) : item);
    }
    return items;
  };

  const enumIndex = (values: readonly string[]) => new Map(values.map((v, i) => [v, i]));
  const materials = enumIndex(MATERIAL_TYPES);
  const sexes = enumIndex(SEXES);
  const temperatures = enumIndex(STORAGE_TEMPERATURES);
  const statuses = enumIndex(STATUSES);

  // Dictionaries: value → id given in first-appearance order; `grown` collects the entries new since the last take.
  let grown: DictionaryGrowth = emptyGrowth();
  const collections = new Map<string, number>();
  const sites = new Map<string, Verdict<number>>();
  const siteIds = new Map<string, number>();
  const consents = new Map<string, Verdict<number>>();
  const consentIds = new Map<string, number>();
  const diagnoses = new Map<string, Verdict<number>>();
  const diagnosisIds = new Map<string, number>();
  const dates = new Map<string, Verdict<[number, number]>>();
  const ages = new Map<string, Verdict<number>>();
  const quantities = new Map<string, Verdict<number>>();
  let consentCount = 0;
  let diagnosisCount = 0;

  const cached = <T>(cache: Map<string, Verdict<T>>, key: string, compute: (key: string) => Verdict<T>): Verdict<T> => {
    let verdict = cache.get(key);
    if (verdict === undefined) {
      verdict = compute(key);
      if (cache.size < CACHE_LIMIT) cache.set(key, verdict);
    }
    return verdict;
  };
  const collectionId = (name: string): number => {
    let id = collections.get(name);
    if (id === undefined) {
      id = collections.size;
      collections.set(name, id);
      grown.collection.push(name);
    }
    return id;
  };
  const siteVerdict = (text: string): Verdict<number> => {
    const site = normaliseIcd10(text) ?? text;
    const problem = checkAnatomicalSite(site);
    if (problem !== null) return { issues: [{ field: 'anatomical_site', message: problem }] };
    let id = siteIds.get(site);
    if (id === undefined) {
      id = siteIds.size;
      siteIds.set(site, id);
      grown.site.push(site);
    }
    return { value: id };
  };
  const consentVerdict = (raw: string): Verdict<number> => {
    const issues: FieldIssue[] = [];
    const consent: string[] = [];
    for (const code of list(raw, 'consent')) {
      const problem = checkConsentCode(code);
      if (problem !== null) issues.push({ field: 'consent', message: problem });
      if (!consent.includes(code)) consent.push(code);
    }
    if (issues.length > 0) return { issues };
    const key = consent.join(';');
    let id = consentIds.get(key);
    if (id === undefined) {
      id = consentCount++;
      consentIds.set(key, id);
      grown.consent.push(consent);
    }
    return { value: id };
  };
  const diagnosisVerdict = (raw: string): Verdict<number> => {
    const issues: FieldIssue[] = [];
    const diagnosis: string[] = [];
    for (const item of list(raw, 'diagnosis')) {
      const code = normaliseIcd10(item);
      if (code === null) issues.push({ field: 'diagnosis', message: `diagnosis code ${quote(item)} is not an ICD-10 code (expected e.g. C50 or C50.9)` });
      else if (!diagnosis.includes(code)) diagnosis.push(code);
    }
    if (issues.length > 0) return { issues };
    const key = diagnosis.join(';');
    let id = diagnosisIds.get(key);
    if (id === undefined) {
      id = diagnosisCount++;
      diagnosisIds.set(key, id);
      grown.diagnosis.push(diagnosis);
    }
    return { value: id };
  };
  const dateVerdict = (text: string): Verdict<[number, number]> => {
    const iso = toIsoDate(text, dateFormat);
    if (iso === null) return { issues: [{ field: 'collected_on', message: `date ${quote(text)} does not match the date format ${dateFormat}` }] };
    const problem = checkCollectedOn(iso);
    if (problem !== null) {
      return { issues: [{ field: 'collected_on', message: iso === text ? problem : `${problem} (written ${quote(text)})` }] };
    }
    const span = partialDateSpan(iso) as { first: string; last: string };
    return { value: [Number(span.first.replaceAll('-', '')), Number(span.last.replaceAll('-', ''))] };
  };
  const ageVerdict = (text: string): Verdict<number> => {
    if (!INTEGER.test(text) && !DECIMAL.test(text)) {
      return { issues: [{ field: 'age_at_collection', message: `age_at_collection ${quote(text)} is not a number; expected whole years 0..150` }] };
    }
    const age = Number(text);
    const problem = checkAge(age);
    return problem === null ? { value: age } : { issues: [{ field: 'age_at_collection', message: problem }] };
  };
  const quantityVerdict = (text: string): Verdict<number> => {
    if (text === '') return { issues: [{ field: 'quantity', message: 'quantity is empty; expected the aliquots or amount left (0 or more)' }] };
    if (!DECIMAL.test(text)) return { issues: [{ field: 'quantity', message: `quantity ${quote(text)} is not a number; expected 0 or more` }] };
    const quantity = Number(text);
    const problem = checkQuantity(quantity);
    return problem === null ? { value: quantity } : { issues: [{ field: 'quantity', message: problem }] };
  };

  let capacity = 4096;
  let ints = new Int32Array(capacity * SLOTS);
  let quantity = new Float64Array(capacity);
  let sampleIds: string[] = [];
  let donorIds: string[] = [];
  let parentIds: (string | null)[] = [];
  let rejected: EncodedBatch['rejected'] = [];
  let rows = 0;

  const grow = (): void => {
    capacity *= 2;
    const moreInts = new Int32Array(capacity * SLOTS);
    moreInts.set(ints);
    ints = moreInts;
    const moreQuantity = new Float64Array(capacity);
    moreQuantity.set(quantity);
    quantity = moreQuantity;
  };

  const add = (cells: readonly string[], line: number): void => {
    if (rows === capacity) grow();
    const base = rows * SLOTS;
    const row = rows++;
    ints[base + SLOT.line] = line;
    if (cells.length !== columnCount) {
      ints[base + SLOT.collection] = NONE;
      sampleIds.push('');
      donorIds.push('');
      parentIds.push(null);
      rejected.push({ row, issues: [{ message: `expected ${columnCount} cells as in the header, found ${cells.length}` }] });
      return;
    }
    let issues: FieldIssue[] | undefined;
    const problem = (field: Field, message: string | null): void => {
      if (message !== null) (issues ??= []).push({ field, message });
    };
    const verdict = <T>(v: Verdict<T>): T | undefined => {
      if ('issues' in v) {
        (issues ??= []).push(...v.issues);
        return undefined;
      }
      return v.value;
    };

    const sampleId = cell(cells, iSample, 'sample_id');
    const donorId = cell(cells, iDonor, 'donor_id');
    const collection = cell(cells, iCollection, 'collection_id');
    if (sampleId === '') problem('sample_id', checkRequiredId(sampleId, 'sample_id'));
    if (donorId === '') problem('donor_id', checkRequiredId(donorId, 'donor_id'));
    if (collection === '') problem('collection_id', checkRequiredId(collection, 'collection_id'));
    const materialText = cell(cells, iMaterial, 'material_type');
    const material = materials.get(materialText);
    if (material === undefined) problem('material_type', checkMaterialType(materialText));
    const sexText = cell(cells, iSex, 'sex');
    const sex = sexes.get(sexText);
    if (sex === undefined) problem('sex', checkSex(sexText));
    const temperatureText = cell(cells, iTemperature, 'storage_temperature');
    const temperature = temperatures.get(temperatureText);
    if (temperature === undefined) problem('storage_temperature', checkStorageTemperature(temperatureText));
    const statusText = cell(cells, iStatus, 'status');
    const status = statuses.get(statusText);
    if (status === undefined) problem('status', checkStatus(statusText));

    const dateText = cell(cells, iDate, 'collected_on');
    const span = dateText === '' ? null : verdict(cached(dates, dateText, dateVerdict));
    const diagnosisRaw = iDiagnosis < 0 ? '' : (cells[iDiagnosis] as string);
    const diagnosis = verdict(cached(diagnoses, diagnosisRaw, diagnosisVerdict));
    const siteText = cell(cells, iSite, 'anatomical_site');
    const site = siteText === '' ? NONE : verdict(cached(sites, siteText, siteVerdict));
    const consentRaw = iConsent < 0 ? '' : (cells[iConsent] as string);
    const consent = verdict(cached(consents, consentRaw, consentVerdict));
    const ageText = cell(cells, iAge, 'age_at_collection');
    const age = ageText === '' ? NONE : verdict(cached(ages, ageText, ageVerdict));
    const amount = verdict(cached(quantities, cell(cells, iQuantity, 'quantity'), quantityVerdict));
    const parentText = cell(cells, iParent, 'parent_sample_id');
    if (parentText !== '' && parentText === sampleId) problem('parent_sample_id', checkParent(parentText, sampleId));

    if (issues !== undefined) {
      ints[base + SLOT.collection] = NONE;
      sampleIds.push('');
      donorIds.push('');
      parentIds.push(null);
      rejected.push({ row, issues });
      return;
    }
    ints[base + SLOT.collection] = collectionId(collection);
    ints[base + SLOT.material] = material as number;
    ints[base + SLOT.start] = span === null ? NONE : (span as [number, number])[0];
    ints[base + SLOT.end] = span === null ? NONE : (span as [number, number])[1];
    ints[base + SLOT.diagnosis] = diagnosis as number;
    ints[base + SLOT.site] = site as number;
    ints[base + SLOT.sex] = sex as number;
    ints[base + SLOT.age] = age as number;
    ints[base + SLOT.temperature] = temperature as number;
    ints[base + SLOT.consent] = consent as number;
    ints[base + SLOT.status] = status as number;
    quantity[row] = amount as number;
    sampleIds.push(sampleId);
    donorIds.push(donorId);
    parentIds.push(parentText === '' ? null : parentText);
  };

  return {
    columnCount,
    add,
    get pending() {
      return rows;
    },
    take() {
      const batch: EncodedBatch = {
        rows,
        ints: ints.slice(0, rows * SLOTS),
        quantity: quantity.slice(0, rows),
        sampleIds,
        donorIds,
        parentIds,
        rejected,
        grown,
      };
      rows = 0;
      sampleIds = [];
      donorIds = [];
      parentIds = [];
      rejected = [];
      grown = emptyGrowth();
      return batch;
    },
  };
}

const INTEGER = /^[0-9]+$/;
const DECIMAL = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

function checkHeader(header: readonly string[], mapping: ColumnMapping | undefined): Map<Field, number> {
  const columnOf = new Map<Field, number>();
  const problems: Issue[] = [];
  const unknown: string[] = [];
  const ignored = new Set(mapping?.ignoreColumns ?? []);
  const known = new Set<string>(SPECIMEN_FIELDS);
  header.forEach((raw, index) => {
    const name = raw.trim();
    if (ignored.has(name)) return;
    const target = mapping?.columns[name] ?? (known.has(name) ? (name as Field) : undefined);
    if (target === undefined) {
      unknown.push(name);
      return;
    }
    const earlier = columnOf.get(target);
    if (earlier !== undefined) {
      problems.push({
        line: 1,
        field: target,
        message: `columns ${quote(header[earlier]?.trim() ?? '')} and ${quote(name)} both give ${target}`,
      });
      return;
    }
    columnOf.set(target, index);
  });
  const missing = REQUIRED_FIELDS.filter((f) => !columnOf.has(f));
  if (missing.length > 0) {
    problems.unshift({ line: 1, field: missing.join(', '), message: `missing required column(s): ${missing.join(', ')}` });
  }
  if (unknown.length > 0) {
    problems.push({
      line: 1,
      field: unknown.join(', '),
      message:
        `unknown column(s) ${unknown.map(quote).join(', ')}; use the catalogue field names (${SPECIMEN_FIELDS.join(', ')}), ` +
        'or map or ignore them in a column mapping ("columns", "ignoreColumns")',
    });
  }
  if (problems.length > 0) {
    throw new BiospecError('INVALID_DATA', `bad CSV header: ${problems.map((p) => p.message).join('; ')}`, { issues: problems });
  }
  return columnOf;
}

/** Dictionaries accumulated from batches, to turn encoded rows back into records. */
export interface BatchDictionaries {
  collection: string[];
  site: string[];
  consent: string[][];
  diagnosis: string[][];
}

export function absorbGrowth(into: BatchDictionaries, grown: DictionaryGrowth): void {
  into.collection.push(...grown.collection);
  into.site.push(...grown.site);
  into.consent.push(...grown.consent);
  into.diagnosis.push(...grown.diagnosis);
}

/** Row `row` of `batch` as a specimen record (it must not be rejected). */
export function decodeRecord(batch: EncodedBatch, row: number, dictionaries: BatchDictionaries): SpecimenRecord {
  const ints = batch.ints;
  const base = row * SLOTS;
  const slot = (s: number): number => ints[base + s] as number;
  const start = slot(SLOT.start);
  const site = slot(SLOT.site);
  const age = slot(SLOT.age);
  return {
    sample_id: batch.sampleIds[row] as string,
    donor_id: batch.donorIds[row] as string,
    collection_id: dictionaries.collection[slot(SLOT.collection)] as string,
    material_type: MATERIAL_TYPES[slot(SLOT.material)] as SpecimenRecord['material_type'],
    collected_on: start === NONE ? null : isoOfSpan(start, slot(SLOT.end)),
    diagnosis: [...(dictionaries.diagnosis[slot(SLOT.diagnosis)] as string[])],
    anatomical_site: site === NONE ? null : (dictionaries.site[site] as string),
    sex: SEXES[slot(SLOT.sex)] as SpecimenRecord['sex'],
    age_at_collection: age === NONE ? null : age,
    storage_temperature: STORAGE_TEMPERATURES[slot(SLOT.temperature)] as SpecimenRecord['storage_temperature'],
    consent: [...(dictionaries.consent[slot(SLOT.consent)] as string[])],
    status: STATUSES[slot(SLOT.status)] as SpecimenRecord['status'],
    quantity: batch.quantity[row] as number,
    parent_sample_id: batch.parentIds[row] ?? null,
  };
}

/** The partial ISO date a YYYYMMDD day interval was made from (as the catalogue's view writes it back). */
function isoOfSpan(start: number, end: number): string {
  const year = String(Math.floor(start / 10000)).padStart(4, '0');
  const month = String(Math.floor(start / 100) % 100).padStart(2, '0');
  if (start === end) return `${year}-${month}-${String(start % 100).padStart(2, '0')}`;
  if (start % 10000 === 101 && end % 10000 === 1231) return year;
  return `${year}-${month}`;
}
