/**
 * Pre-aggregated profiles (see COUNT-INDEX.md, "Profiles"): a query whose
 * where-expression and strata use only a row's categorical codes (its *key*:
 * permitted uses, material, sex, storage temperature, status, collection) is
 * answered from small tables instead of the rows.
 *
 * - keys: every distinct row key, with its alive rows (aliquots);
 * - per run unit (specimens: roots, donors): a run's *profile* is the set of
 *   distinct keys of its alive rows; the table holds each distinct profile
 *   and how many runs have it.
 *
 * Built in the build's row pass (no per-row array is kept) and kept exact
 * through withdrawals: the runs a withdrawal touches trade their old profile
 * for the new one, read back from the columns.
 *
 * Specimens are also counted by age (age-profiles.ts): a root whose rows
 * share one age code as (profile, age), any other by its set of distinct
 * (key, age) pairs.
 */
import { addAgeRun, createAgeProfileTable } from './age-profiles.js';
import { isSliced, UNKNOWN_AGE_CODE } from './age-slices.js';
import { hasBit } from './bits.js';
import type { IndexData } from './index-data.js';
import { KEY_FIELDS, type AgeProfiles, type ProfileTable, type Profiles, type RowKeys, type RunUnit } from './profile-tables.js';
import { createTupleTable, internTuple } from './tuple-table.js';

/**
 * A table is kept while its size (the keys listed over all its profiles; for
 * the key table, its keys) is at most the bitmaps' words: visiting it then
 * costs at most about one bitmap pass,
 * about what an unstratified count costs (COUNT-INDEX.md). Donors' profiles
 * are too varied for that in the synthetic catalogues (1.06 M entries for
 * 0.3 M words at 10 M rows); roots' are not (60 k).
 */
function sizeLimit(rows: number): number {
  // Small catalogues keep their tables whatever their size (both ways take microseconds).
  return Math.max(4096, rows / 32);
}

/**
 * The (profile, age) table is kept up to this many entries per unit of that
 * limit: a query visits every entry (~2.5 ns each, branch-free), against
 * ~20 ns per bitmap word for the group counting it replaces (COUNT-INDEX.md).
 */
const AGE_ENTRIES_PER_LIMIT = 4;
/** A run's age code while none of its rows was seen, and once two differ. */
const NO_AGE = -2;
const MIXED_AGES = -3;

function createRowKeys(): RowKeys {
  const codes = Object.fromEntries(KEY_FIELDS.map((f) => [f, []])) as unknown as RowKeys['codes'];
  return { codes, rows: [], tuples: createTupleTable() };
}

/** The id of the key with these codes ({@link KEY_FIELDS} order), added when new. */
function keyIdOf(keys: RowKeys, codes: ArrayLike<number>): number {
  const id = internTuple(keys.tuples, codes, KEY_FIELDS.length);
  if (id === keys.rows.length) {
    keys.rows.push(0);
    KEY_FIELDS.forEach((field, i) => keys.codes[field].push(codes[i] as number));
  }
  return id;
}

function createProfileTable(): ProfileTable {
  return { profiles: createTupleTable(), runs: [] };
}

/**
 * The distinct keys of a run, ascending. A typed array reused run after run:
 * a JS array emptied per run reallocated its storage each time, and that
 * garbage doubled the young generation during the build (+16 MB RSS).
 */
interface KeySet {
  at: Int32Array;
  length: number;
}

function createKeySet(): KeySet {
  return { at: new Int32Array(16), length: 0 };
}

function addKey(set: KeySet, key: number): void {
  let i = set.length;
  while (i > 0 && (set.at[i - 1] as number) > key) i--;
  if (i > 0 && set.at[i - 1] === key) return;
  if (set.length === set.at.length) {
    const wider = new Int32Array(set.at.length * 2);
    wider.set(set.at);
    set.at = wider;
  }
  set.at.copyWithin(i + 1, i, set.length);
  set.at[i] = key;
  set.length++;
}

/** Adds `delta` runs to the profile with these keys and returns its id; none (-1) when there are no keys. */
function addRun(table: ProfileTable, keys: KeySet, delta: number): number {
  if (keys.length === 0) return -1;
  const id = internTuple(table.profiles, keys.at, keys.length);
  if (id === table.runs.length) table.runs.push(0);
  table.runs[id] = (table.runs[id] as number) + delta;
  return id;
}

/** A run's distinct keys, its distinct (key, age) pairs, and its age code ({@link MIXED_AGES} when several). */
interface RunKeys {
  keys: KeySet;
  pairs: KeySet;
  age: number;
}

function createRunKeys(): RunKeys {
  return { keys: createKeySet(), pairs: createKeySet(), age: NO_AGE };
}

/** The age code of rows with codes `a` and `b` together. */
function joinAges(a: number, b: number): number {
  return a === NO_AGE ? b : b === NO_AGE || a === b ? a : MIXED_AGES;
}

/** As {@link addRun}, and to the root's age entry in `byAge` when kept: (profile, age), or its pairs when its ages differ. */
function addRootRun(table: ProfileTable, byAge: AgeProfiles | null, run: RunKeys, delta: number): void {
  const id = addRun(table, run.keys, delta);
  if (id < 0 || byAge === null) return;
  if (run.age === MIXED_AGES) addRun(byAge.mixed, run.pairs, delta);
  else addAgeRun(byAge.uniform, id, run.age, delta);
}

/**
 * Collects keys and profiles during the build's row pass: one `row` per row,
 * `endRoot` after each root's rows within a donor, `endDonor` after each donor's.
 */
export interface ProfileBuilder {
  /** `age`: the row's age code as the age column stores it (255 unknown), -1 when it has none. */
  row(uses: number, material: number, sex: number, temperature: number, status: number, collection: number, age: number): void;
  endRoot(): void;
  endDonor(): void;
  finish(): Profiles | null;
}

/** For a build of `rows` rows. */
export function createProfileBuilder(rows: number): ProfileBuilder {
  const limit = sizeLimit(rows);
  const keys = createRowKeys();
  // Dropped (null) as soon as they outgrow the limit, so the rest of the build skips them.
  let specimens: ProfileTable | null = createProfileTable();
  let donors: ProfileTable | null = createProfileTable();
  // Dropped as soon as an age has no code, or the tables outgrow their limits.
  let byAge: AgeProfiles | null = { uniform: createAgeProfileTable(), mixed: createProfileTable() };
  const kept = (table: ProfileTable | null): ProfileTable | null => (table === null || table.profiles.values.length > limit ? null : table);
  const keptByAge = (): AgeProfiles | null =>
    specimens === null || byAge === null || byAge.uniform.length > AGE_ENTRIES_PER_LIMIT * limit || kept(byAge.mixed) === null ? null : byAge;
  const root = createRunKeys();
  const donorKeys = createKeySet();
  // Consecutive rows mostly share their key (rows are sorted by root, material, temperature).
  const codes = [-1, -1, -1, -1, -1, -1];
  let last = -1;
  // False after a run ends: the next row's key, even if the same as the last one, is new to the run.
  let inRun = false;
  // A row of another age than the last one's is a new (key, age) pair for the run, even with the same key.
  let lastAge = -1;
  return {
    row(uses, material, sex, temperature, status, collection, age) {
      if (age < 0) byAge = null;
      if (age !== lastAge) {
        lastAge = age;
        inRun = false;
      }
      if (uses !== codes[0] || material !== codes[1] || sex !== codes[2] || temperature !== codes[3] || status !== codes[4] || collection !== codes[5]) {
        codes[0] = uses;
        codes[1] = material;
        codes[2] = sex;
        codes[3] = temperature;
        codes[4] = status;
        codes[5] = collection;
        last = keyIdOf(keys, codes);
        inRun = false;
      }
      keys.rows[last] = (keys.rows[last] as number) + 1;
      if (inRun) return;
      addKey(root.keys, last);
      addKey(root.pairs, last * 256 + age);
      root.age = joinAges(root.age, age);
      addKey(donorKeys, last);
      inRun = true;
    },
    endRoot() {
      if (specimens !== null) {
        addRootRun(specimens, byAge, root, 1);
        specimens = kept(specimens);
        byAge = keptByAge();
      }
      root.keys.length = 0;
      root.pairs.length = 0;
      root.age = NO_AGE;
      inRun = false;
    },
    endDonor() {
      if (donors !== null) {
        addRun(donors, donorKeys, 1);
        donors = kept(donors);
      }
      donorKeys.length = 0;
    },
    finish() {
      if (keys.rows.length > limit) return null;
      specimens = kept(specimens);
      return { keys, specimens, donors: kept(donors), specimensByAge: keptByAge() };
    },
  };
}

/** A row's key id, read back from the index's columns and bitmaps. */
function keyOfRow(data: IndexData, profiles: Profiles, row: number): number {
  let uses = 0;
  data.useBits.forEach((bits, bit) => {
    if (bits !== undefined && hasBit(bits, row)) uses |= 1 << bit;
  });
  const status = data.valueBits.status.findIndex((bits) => bits !== undefined && hasBit(bits, row));
  const d = data.dimensions;
  return keyIdOf(profiles.keys, [uses >>> 0, d.material_type[row] as number, d.sex[row] as number, d.storage_temperature[row] as number, status, data.collection[row] as number]);
}

/** The rows of the run holding `row`: [from, to). */
function runRanges(data: IndexData, unit: RunUnit, row: number): [number, number] {
  const starts = unit === 'donors' ? data.donorStarts : data.rootStarts;
  let from = row;
  while (from > 0 && !hasBit(starts, from)) from--;
  let to = row + 1;
  while (to < data.rows && !hasBit(starts, to)) to++;
  return [from, to];
}

/** The keys of a run's alive rows, with their ages. */
function aliveKeys(data: IndexData, profiles: Profiles, ranges: readonly number[]): RunKeys {
  const run = createRunKeys();
  for (let i = 0; i < ranges.length; i += 2) {
    for (let row = ranges[i] as number; row < (ranges[i + 1] as number); row++) {
      if (!hasBit(data.alive, row)) continue;
      const key = keyOfRow(data, profiles, row);
      const age = ageCodeOf(data, row);
      addKey(run.keys, key);
      addKey(run.pairs, key * 256 + age);
      run.age = joinAges(run.age, age);
    }
  }
  return run;
}

/**
 * Keeps `data.profiles` exact while `clear` stops counting `rows`: the runs
 * holding them drop their profile before and take the one left after.
 */
export function withdrawFromProfiles(data: IndexData, rows: readonly number[], clear: () => void): void {
  const profiles = data.profiles;
  if (profiles === null) return clear();
  const touched: { unit: RunUnit; table: ProfileTable; ranges: readonly number[]; before: RunKeys }[] = [];
  for (const unit of ['specimens', 'donors'] as const) {
    const table = profiles[unit];
    if (table === null) continue;
    const seen = new Set<number>();
    for (const row of rows) {
      const ranges = runRanges(data, unit, row);
      if (seen.has(ranges[0] as number)) continue;
      seen.add(ranges[0] as number);
      touched.push({ unit, table, ranges, before: aliveKeys(data, profiles, ranges) });
    }
  }
  for (const row of rows) {
    if (!hasBit(data.alive, row)) continue;
    const key = keyOfRow(data, profiles, row);
    profiles.keys.rows[key] = (profiles.keys.rows[key] as number) - 1;
  }
  clear();
  for (const { unit, table, ranges, before } of touched) {
    const byAge = unit === 'specimens' ? profiles.specimensByAge : null;
    addRootRun(table, byAge, before, -1);
    addRootRun(table, byAge, aliveKeys(data, profiles, ranges), 1);
  }
}

/** A row's age code, read back from the age slices (the age tables are only kept while ages have codes). */
function ageCodeOf(data: IndexData, row: number): number {
  const age = data.age;
  if (!isSliced(age)) return UNKNOWN_AGE_CODE;
  let code = 0;
  age.slices.forEach((slice, bit) => {
    if (hasBit(slice, row)) code |= 1 << bit;
  });
  return code;
}
