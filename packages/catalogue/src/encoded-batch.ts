/**
 * Validated rows in the compact form a parser hands the importer: integer
 * columns in one typed array, quantities in another, ids as strings, and
 * categorical values as ids into dictionaries the parser grows as it meets
 * new values. It crosses a worker boundary cheaply (the typed arrays are
 * transferred, not copied) and the importer turns each dictionary entry into
 * catalogue codes once, not once per row.
 */
import type { FieldIssue } from './specimen-rules.js';

/** Slots of one row in {@link EncodedBatch.ints}. */
export const SLOT = {
  line: 0,
  collection: 1,
  material: 2,
  start: 3,
  end: 4,
  diagnosis: 5,
  site: 6,
  sex: 7,
  age: 8,
  temperature: 9,
  consent: 10,
  status: 11,
} as const;
export const SLOTS = 12;
/** `start`/`end` when there is no date, `age`/`site` when empty. */
export const NONE = -1;

/** New dictionary entries, in the order their ids were given (ids continue from earlier batches). */
export interface DictionaryGrowth {
  collection: string[];
  site: string[];
  /** Each entry: the distinct DUO codes of one consent cell, in cell order. */
  consent: string[][];
  /** Each entry: the distinct normalised ICD-10 codes of one diagnosis cell, in cell order. */
  diagnosis: string[][];
}

export interface EncodedBatch {
  rows: number;
  /** SLOTS ints per row; a rejected row has `collection` = NONE and its issues in `rejected`. */
  ints: Int32Array;
  quantity: Float64Array;
  sampleIds: string[];
  donorIds: string[];
  parentIds: (string | null)[];
  /** Rejected rows (index into this batch) with their issues, in row order. */
  rejected: { row: number; issues: FieldIssue[] }[];
  grown: DictionaryGrowth;
}

export function emptyGrowth(): DictionaryGrowth {
  return { collection: [], site: [], consent: [], diagnosis: [] };
}
