/**
 * What the count index reads of a catalogue, and the only thing it knows of
 * one: a consistent snapshot of its non-withdrawn rows with the code table
 * naming their values. The catalogue implements it over SQLite (this package
 * never opens a database), so the dependency points one way: the catalogue
 * depends on the index, never the reverse.
 */
import { BiospecError } from '@biospec/protocol/core';

/** The code spaces the index reads (the catalogue's codebook has these and more). */
export const INDEX_CODE_KINDS = [
  'material_type',
  'sex',
  'storage_temperature',
  'status',
  'collection',
  'anatomical_site',
  'age_band',
  'diagnosis_chapter',
] as const;
export type IndexCodeKind = (typeof INDEX_CODE_KINDS)[number];

/**
 * One row as the index reads it: categorical values as the catalogue's
 * integer codes, dates as YYYYMMDD day numbers ({@link dayNumber}), the
 * diagnosis as its stored `;`-joined ICD-10 codes, `uses` the permitted-use
 * bit set, `root` the row's root specimen id within its donor (its own sample
 * id when it has none): a specimen is a (donor, root) pair, so one root id
 * under two donors is two specimens.
 */
export type IndexRow = [
  id: number,
  donor: string,
  root: string,
  material: number,
  sex: number,
  temperature: number,
  status: number,
  collection: number,
  age: number | null,
  start: number | null,
  end: number | null,
  diagnosis: string | null,
  site: number | null,
  uses: number,
  quantity: number,
  ageBand: number,
  chapter: number,
  sampleId: string,
];

/** A consistent view of a catalogue at one data epoch. */
export interface RowSnapshot {
  readonly epoch: number;
  /** Every code: [kind, code, name]; kinds the index does not read are ignored. */
  readonly codes: readonly (readonly [string, number, string])[];
  /** Non-withdrawn rows. */
  readonly rows: number;
  /** The non-withdrawn rows, each donor's rows consecutive. */
  scan(): Iterable<IndexRow>;
}

/** `2019-05-14` → 20190514, the form rows carry dates in. */
export function dayNumber(isoDate: string): number {
  const day = Number(isoDate.replaceAll('-', ''));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDate) || !Number.isInteger(day)) {
    throw new BiospecError('INVALID_QUERY', `date '${isoDate}' is not a full ISO date YYYY-MM-DD`);
  }
  return day;
}
