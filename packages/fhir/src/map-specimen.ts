import {
  MATERIAL_TYPES,
  STATUSES,
  linkedDiagnosis,
  type DonorLink,
  type MaterialType,
  type Sex,
  type SpecimenRecord,
  type SpecimenStatus,
  type StorageTemperature,
} from '@biospec/query/model';
import { describeCoding, icd10Codes, isDataAbsent } from './codings.js';
import type { CodeableConcept, Extension, FhirSpecimen, LocatedIssue, Range, Reference } from './fhir-model.js';
import { HL7_V2_0487_TABLE, SNOMED_TABLE, materialsOf } from './mapping-tables.js';
import { ageInYears, toPartialDate } from './partial-dates.js';
import { identifierKey, referenceKey, referenceTarget } from './references.js';
import { EXTENSIONS, SYSTEMS } from './systems.js';

/**
 * bbmri.de SampleMaterialType codes → our material types. The finer bbmri.de
 * codes fold into our classes (every plasma → plasma, tumour/normal FFPE →
 * tissue-ffpe); the codes without a class of ours (bone marrow, ascites, swabs,
 * dried blood, generic tissue, liquid and derivative) → `other`.
 */
export const BBMRI_MATERIAL_TYPES: Readonly<Record<string, MaterialType>> = {
  'whole-blood': 'whole-blood',
  'blood-serum': 'serum',
  'blood-plasma': 'plasma',
  'plasma-edta': 'plasma',
  'plasma-citrat': 'plasma',
  'plasma-heparin': 'plasma',
  'plasma-cell-free': 'plasma',
  'plasma-other': 'plasma',
  'buffy-coat': 'buffy-coat',
  'peripheral-blood-cells-vital': 'pbmc',
  dna: 'dna',
  'g-dna': 'dna',
  'cf-dna': 'dna',
  rna: 'rna',
  'tissue-frozen': 'tissue-frozen',
  'tumor-tissue-frozen': 'tissue-frozen',
  'normal-tissue-frozen': 'tissue-frozen',
  'other-tissue-frozen': 'tissue-frozen',
  'tissue-ffpe': 'tissue-ffpe',
  'tumor-tissue-ffpe': 'tissue-ffpe',
  'normal-tissue-ffpe': 'tissue-ffpe',
  'other-tissue-ffpe': 'tissue-ffpe',
  'tissue-formalin': 'tissue-ffpe',
  urine: 'urine',
  saliva: 'saliva',
  'csf-liquor': 'csf',
  liquor: 'csf',
  'stool-faeces': 'feces',
  'cell-line': 'cell-line',
  'dried-whole-blood': 'other',
  'bone-marrow': 'other',
  ascites: 'other',
  swab: 'other',
  tissue: 'other',
  'tissue-other': 'other',
  'tissue-paxgene-or-else': 'other',
  liquid: 'other',
  'liquid-other': 'other',
  derivative: 'other',
  'derivative-other': 'other',
};

/** SNOMED CT specimen concepts → our material types: the shipped table `mappings/snomed-ct-specimen-types.json`. */
export const SNOMED_MATERIAL_TYPES: Readonly<Record<string, MaterialType>> = materialsOf(SNOMED_TABLE);

/** HL7 v2 table 0487 specimen types → our material types: `mappings/hl7-v2-0487-specimen-types.json`. */
export const V2_0487_MATERIAL_TYPES: Readonly<Record<string, MaterialType>> = materialsOf(HL7_V2_0487_TABLE);

/** Our material type → the bbmri.de code written for it (cell-line has none, so `derivative-other` plus our own coding). */
export const MATERIAL_TYPE_TO_BBMRI: Readonly<Record<MaterialType, string>> = {
  'whole-blood': 'whole-blood',
  serum: 'blood-serum',
  plasma: 'blood-plasma',
  'buffy-coat': 'buffy-coat',
  pbmc: 'peripheral-blood-cells-vital',
  dna: 'dna',
  rna: 'rna',
  'tissue-frozen': 'tissue-frozen',
  'tissue-ffpe': 'tissue-ffpe',
  urine: 'urine',
  saliva: 'saliva',
  csf: 'csf-liquor',
  feces: 'stool-faeces',
  'cell-line': 'derivative-other',
  other: 'derivative-other',
};

/** bbmri.de StorageTemperature codes → ours; gaseous and liquid nitrogen are both `LN`. */
export const BBMRI_STORAGE_TEMPERATURES: Readonly<Record<string, StorageTemperature>> = {
  temperatureRoom: 'RT',
  temperature2to10: '2to10',
  'temperature-18to-35': '-18to-35',
  'temperature-60to-85': '-60to-85',
  temperatureGN: 'LN',
  temperatureLN: 'LN',
  temperatureOther: 'other',
};

export const STORAGE_TEMPERATURE_TO_BBMRI: Readonly<Record<StorageTemperature, string>> = {
  RT: 'temperatureRoom',
  '2to10': 'temperature2to10',
  '-18to-35': 'temperature-18to-35',
  '-60to-85': 'temperature-60to-85',
  LN: 'temperatureLN',
  other: 'temperatureOther',
};

/**
 * FHIR Specimen.status → ours. `unavailable` and `unsatisfactory` are
 * `depleted` (nothing left to hand out); `entered-in-error` is not a specimen
 * at all and is skipped. A missing status is `available`.
 */
export const FHIR_STATUSES: Readonly<Record<string, SpecimenStatus | 'skip'>> = {
  available: 'available',
  unavailable: 'depleted',
  unsatisfactory: 'depleted',
  'entered-in-error': 'skip',
};

const ICD_O_3_TOPOGRAPHY = /^C(\d{2})\.?(\d)?$/;

/** The mapped value of a coded field, or the issue that says why there is none; `warning` says what was dropped or guessed. */
type Mapped<T> = { value: T; issue?: undefined; warning?: LocatedIssue } | { value?: undefined; issue: LocatedIssue; warning?: undefined };

/** Code tables by system, in order of preference: our own coding, bbmri.de, SNOMED CT, HL7 v2-0487. */
const MATERIAL_TYPE_TABLES: ReadonlyMap<string, Readonly<Record<string, MaterialType>>> = new Map([
  [SYSTEMS.biospecMaterialType, Object.fromEntries(MATERIAL_TYPES.map((t) => [t, t]))],
  [SYSTEMS.sampleMaterialType, BBMRI_MATERIAL_TYPES],
  [SYSTEMS.snomed, SNOMED_MATERIAL_TYPES],
  [SYSTEMS.v2SpecimenType, V2_0487_MATERIAL_TYPES],
  [SYSTEMS.v2SpecimenTypeOld, V2_0487_MATERIAL_TYPES],
]);

/** Whole code systems of specimen types, each a code of which we have no row for is still a specimen: `other`, with a warning. */
const OPEN_SYSTEMS: ReadonlyMap<string, RegExp> = new Map([
  [SYSTEMS.snomed, /^[1-9]\d{5,17}$/],
  [SYSTEMS.v2SpecimenType, /^[A-Z0-9]{1,8}$/],
  [SYSTEMS.v2SpecimenTypeOld, /^[A-Z0-9]{1,8}$/],
]);

/**
 * Specimen.type → material type: our own coding first, then bbmri.de, SNOMED
 * CT, HL7 v2-0487. A well-formed SNOMED CT or v2-0487 code the tables do not
 * list is `other` with a warning; a type in no known system is an issue.
 */
export function mapMaterialType(type: CodeableConcept | undefined, path = 'Specimen.type'): Mapped<MaterialType> {
  const codings = type?.coding ?? [];
  if (codings.length === 0) return { issue: { field: path, message: 'a Specimen needs a type' } };
  for (const [system, table] of MATERIAL_TYPE_TABLES) {
    for (const coding of codings) {
      const mapped = coding.system === system && coding.code !== undefined ? table[coding.code] : undefined;
      if (mapped !== undefined) return { value: mapped };
    }
  }
  for (const [i, coding] of codings.entries()) {
    const format = coding.system === undefined ? undefined : OPEN_SYSTEMS.get(coding.system);
    if (format !== undefined && coding.code !== undefined && format.test(coding.code)) {
      return {
        value: 'other',
        warning: { field: `${path}.coding[${i}].code`, message: `specimen type ${describeCoding(coding)} is not in the mapping table: imported as 'other'` },
      };
    }
  }
  const index = Math.max(0, codings.findIndex((c) => c.system !== undefined && MATERIAL_TYPE_TABLES.has(c.system)));
  const coding = codings[index] ?? {};
  return { issue: { field: `${path}.coding[${index}].code`, message: `unknown material type ${describeCoding(coding)}` } };
}

/**
 * Storage temperature: the bbmri.de StorageTemperature extension, else the
 * MII Temperaturbedingungen range on Specimen.processing (a class when the
 * whole range lies in it), else `other` (MIABIS has no "unknown" class).
 */
export function mapStorageTemperature(extensions: readonly Extension[], processing: FhirSpecimen['processing'] = []): Mapped<StorageTemperature> {
  const index = extensions.findIndex((e) => e.url === EXTENSIONS.storageTemperature);
  const extension = extensions[index];
  if (extension === undefined) {
    for (const [p, step] of (processing ?? []).entries()) {
      const e = (step.extension ?? []).findIndex((x) => x.url === EXTENSIONS.miiTemperature);
      const found = step.extension?.[e];
      if (found === undefined) continue;
      const path = `Specimen.processing[${p}].extension[${e}].valueRange`;
      const mapped = found.valueRange === undefined ? null : temperatureClass(found.valueRange);
      if (mapped === null) return { value: 'other', warning: { field: path, message: 'storage temperature range not within one class (RT 15..25, 2to10, -18to-35, -60to-85, LN below -150 °C): imported as other' } };
      return { value: mapped };
    }
    return { value: 'other' };
  }
  const path = `Specimen.extension[${index}].valueCodeableConcept`;
  const codings = extension.valueCodeableConcept?.coding ?? [];
  for (const coding of codings) {
    const mapped = coding.system === SYSTEMS.storageTemperature && coding.code !== undefined ? BBMRI_STORAGE_TEMPERATURES[coding.code] : undefined;
    if (mapped !== undefined) return { value: mapped };
  }
  const first = codings[0];
  return {
    issue: first
      ? { field: `${path}.coding[0].code`, message: `unknown storage temperature ${describeCoding(first)}` }
      : { field: path, message: 'storage temperature extension without a coding' },
  };
}

/** Our storage classes in °C, inclusive; a range maps to the class holding both of its ends. */
const TEMPERATURE_CLASSES: readonly [StorageTemperature, number, number][] = [
  ['RT', 15, 25],
  ['2to10', 2, 10],
  ['-18to-35', -35, -18],
  ['-60to-85', -85, -60],
  ['LN', -273, -150],
];

function celsius(value: number | undefined, code: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return code === 'K' ? value - 273.15 : value;
}

function temperatureClass(range: Range): StorageTemperature | null {
  const low = celsius(range.low?.value, range.low?.code);
  const high = celsius(range.high?.value, range.high?.code);
  if (low === undefined && high === undefined) return null;
  const from = low ?? high!;
  const to = high ?? low!;
  const found = TEMPERATURE_CLASSES.find(([, min, max]) => from >= min && to <= max);
  return found ? found[0] : null;
}

/** Specimen.status, overridden by our specimen-status extension for `reserved` and `withdrawn`. */
export function mapStatus(specimen: Pick<FhirSpecimen, 'status' | 'extension'>): Mapped<SpecimenStatus | 'skip'> {
  const extensions = specimen.extension ?? [];
  const index = extensions.findIndex((e) => e.url === EXTENSIONS.specimenStatus);
  const extension = extensions[index];
  if (extension !== undefined) {
    const code = extension.valueCode;
    if (code !== undefined && (STATUSES as readonly string[]).includes(code)) return { value: code as SpecimenStatus };
    return { issue: { field: `Specimen.extension[${index}].valueCode`, message: `'${code ?? ''}' is not one of ${STATUSES.join(', ')}` } };
  }
  const mapped = FHIR_STATUSES[specimen.status ?? 'available'];
  if (mapped !== undefined) return { value: mapped };
  return { issue: { field: 'Specimen.status', message: `unknown specimen status '${specimen.status ?? ''}'` } };
}

/**
 * Specimen.collection.bodySite → ICD-O-3 topography (`C50.4`); null when
 * absent. A body site coded only in another system (SNOMED CT, as the MII
 * profile codes it) is dropped with a warning; a malformed ICD-O-3 code is an issue.
 */
export function mapBodySite(bodySite: CodeableConcept | undefined, path = 'Specimen.collection.bodySite'): Mapped<string | null> {
  if (bodySite === undefined) return { value: null };
  const codings = bodySite.coding ?? [];
  for (const [i, coding] of codings.entries()) {
    if (coding.system !== SYSTEMS.icdO3) continue;
    const match = coding.code === undefined ? null : ICD_O_3_TOPOGRAPHY.exec(coding.code.trim().toUpperCase());
    if (!match) return { issue: { field: `${path}.coding[${i}].code`, message: `${describeCoding(coding)} is not an ICD-O-3 topography code` } };
    return { value: match[2] === undefined ? `C${match[1]}` : `C${match[1]}.${match[2]}` };
  }
  const first = codings[0];
  return {
    value: null,
    warning: first
      ? { field: `${path}.coding[0].code`, message: `body site ${describeCoding(first)} is not ICD-O-3 topography: dropped (anatomical_site left empty)` }
      : { field: path, message: 'body site without an ICD-O-3 coding: dropped' },
  };
}

/** The donor a Specimen's subject resolves to, from the first pass. */
export interface DonorFacts {
  donorId: string;
  sex: Sex;
  birthDate: string | null;
  /** ICD-10 codes of every Condition of the donor. */
  conditions: readonly string[];
  consent: readonly string[];
}

/** What {@link mapSpecimen} needs from the rest of the file. */
export interface SpecimenContext {
  /** The donor behind a `Patient/x` or `urn:` key, if the file has that Patient. */
  donor(key: string): DonorFacts | undefined;
  /** ICD-10 codes of the Condition behind a key (for Specimen extensions that reference a Condition). */
  condition(key: string): readonly string[] | undefined;
  /** ICD-10 codes of the Conditions whose evidence names the specimen with one of these keys. */
  specimenConditions(keys: readonly string[]): readonly string[];
  /** The collection id of the Organization behind a key. */
  collection(key: string): string | undefined;
  /** The donor key of a Patient named by identifier (`system|value`). */
  patientByIdentifier(key: string): string | undefined;
  /** The id of the Specimen behind a `urn:` key (for parent references). */
  specimenId(key: string): string | undefined;
  defaultCollection: string;
}

/** A Specimen mapped as far as possible: `record` is complete only when `issues` is empty. */
export interface SpecimenMapping {
  record: SpecimenRecord | null;
  /** What the specimen states itself, for the catalogue's donor-level updates. */
  linked: DonorLink | null;
  /** True for an entered-in-error Specimen, which yields nothing. */
  skipped: boolean;
  issues: LocatedIssue[];
  /** What was mapped with a loss (dropped body site, unlisted type): the record still imports. */
  warnings: LocatedIssue[];
}

/**
 * Maps one bbmri.de-style Specimen to a specimen record. `keys` are the keys
 * the specimen itself is reachable by (`Specimen/id`, its full URL), used to
 * find Conditions that name it.
 */
export function mapSpecimen(specimen: FhirSpecimen, context: SpecimenContext, keys: readonly string[] = [], fallbackId?: string): SpecimenMapping {
  const issues: LocatedIssue[] = [];
  const warnings: LocatedIssue[] = [];
  const take = <T>(mapped: Mapped<T>, fallback: T): T => {
    if (mapped.warning) warnings.push(mapped.warning);
    if (mapped.issue) {
      issues.push(mapped.issue);
      return fallback;
    }
    return mapped.value;
  };
  const status = take(mapStatus(specimen), 'available');
  if (status === 'skip') return { record: null, linked: null, skipped: true, issues: [], warnings: [] };
  const sampleId = specimen.id ?? fallbackId;
  if (sampleId === undefined) issues.push({ field: 'Specimen.id', message: 'a Specimen needs an id (or a urn:uuid full URL): it becomes the sample_id' });
  const extensions = specimen.extension ?? [];
  const local = containedIndex(specimen);

  const material_type = take(mapMaterialType(specimen.type), 'other');
  const collected_on = mapCollectedOn(specimen, issues);
  const anatomical_site = take(mapBodySite(specimen.collection?.bodySite), null);
  const storage_temperature = take(mapStorageTemperature(extensions, specimen.processing), 'other');
  const donor = resolveDonor(specimen, context, issues);
  const own = ownDiagnosis(extensions, context, local, keys, issues, warnings);
  const age = mapAge(extensions, donor, collected_on, issues);

  const quantity = specimen.container?.[0]?.specimenQuantity?.value ?? specimen.collection?.quantity?.value ?? 1;
  if (quantity < 0) {
    const field = specimen.container?.[0]?.specimenQuantity?.value !== undefined ? 'Specimen.container[0].specimenQuantity.value' : 'Specimen.collection.quantity.value';
    issues.push({ field, message: `quantity ${quantity} is negative` });
  }

  const record: SpecimenRecord = {
    sample_id: sampleId ?? '',
    donor_id: donor?.donorId ?? '',
    collection_id: mapCollection(extensions, context, local, issues),
    material_type,
    collected_on,
    diagnosis: linkedDiagnosis(own, donor?.conditions ?? []),
    anatomical_site,
    sex: donor?.sex ?? 'unknown',
    age_at_collection: age.value,
    storage_temperature,
    consent: [...(donor?.consent ?? [])],
    status,
    quantity,
    parent_sample_id: mapParent(specimen, context, issues),
  };
  return { record, linked: { own_diagnosis: own, age_stated: age.stated }, skipped: false, issues, warnings };
}

/** The specimen's contained resources by `#id`. */
const NONE_CONTAINED: ReadonlyMap<string, Record<string, unknown>> = new Map();

function containedIndex(specimen: FhirSpecimen): ReadonlyMap<string, Record<string, unknown>> {
  if (specimen.contained === undefined || specimen.contained.length === 0) return NONE_CONTAINED;
  const index = new Map<string, Record<string, unknown>>();
  for (const resource of specimen.contained ?? []) if (resource.id !== undefined) index.set(`#${resource.id}`, resource as Record<string, unknown>);
  return index;
}

function mapCollectedOn(specimen: FhirSpecimen, issues: LocatedIssue[]): string | null {
  const collection = specimen.collection;
  const [raw, field] =
    collection?.collectedDateTime !== undefined
      ? [collection.collectedDateTime, 'Specimen.collection.collectedDateTime']
      : [collection?.collectedPeriod?.start, 'Specimen.collection.collectedPeriod.start'];
  if (raw === undefined) return null;
  const date = toPartialDate(raw);
  if (date === null) issues.push({ field, message: `'${raw}' is not a FHIR dateTime` });
  return date;
}

function resolveDonor(specimen: FhirSpecimen, context: SpecimenContext, issues: LocatedIssue[]): DonorFacts | null {
  const subject = specimen.subject;
  const reference = subject?.reference;
  if (reference === undefined) {
    const byIdentifier = subject?.identifier === undefined ? undefined : identifierKey(subject.identifier);
    const key = byIdentifier === undefined ? undefined : context.patientByIdentifier(byIdentifier);
    const known = key === undefined ? undefined : context.donor(key);
    if (known) return known;
    issues.push(
      byIdentifier === undefined
        ? { field: 'Specimen.subject', message: 'a Specimen needs a subject referencing its donor (Patient)' }
        : { field: 'Specimen.subject.identifier', message: `no Patient in the import has the identifier '${byIdentifier}'` },
    );
    return null;
  }
  const key = referenceKey(reference);
  const known = key === null ? undefined : context.donor(key);
  if (known) return known;
  const target = referenceTarget(reference);
  if (target?.type === 'Patient' && !reference.startsWith('urn:')) {
    // A Patient outside the import (e.g. already on the server a transaction targets, or in the catalogue): its id is all we know here.
    return { donorId: target.id, sex: 'unknown', birthDate: null, conditions: [], consent: [] };
  }
  issues.push({ field: 'Specimen.subject.reference', message: `'${reference}' does not resolve to a Patient` });
  return null;
}

/**
 * The specimen's own diagnoses: bbmri.de SampleDiagnosis codes, Conditions a
 * Specimen extension references (the MII Diagnose extension, or any other),
 * in the import or contained, and Conditions whose evidence names the specimen.
 */
function ownDiagnosis(
  extensions: readonly Extension[],
  context: SpecimenContext,
  local: ReadonlyMap<string, Record<string, unknown>>,
  keys: readonly string[],
  issues: LocatedIssue[],
  warnings: LocatedIssue[],
): string[] {
  const codes: string[] = [];
  extensions.forEach((extension, i) => {
    if (extension.url === EXTENSIONS.sampleDiagnosis) {
      const concept = extension.valueCodeableConcept;
      if (concept === undefined || isDataAbsent(concept)) return;
      const mapped = icd10Codes(concept, `Specimen.extension[${i}].valueCodeableConcept`);
      issues.push(...mapped.issues);
      if (mapped.warning) warnings.push(mapped.warning);
      codes.push(...mapped.codes);
      return;
    }
    const reference = extension.valueReference?.reference;
    if (reference === undefined) return;
    const contained = local.get(reference);
    if (contained !== undefined) {
      if (contained.resourceType !== 'Condition') return;
      const concept = contained.code as CodeableConcept | undefined;
      const mapped = concept === undefined ? { codes: [], issues: [{ field: `Specimen.contained(${reference}).code`, message: 'a Condition needs a code' }] } : icd10Codes(concept, `Specimen.contained(${reference}).code`);
      issues.push(...mapped.issues);
      if ('warning' in mapped && mapped.warning) warnings.push(mapped.warning);
      codes.push(...mapped.codes);
      return;
    }
    const key = referenceKey(reference);
    const linked = key === null ? undefined : context.condition(key);
    if (linked !== undefined) codes.push(...linked);
    else if (extension.url === EXTENSIONS.miiDiagnosis) {
      warnings.push({ field: `Specimen.extension[${i}].valueReference`, message: `Diagnose '${reference}' is not a Condition in this import: the donor's stored Conditions still apply` });
    }
  });
  codes.push(...context.specimenConditions(keys));
  return [...new Set(codes)];
}

function mapAge(extensions: readonly Extension[], donor: DonorFacts | null, collectedOn: string | null, issues: LocatedIssue[]): { value: number | null; stated: boolean } {
  const index = extensions.findIndex((e) => e.url === EXTENSIONS.ageAtCollection);
  const extension = extensions[index];
  if (extension !== undefined) {
    if (extension.valueInteger !== undefined && extension.valueInteger >= 0) return { value: extension.valueInteger, stated: true };
    if (extension.valueCode === 'unknown') return { value: null, stated: true };
    issues.push({ field: `Specimen.extension[${index}]`, message: 'age at collection needs a valueInteger ≥ 0 or valueCode unknown' });
    return { value: null, stated: true };
  }
  if (!donor?.birthDate || collectedOn === null) return { value: null, stated: false };
  const age = ageInYears(donor.birthDate, collectedOn);
  if (age === null) issues.push({ field: 'Specimen.collection', message: `collected on ${collectedOn}, before the donor's birth date ${donor.birthDate}` });
  return { value: age, stated: false };
}

/** The custodian extensions, bbmri.de's and the MII's: the collection a specimen belongs to. */
const CUSTODIANS: ReadonlySet<string> = new Set([EXTENSIONS.custodian, EXTENSIONS.miiCustodian]);

function mapCollection(extensions: readonly Extension[], context: SpecimenContext, local: ReadonlyMap<string, Record<string, unknown>>, issues: LocatedIssue[]): string {
  const index = extensions.findIndex((e) => CUSTODIANS.has(e.url));
  const extension = extensions[index];
  if (extension === undefined) return context.defaultCollection;
  const found = collectionOf(extension.valueReference, context, local);
  if (found === undefined) {
    const named = extension.valueReference?.reference ?? extension.valueReference?.identifier?.value ?? '';
    issues.push({ field: `Specimen.extension[${index}].valueReference`, message: `custodian '${named}' does not resolve to an Organization` });
    return context.defaultCollection;
  }
  return found;
}

/**
 * A custodian reference → collection id: a contained or imported Organization
 * (its BBMRI-ERIC id, else its id), an `Organization/x` outside the import
 * (`x`), or an identifier-only logical reference (the identifier's value, as
 * the Sample Locator reads it).
 */
function collectionOf(reference: Reference | undefined, context: SpecimenContext, local: ReadonlyMap<string, Record<string, unknown>>): string | undefined {
  if (reference === undefined) return undefined;
  const text = reference.reference;
  if (text === undefined) return reference.identifier?.value;
  const contained = local.get(text);
  if (contained !== undefined) {
    if (contained.resourceType !== 'Organization') return undefined;
    const identifiers = (contained.identifier ?? []) as { system?: string; value?: string }[];
    return identifiers.find((i) => i.system === SYSTEMS.bbmriEric)?.value ?? (contained.id as string | undefined);
  }
  const key = referenceKey(text);
  if (key === null) return undefined;
  return context.collection(key) ?? (key.startsWith('Organization/') ? key.slice('Organization/'.length) : undefined);
}

function mapParent(specimen: FhirSpecimen, context: SpecimenContext, issues: LocatedIssue[]): string | null {
  const parents = specimen.parent ?? [];
  if (parents.length === 0) return null;
  if (parents.length > 1) issues.push({ field: 'Specimen.parent', message: `${parents.length} parents: a pooled specimen cannot be recorded (one parent_sample_id)` });
  const reference = parents[0]?.reference;
  const key = reference === undefined ? null : referenceKey(reference);
  const id = key === null ? undefined : key.startsWith('urn:') ? context.specimenId(key) : referenceTarget(key)?.type === 'Specimen' ? referenceTarget(key)?.id : undefined;
  if (id === undefined) {
    issues.push({ field: 'Specimen.parent[0].reference', message: `'${reference ?? ''}' does not resolve to a Specimen` });
    return null;
  }
  return id;
}
