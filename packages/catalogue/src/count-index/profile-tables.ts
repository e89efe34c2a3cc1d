/**
 * The shapes of the pre-aggregated profile tables (built and kept exact by
 * profiles.ts, read by profile-count.ts), apart so that IndexData can hold
 * them without depending on the code that builds them.
 */
import type { TupleTable } from './tuple-table.js';

/** The categorical codes a row key is made of, in the order of its tuple. */
export const KEY_FIELDS = ['uses', 'material_type', 'sex', 'storage_temperature', 'status', 'collection'] as const;
export type KeyField = (typeof KEY_FIELDS)[number];

export interface RowKeys {
  /** Per field, each key's code (`uses`: the permitted-uses bit set). */
  codes: Record<KeyField, number[]>;
  /** Alive rows per key. */
  rows: number[];
  /** The keys as tuples of their codes in {@link KEY_FIELDS} order. */
  tuples: TupleTable;
}

export interface ProfileTable {
  /** Each profile's keys, ascending. */
  profiles: TupleTable;
  /** Runs having each profile now (0 once withdrawals emptied or changed them all). */
  runs: number[];
}

export interface Profiles {
  keys: RowKeys;
  /** Null when the unit's runs are too varied for a table to pay off. */
  specimens: ProfileTable | null;
  donors: ProfileTable | null;
}

export type RunUnit = 'specimens' | 'donors';
