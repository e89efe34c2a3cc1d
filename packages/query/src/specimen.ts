/** MIABIS / bbmri.de sample types (DESIGN.md "Data model"). */
export const MATERIAL_TYPES = [
  'whole-blood',
  'serum',
  'plasma',
  'buffy-coat',
  'pbmc',
  'dna',
  'rna',
  'tissue-frozen',
  'tissue-ffpe',
  'urine',
  'saliva',
  'csf',
  'feces',
  'cell-line',
  'other',
] as const;
export type MaterialType = (typeof MATERIAL_TYPES)[number];

export const SEXES = ['female', 'male', 'other', 'unknown'] as const;
export type Sex = (typeof SEXES)[number];

/** MIABIS storage temperature classes. */
export const STORAGE_TEMPERATURES = ['RT', '2to10', '-18to-35', '-60to-85', 'LN', 'other'] as const;
export type StorageTemperature = (typeof STORAGE_TEMPERATURES)[number];

export const STATUSES = ['available', 'reserved', 'depleted', 'withdrawn'] as const;
export type SpecimenStatus = (typeof STATUSES)[number];

/**
 * One specimen as the catalogue holds it, after validation. Multi-valued fields
 * are arrays here; in CSV they are `;`-separated.
 */
export interface SpecimenRecord {
  sample_id: string;
  donor_id: string;
  collection_id: string;
  material_type: MaterialType;
  /** ISO 8601 date, possibly partial: `2019`, `2019-05` or `2019-05-14`. */
  collected_on: string | null;
  /** ICD-10 codes, e.g. `C50.9`; the first is the primary diagnosis. */
  diagnosis: string[];
  /** ICD-O-3 topography code, e.g. `C50.4`. */
  anatomical_site: string | null;
  sex: Sex;
  age_at_collection: number | null;
  storage_temperature: StorageTemperature;
  /** DUO codes the donor agreed to, e.g. `DUO:0000042`. */
  consent: string[];
  status: SpecimenStatus;
  /** Aliquots or amount left; never negative. */
  quantity: number;
  parent_sample_id: string | null;
}

/** The CSV header names, in the order the project writes them. */
export const SPECIMEN_FIELDS = [
  'sample_id',
  'donor_id',
  'collection_id',
  'material_type',
  'collected_on',
  'diagnosis',
  'anatomical_site',
  'sex',
  'age_at_collection',
  'storage_temperature',
  'consent',
  'status',
  'quantity',
  'parent_sample_id',
] as const satisfies readonly (keyof SpecimenRecord)[];

/**
 * One record read from an import source (a CSV line, a FHIR Specimen), either
 * valid or with every problem found in it. Importers consume streams of these,
 * so CSV and FHIR share one atomic import path.
 */
export interface SourceRow {
  /** Where the record came from: a 1-based line for files, a resource reference for FHIR. */
  line?: number;
  ref?: string;
  record?: SpecimenRecord;
  issues?: { field?: string; message: string }[];
  /** A donor-level update instead of a specimen (FHIR Patient, Condition, Consent): what the source states about one donor. */
  donor?: DonorFacts;
  /**
   * Set on a specimen whose donor-level fields follow its donor (FHIR): what
   * the specimen states itself, so the catalogue can recompute it when a later
   * import changes only the donor.
   */
  linked?: DonorLink;
}

/**
 * Facts an import states about a donor. A field left out was not stated and
 * keeps its stored value; `conditions` and `consent` replace the stored lists.
 */
export interface DonorFacts {
  donor_id: string;
  sex?: Sex;
  /** Partial ISO date, or null when the source says the donor has none. */
  birth_date?: string | null;
  /** ICD-10 codes of the donor's Conditions. */
  conditions?: string[];
  /** DUO codes of the donor's active consents. */
  consent?: string[];
}

/** What a donor-linked specimen states itself; everything else comes from its donor. */
export interface DonorLink {
  /** The specimen's own ICD-10 diagnoses (before the donor's Conditions are added). */
  own_diagnosis: string[];
  /** True when the source stated the age at collection; false when it is derived from the birth date. */
  age_stated: boolean;
}

/**
 * The diagnoses a donor-linked specimen is counted under: its own first (the
 * first is the primary diagnosis), then every Condition of its donor, as the
 * Sample Locator counts a specimen whose own diagnosis or a Condition of
 * its donor matches (docs/QUERY.md, Diagnosis).
 */
export function linkedDiagnosis(own: readonly string[], conditions: readonly string[]): string[] {
  const codes = [...own];
  for (const code of conditions) if (!codes.includes(code)) codes.push(code);
  return codes;
}
