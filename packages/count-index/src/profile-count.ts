/**
 * Answers categorical-only queries from the profile tables (profiles.ts):
 * the where-expression is evaluated once per distinct row key, then each
 * distinct profile adds its runs to the total when one of its keys matches,
 * and to each stratum a matching key of it falls in (once per stratum). The
 * same answer as counting the runs holding matched rows: a run's matched rows
 * are its rows whose key matches, and their strata are those keys' strata.
 *
 * Specimens: a where-expression that is an AND of such tests and age ranges
 * is answered the same way from the table split by age (age-profiles.ts):
 * a root of one age counts with its profile when its age is in every range;
 * a root of several ages has, in place of keys, its (key, age) pairs, of which
 * those in range count as their key does.
 */
import { isUseCategory, useBit, type CountQuestion, type Expr, type StrataDimension } from '@biospec/query/model';
import { runsInAgeRange } from './age-profiles.js';
import { UNKNOWN_AGE_CODE } from './age-slices.js';
import { IN_FIELDS } from './evaluate.js';
import type { IndexData } from './index-data.js';
import type { AgeProfiles, KeyField, ProfileTable, Profiles, RowKeys } from './profile-tables.js';
import type { TupleTable } from './tuple-table.js';

/** Stratify dimensions that are key fields. */
const KEY_DIMENSIONS: Partial<Record<StrataDimension, KeyField>> = {
  collection_id: 'collection',
  material_type: 'material_type',
  sex: 'sex',
  storage_temperature: 'storage_temperature',
};

/**
 * The key field an `in` test on `field` reads: every `in` field of the bitmap
 * path (evaluate.ts) is a key field named as its code kind.
 */
function keyFieldOf(field: string): KeyField | undefined {
  return IN_FIELDS[field]?.kind as KeyField | undefined;
}

/** True when `query` is answered from the profile tables of `data`, not from its rows. */
export function answersFromProfiles(query: CountQuestion, data: IndexData): boolean {
  const profiles = data.profiles;
  if (profiles === null) return false;
  if (query.unit !== 'aliquots' && profiles[query.unit] === null) return false;
  if (!(query.stratify ?? []).every((d) => KEY_DIMENSIONS[d] !== undefined)) return false;
  if (query.where === undefined || onKeysOnly(query.where)) return true;
  return query.unit === 'specimens' && profiles.specimensByAge !== null && ageConjunction(query.where) !== null;
}

/**
 * An AND (nested ANDs flattened) of key tests and at least one age range:
 * the key tests as one expression, and the whole-year codes every range
 * admits (clamped as evaluate.ts does; low > high when none). Else null.
 */
function ageConjunction(expr: Expr): { keys: Expr; low: number; high: number } | null {
  const conjuncts: Expr[] = [];
  const flatten = (e: Expr): void => {
    if (e.op === 'and') e.args.forEach(flatten);
    else conjuncts.push(e);
  };
  flatten(expr);
  const keys = conjuncts.filter(onKeysOnly);
  const ranges = conjuncts.filter((e) => e.op === 'age_range');
  if (ranges.length === 0 || keys.length + ranges.length !== conjuncts.length) return null;
  let low = 0;
  let high = UNKNOWN_AGE_CODE - 1;
  for (const range of ranges) {
    low = Math.max(low, Math.ceil(range.min ?? -Infinity));
    high = Math.min(high, Math.floor(range.max ?? Infinity));
  }
  return { keys: { op: 'and', args: keys }, low, high };
}

function onKeysOnly(expr: Expr): boolean {
  switch (expr.op) {
    case 'and':
    case 'or':
      return expr.args.every(onKeysOnly);
    case 'not':
      return onKeysOnly(expr.arg);
    case 'in':
      return keyFieldOf(expr.field) !== undefined;
    case 'consent_permits':
      return true;
    default:
      return false;
  }
}

/** How strata are numbered (count.ts): the sum over dimensions of code × stride. */
export interface StratumNumbering {
  dimensions: readonly StrataDimension[];
  strides: readonly number[];
  size: number;
}

/**
 * The total and, when `strata` is given, the count per stratum number (added
 * to `counts`), of a query {@link answersFromProfiles} accepts.
 */
export function countFromProfiles(query: CountQuestion, data: IndexData, strata: StratumNumbering | null, counts: Float64Array | null): number {
  const profiles = data.profiles as Profiles;
  const keys = profiles.keys;
  const byAge = query.where === undefined || onKeysOnly(query.where) ? null : ageConjunction(query.where);
  const where = byAge === null ? query.where : byAge.keys;
  const hits = where === undefined ? new Uint8Array(keys.rows.length).fill(1) : keysMatching(where, data, keys);
  // Per key: its stratum number when it matches, else -1.
  const stratumOf = new Int32Array(keys.rows.length);
  strata?.dimensions.forEach((d, i) => {
    const codes = keys.codes[KEY_DIMENSIONS[d] as KeyField];
    const stride = strata.strides[i] as number;
    for (let k = 0; k < stratumOf.length; k++) stratumOf[k] = (stratumOf[k] as number) + (codes[k] as number) * stride;
  });
  for (let k = 0; k < stratumOf.length; k++) if (hits[k] === 0) stratumOf[k] = -1;
  let total = 0;

  if (query.unit === 'aliquots') {
    for (let k = 0; k < stratumOf.length; k++) {
      const s = stratumOf[k] as number;
      if (s < 0) continue;
      const rows = keys.rows[k] as number;
      total += rows;
      if (counts !== null) counts[s] = (counts[s] as number) + rows;
    }
    return total;
  }

  const table = profiles[query.unit] as ProfileTable;
  if (byAge === null) return countProfiles(table.profiles, table.runs, (key) => stratumOf[key] as number, counts);
  const { low, high } = byAge;
  const { uniform, mixed } = profiles.specimensByAge as AgeProfiles;
  // Roots of one age: their profile's entries in range. Roots of several: their (key, age) pairs in range.
  const inRange = low <= high ? runsInAgeRange(uniform, table.runs.length, low, high) : new Int32Array(table.runs.length);
  total = countProfiles(table.profiles, inRange, (key) => stratumOf[key] as number, counts);
  total += countProfiles(mixed.profiles, mixed.runs, (pair) => ((pair & 255) >= low && (pair & 255) <= high ? (stratumOf[pair >>> 8] as number) : -1), counts);
  return total;
}

/**
 * Adds each profile's runs to the total when one of its entries has a
 * stratum (≥ 0: it matches), and to `counts` of each distinct such stratum.
 */
function countProfiles(table: TupleTable, runs: ArrayLike<number>, stratumOf: (entry: number) => number, counts: Float64Array | null): number {
  const { values, offsets } = table;
  // The profile that last counted each stratum: a profile's entries may share one.
  const lastProfile = counts === null ? null : new Int32Array(counts.length).fill(-1);
  let total = 0;
  for (let p = 0; p < runs.length; p++) {
    const n = runs[p] as number;
    let any = false;
    for (let e = offsets[p] as number, end = offsets[p + 1] as number; e < end; e++) {
      const s = stratumOf(values[e] as number);
      if (s < 0) continue;
      any = true;
      if (counts === null || lastProfile === null) break;
      if (lastProfile[s] !== p) {
        lastProfile[s] = p;
        counts[s] = (counts[s] as number) + n;
      }
    }
    if (any) total += n;
  }
  return total;
}

/** 1 for each key the expression matches, with the bitmap path's semantics (evaluate.ts). */
function keysMatching(expr: Expr, data: IndexData, keys: RowKeys): Uint8Array {
  const n = keys.rows.length;
  switch (expr.op) {
    case 'and': {
      const out = new Uint8Array(n).fill(1);
      for (const arg of expr.args) {
        const hits = keysMatching(arg, data, keys);
        for (let k = 0; k < n; k++) out[k] = (out[k] as number) & (hits[k] as number);
      }
      return out;
    }
    case 'or': {
      const out = new Uint8Array(n);
      for (const arg of expr.args) {
        const hits = keysMatching(arg, data, keys);
        for (let k = 0; k < n; k++) out[k] = (out[k] as number) | (hits[k] as number);
      }
      return out;
    }
    case 'not': {
      const out = keysMatching(expr.arg, data, keys);
      for (let k = 0; k < n; k++) out[k] = 1 - (out[k] as number);
      return out;
    }
    case 'in': {
      const field = keyFieldOf(expr.field) as KeyField;
      const known = data.codes.get(IN_FIELDS[expr.field]!.kind) as Map<string, number>;
      const wanted = new Set((expr.values as readonly string[]).map((v) => known.get(v)));
      const codes = keys.codes[field];
      const out = new Uint8Array(n);
      for (let k = 0; k < n; k++) out[k] = wanted.has(codes[k]) ? 1 : 0;
      return out;
    }
    case 'consent_permits': {
      const out = new Uint8Array(n);
      if (!isUseCategory(expr.use)) return out;
      const bit = 31 - Math.clz32(useBit(expr.use));
      const uses = keys.codes.uses;
      for (let k = 0; k < n; k++) out[k] = ((uses[k] as number) >>> bit) & 1;
      return out;
    }
    default:
      throw new Error(`not a key expression: ${expr.op}`);
  }
}
