import {
  MATERIAL_TYPES,
  STATUSES,
  type MaterialType,
  type Sex,
  type SpecimenRecord,
  type SpecimenStatus,
  type StorageTemperature,
} from '@biospec/query';
import { describeCoding, icd10Codes, isDataAbsent } from './codings.js';
import type { CodeableConcept, Extension, FhirSpecimen, LocatedIssue } from './fhir-model.js';
import { ageInYears, toPartialDate } from './partial-dates.js';
import { referenceKey, referenceTarget } from './references.js';
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

/**
 * SNOMED CT specimen concepts → our material types: the codes of the FHIR
 * specification's own examples (122555007 venous blood, 119364003 serum,
 * 122575003 urine) and those the MII ↔ bbmri.de converters use.
 */
export const SNOMED_MATERIAL_TYPES: Readonly<Record<string, MaterialType>> = {
  '119297000': 'whole-blood', // Blood specimen
  '122555007': 'whole-blood', // Venous blood specimen
  '119364003': 'serum', // Serum specimen
  '119361006': 'plasma', // Plasma specimen
  '708049000': 'plasma', // Plasma specimen with EDTA
  '708048008': 'plasma', // Plasma specimen with citrate
  '446272009': 'plasma', // Blood specimen with heparin → plasma in the MII mapping
  '258587000': 'buffy-coat', // Buffy coat
  '404798000': 'pbmc', // Peripheral blood mononuclear cell
  '258566005': 'dna', // Deoxyribonucleic acid sample
  '441673008': 'rna', // Ribonucleic acid sample
  '441652008': 'tissue-ffpe', // Formalin-fixed paraffin-embedded tissue specimen
  '16214131000119104': 'tissue-frozen', // Fresh frozen tissue sample
  '122575003': 'urine', // Urine specimen
  '119342007': 'saliva', // Saliva specimen
  '258450006': 'csf', // Cerebrospinal fluid sample
  '119339001': 'feces', // Stool specimen
  '119376003': 'other', // Tissue specimen
};

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

/** The mapped value of a coded field, or the issue that says why there is none. */
type Mapped<T> = { value: T; issue?: undefined } | { value?: undefined; issue: LocatedIssue };

/** Code tables by system, in order of preference: our own coding, bbmri.de, SNOMED CT. */
const MATERIAL_TYPE_TABLES: ReadonlyMap<string, Readonly<Record<string, MaterialType>>> = new Map([
  [SYSTEMS.biospecMaterialType, Object.fromEntries(MATERIAL_TYPES.map((t) => [t, t]))],
  [SYSTEMS.sampleMaterialType, BBMRI_MATERIAL_TYPES],
  [SYSTEMS.snomed, SNOMED_MATERIAL_TYPES],
]);

/** Specimen.type → material type: our own coding first, then bbmri.de, then SNOMED CT. */
export function mapMaterialType(type: CodeableConcept | undefined, path = 'Specimen.type'): Mapped<MaterialType> {
  const codings = type?.coding ?? [];
  if (codings.length === 0) return { issue: { field: path, message: 'a Specimen needs a type' } };
  for (const [system, table] of MATERIAL_TYPE_TABLES) {
    for (const coding of codings) {
      const mapped = coding.system === system && coding.code !== undefined ? table[coding.code] : undefined;
      if (mapped !== undefined) return { value: mapped };
    }
  }
  const index = Math.max(0, codings.findIndex((c) => c.system !== undefined && MATERIAL_TYPE_TABLES.has(c.system)));
  const coding = codings[index] ?? {};
  return { issue: { field: `${path}.coding[${index}].code`, message: `unknown material type ${describeCoding(coding)}` } };
}

/** The StorageTemperature extension → storage temperature; absent → `other` (MIABIS has no "unknown" class). */
export function mapStorageTemperature(extensions: readonly Extension[]): Mapped<StorageTemperature> {
  const index = extensions.findIndex((e) => e.url === EXTENSIONS.storageTemperature);
  const extension = extensions[index];
  if (extension === undefined) return { value: 'other' };
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

/** Specimen.collection.bodySite → ICD-O-3 topography (`C50.4`); null when absent. */
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
    issue: first
      ? { field: `${path}.coding[0].code`, message: `${describeCoding(first)} is not an ICD-O-3 topography code; expected system ${SYSTEMS.icdO3}` }
      : { field: path, message: 'body site without an ICD-O-3 coding' },
  };
}

/** The donor a Specimen's subject resolves to, from the first pass. */
export interface DonorFacts {
  donorId: string;
  sex: Sex;
  birthDate: string | null;
  /** ICD-10 codes of the donor's Conditions that name no specimen. */
  diagnosis: readonly string[];
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
  /** The id of the Specimen behind a `urn:` key (for parent references). */
  specimenId(key: string): string | undefined;
  defaultCollection: string;
}

/** A Specimen mapped as far as possible: `record` is complete only when `issues` is empty. */
export interface SpecimenMapping {
  record: SpecimenRecord | null;
  /** True for an entered-in-error Specimen, which yields nothing. */
  skipped: boolean;
  issues: LocatedIssue[];
}

/**
 * Maps one bbmri.de-style Specimen to a specimen record. `keys` are the keys
 * the specimen itself is reachable by (`Specimen/id`, its full URL), used to
 * find Conditions that name it.
 */
export function mapSpecimen(specimen: FhirSpecimen, context: SpecimenContext, keys: readonly string[] = []): SpecimenMapping {
  const issues: LocatedIssue[] = [];
  const take = <T>(mapped: Mapped<T>, fallback: T): T => {
    if (mapped.issue) {
      issues.push(mapped.issue);
      return fallback;
    }
    return mapped.value;
  };
  const status = take(mapStatus(specimen), 'available');
  if (status === 'skip') return { record: null, skipped: true, issues: [] };
  if (specimen.id === undefined) issues.push({ field: 'Specimen.id', message: 'a Specimen needs an id: it becomes the sample_id' });
  const extensions = specimen.extension ?? [];

  const material_type = take(mapMaterialType(specimen.type), 'other');
  const collected_on = mapCollectedOn(specimen, issues);
  const anatomical_site = take(mapBodySite(specimen.collection?.bodySite), null);
  const storage_temperature = take(mapStorageTemperature(extensions), 'other');
  const donor = resolveDonor(specimen, context, issues);
  const diagnosis = mapDiagnosis(extensions, donor, context, keys, issues);
  const age_at_collection = mapAge(extensions, donor, collected_on, issues);

  const quantity = specimen.container?.[0]?.specimenQuantity?.value ?? specimen.collection?.quantity?.value ?? 1;
  if (quantity < 0) {
    const field = specimen.container?.[0]?.specimenQuantity?.value !== undefined ? 'Specimen.container[0].specimenQuantity.value' : 'Specimen.collection.quantity.value';
    issues.push({ field, message: `quantity ${quantity} is negative` });
  }

  const record: SpecimenRecord = {
    sample_id: specimen.id ?? '',
    donor_id: donor?.donorId ?? '',
    collection_id: mapCollection(extensions, context, issues),
    material_type,
    collected_on,
    diagnosis,
    anatomical_site,
    sex: donor?.sex ?? 'unknown',
    age_at_collection,
    storage_temperature,
    consent: [...(donor?.consent ?? [])],
    status,
    quantity,
    parent_sample_id: mapParent(specimen, context, issues),
  };
  return { record, skipped: false, issues };
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
  const reference = specimen.subject?.reference;
  if (reference === undefined) {
    issues.push({ field: 'Specimen.subject', message: 'a Specimen needs a subject referencing its donor (Patient)' });
    return null;
  }
  const key = referenceKey(reference);
  const known = key === null ? undefined : context.donor(key);
  if (known) return known;
  const target = referenceTarget(reference);
  if (target?.type === 'Patient' && !reference.startsWith('urn:')) {
    // A Patient outside the file (e.g. already on the server a transaction targets): its id is all we know.
    return { donorId: target.id, sex: 'unknown', birthDate: null, diagnosis: [], consent: [] };
  }
  issues.push({ field: 'Specimen.subject.reference', message: `'${reference}' does not resolve to a Patient` });
  return null;
}

function mapDiagnosis(
  extensions: readonly Extension[],
  donor: DonorFacts | null,
  context: SpecimenContext,
  keys: readonly string[],
  issues: LocatedIssue[],
): string[] {
  const codes: string[] = [];
  let explicit = false;
  extensions.forEach((extension, i) => {
    if (extension.url === EXTENSIONS.sampleDiagnosis) {
      explicit = true;
      const concept = extension.valueCodeableConcept;
      if (concept === undefined || isDataAbsent(concept)) return;
      const mapped = icd10Codes(concept, `Specimen.extension[${i}].valueCodeableConcept`);
      issues.push(...mapped.issues);
      codes.push(...mapped.codes);
    } else if (extension.valueReference?.reference !== undefined) {
      const key = referenceKey(extension.valueReference.reference);
      const linked = key === null ? undefined : context.condition(key);
      if (linked !== undefined) {
        explicit = true;
        codes.push(...linked);
      }
    }
  });
  if (!explicit) {
    const linked = context.specimenConditions(keys);
    codes.push(...(linked.length > 0 ? linked : (donor?.diagnosis ?? [])));
  }
  return [...new Set(codes)];
}

function mapAge(extensions: readonly Extension[], donor: DonorFacts | null, collectedOn: string | null, issues: LocatedIssue[]): number | null {
  const index = extensions.findIndex((e) => e.url === EXTENSIONS.ageAtCollection);
  const extension = extensions[index];
  if (extension !== undefined) {
    if (extension.valueInteger !== undefined && extension.valueInteger >= 0) return extension.valueInteger;
    if (extension.valueCode === 'unknown') return null;
    issues.push({ field: `Specimen.extension[${index}]`, message: 'age at collection needs a valueInteger ≥ 0 or valueCode unknown' });
    return null;
  }
  if (!donor?.birthDate || collectedOn === null) return null;
  const age = ageInYears(donor.birthDate, collectedOn);
  if (age === null) issues.push({ field: 'Specimen.collection', message: `collected on ${collectedOn}, before the donor's birth date ${donor.birthDate}` });
  return age;
}

function mapCollection(extensions: readonly Extension[], context: SpecimenContext, issues: LocatedIssue[]): string {
  const index = extensions.findIndex((e) => e.url === EXTENSIONS.custodian);
  const extension = extensions[index];
  if (extension === undefined) return context.defaultCollection;
  const reference = extension.valueReference?.reference;
  const key = reference === undefined ? null : referenceKey(reference);
  const collection = key === null ? undefined : (context.collection(key) ?? (key.startsWith('Organization/') ? key.slice('Organization/'.length) : undefined));
  if (collection === undefined) {
    issues.push({ field: `Specimen.extension[${index}].valueReference`, message: `custodian '${reference ?? ''}' does not resolve to an Organization` });
    return context.defaultCollection;
  }
  return collection;
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
