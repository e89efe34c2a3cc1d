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

/**
 * Roots per (profile, age code), for roots whose alive rows all have one age
 * code (0–254, or 255 unknown). Entry e is the profile `profile[e]` at age
 * `age[e]`, held by `runs[e]` roots now.
 */
export interface AgeProfileTable {
  profile: Int32Array;
  age: Uint8Array;
  runs: Int32Array;
  /** Entries in use (the arrays grow by doubling). */
  length: number;
  /** Entry + 1 per slot (0: free), hashed on (profile, age); a power of two, at most half full. */
  slots: Int32Array;
}

/** The specimens table split by age: every root with alive rows is in exactly one of the two. */
export interface AgeProfiles {
  /** Roots whose alive rows share one age code. */
  uniform: AgeProfileTable;
  /**
   * Roots whose alive rows have several: a profile here is the set of their
   * distinct (key, age code) pairs, each as key × 256 + age.
   */
  mixed: ProfileTable;
}

export interface Profiles {
  keys: RowKeys;
  /** Null when the unit's runs are too varied for a table to pay off. */
  specimens: ProfileTable | null;
  donors: ProfileTable | null;
  /** Null when an age has no code (the age column is Float64), or the tables are too large. */
  specimensByAge: AgeProfiles | null;
}

export type RunUnit = 'specimens' | 'donors';
