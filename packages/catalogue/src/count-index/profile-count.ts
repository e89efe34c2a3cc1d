/**
 * Answers categorical-only queries from the profile tables (profiles.ts):
 * the where-expression is evaluated once per distinct row key, then each
 * distinct profile adds its runs to the total when one of its keys matches,
 * and to each stratum a matching key of it falls in (once per stratum). The
 * same answer as counting the runs holding matched rows: a run's matched rows
 * are its rows whose key matches, and their strata are those keys' strata.
 */
import { isUseCategory, useBit, type Dimension, type Expr, type Query } from '@biospec/query';
import { IN_FIELDS } from './evaluate.js';
import type { IndexData } from './index-data.js';
import type { KeyField, Profiles, RowKeys } from './profile-tables.js';

/** Stratify dimensions that are key fields. */
const KEY_DIMENSIONS: Partial<Record<Dimension, KeyField>> = {
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
export function answersFromProfiles(query: Query, data: IndexData): boolean {
  const profiles = data.profiles;
  if (profiles === null) return false;
  if (query.unit !== 'aliquots' && profiles[query.unit] === null) return false;
  if (!(query.stratify ?? []).every((d) => KEY_DIMENSIONS[d] !== undefined)) return false;
  return query.where === undefined || onKeysOnly(query.where);
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
  dimensions: readonly Dimension[];
  strides: readonly number[];
  size: number;
}

/**
 * The total and, when `strata` is given, the count per stratum number, of a
 * query {@link answersFromProfiles} accepts.
 */
export function countFromProfiles(query: Query, data: IndexData, strata: StratumNumbering | null): { total: number; counts: Float64Array | null } {
  const profiles = data.profiles as Profiles;
  const keys = profiles.keys;
  const hits = query.where === undefined ? new Uint8Array(keys.rows.length).fill(1) : keysMatching(query.where, data, keys);
  // Per key: its stratum number when it matches, else -1.
  const stratumOf = new Int32Array(keys.rows.length);
  strata?.dimensions.forEach((d, i) => {
    const codes = keys.codes[KEY_DIMENSIONS[d] as KeyField];
    const stride = strata.strides[i] as number;
    for (let k = 0; k < stratumOf.length; k++) stratumOf[k] = (stratumOf[k] as number) + (codes[k] as number) * stride;
  });
  for (let k = 0; k < stratumOf.length; k++) if (hits[k] === 0) stratumOf[k] = -1;
  const counts = strata === null ? null : new Float64Array(strata.size);
  let total = 0;

  if (query.unit === 'aliquots') {
    for (let k = 0; k < stratumOf.length; k++) {
      const s = stratumOf[k] as number;
      if (s < 0) continue;
      const rows = keys.rows[k] as number;
      total += rows;
      if (counts !== null) counts[s] = (counts[s] as number) + rows;
    }
    return { total, counts };
  }

  const { profiles: table, runs } = profiles[query.unit] as NonNullable<Profiles['specimens']>;
  const { values: entries, offsets } = table;
  if (counts === null) {
    for (let p = 0; p < runs.length; p++) {
      for (let e = offsets[p] as number, end = offsets[p + 1] as number; e < end; e++) {
        if ((stratumOf[entries[e] as number] as number) >= 0) {
          total += runs[p] as number;
          break;
        }
      }
    }
    return { total, counts };
  }
  // The profile that last counted each stratum: a profile's keys may share one.
  const lastProfile = new Int32Array(counts.length).fill(-1);
  for (let p = 0; p < runs.length; p++) {
    const n = runs[p] as number;
    let any = false;
    for (let e = offsets[p] as number, end = offsets[p + 1] as number; e < end; e++) {
      const s = stratumOf[entries[e] as number] as number;
      if (s < 0) continue;
      any = true;
      if (lastProfile[s] !== p) {
        lastProfile[s] = p;
        counts[s] = (counts[s] as number) + n;
      }
    }
    if (any) total += n;
  }
  return { total, counts };
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
