import type { MaterialType, Sex, SpecimenStatus, StorageTemperature } from './specimen.js';

/**
 * What a count counts.
 * - `aliquots`: matching specimen records (every tube, derivatives and aliquots included).
 * - `specimens`: distinct primary specimens among the matches (an aliquot counts as its root ancestor).
 * - `donors`: distinct donors with at least one match.
 * Withdrawn specimens are never counted, whatever the query says.
 */
export type Unit = 'donors' | 'specimens' | 'aliquots';
export const UNITS = ['donors', 'specimens', 'aliquots'] as const satisfies readonly Unit[];

/** Dimensions a result can be stratified by; each stratum is protected on its own. */
export type Dimension = 'material_type' | 'sex' | 'age_band' | 'diagnosis_chapter' | 'storage_temperature';
export const DIMENSIONS = [
  'material_type',
  'sex',
  'age_band',
  'diagnosis_chapter',
  'storage_temperature',
] as const satisfies readonly Dimension[];

/**
 * A dimension a node stratifies its own questions by: the public ones, and `collection_id`
 * for availability answers, whose domain each node publishes (its collection list).
 * Researchers' queries cannot stratify by collection: the query schema accepts only
 * {@link Dimension}s.
 */
export type StrataDimension = Dimension | 'collection_id';
/** Every stratify dimension a count can take, in the order cap bounds number them. */
export const STRATA_DIMENSIONS = [...DIMENSIONS, 'collection_id'] as const satisfies readonly StrataDimension[];

export interface AndExpr {
  op: 'and';
  args: Expr[];
}
export interface OrExpr {
  op: 'or';
  args: Expr[];
}
export interface NotExpr {
  op: 'not';
  arg: Expr;
}

/** Set membership on a categorical field. */
export type InExpr =
  | { op: 'in'; field: 'material_type'; values: MaterialType[] }
  | { op: 'in'; field: 'sex'; values: Sex[] }
  | { op: 'in'; field: 'storage_temperature'; values: StorageTemperature[] }
  | { op: 'in'; field: 'status'; values: Exclude<SpecimenStatus, 'withdrawn'>[] }
  | { op: 'in'; field: 'collection_id'; values: string[] };

/** Inclusive integer range on age at collection; at least one bound. */
export interface AgeRangeExpr {
  op: 'age_range';
  min?: number;
  max?: number;
}

/**
 * Inclusive date range (full ISO dates) on collection date; at least one bound.
 * A partially known date matches only when every day it could denote lies in the range.
 */
export interface DateRangeExpr {
  op: 'collected_between';
  from?: string;
  to?: string;
}

/** Any of the specimen's ICD-10 diagnoses is one of `codes` or a descendant of one (`C50` matches `C50.9`). */
export interface DiagnosisExpr {
  op: 'diagnosis';
  codes: string[];
}

/** ICD-O-3 topography: the anatomical site is one of `codes` or more specific than one. */
export interface AnatomicalSiteExpr {
  op: 'anatomical_site';
  codes: string[];
}

/**
 * The donor's consent permits research of this DUO use category: a specimen
 * consented for general research use (GRU) counts for a health/medical/biomedical (HMB) question, not the reverse.
 */
export interface ConsentExpr {
  op: 'consent_permits';
  use: string;
}

/** At least `value` aliquots or amount left. */
export interface MinQuantityExpr {
  op: 'min_quantity';
  value: number;
}

export type Predicate =
  | InExpr
  | AgeRangeExpr
  | DateRangeExpr
  | DiagnosisExpr
  | AnatomicalSiteExpr
  | ConsentExpr
  | MinQuantityExpr;

export type Expr = AndExpr | OrExpr | NotExpr | Predicate;

/**
 * What a node counts: a researcher's {@link Query}, or a question the node derives from one
 * (an availability question, stratified by collection and material type).
 */
export interface CountQuestion {
  unit: Unit;
  where?: Expr;
  stratify?: readonly StrataDimension[];
}

/** A feasibility query. Researchers never send SQL, only this. */
export interface Query {
  unit: Unit;
  /** Absent: every non-withdrawn specimen. */
  where?: Expr;
  /** Absent or empty: no strata. */
  stratify?: Dimension[];
}
