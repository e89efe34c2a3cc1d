/**
 * Evaluates a query's where-expression over an {@link IndexData}, one 32-row
 * word at a time. Each node is a function of (word, care) returning the rows
 * of `care` it matches: AND narrows `care` child by child and stops at zero,
 * so per-row tests run only on rows every cheaper test already kept.
 * Semantics are the SQL path's (compile.ts): every test is two-valued, so NOT
 * keeps exactly the rows its argument does not, unknown values included.
 */
import { BiospecError } from '@biospec/protocol';
import { icd10IsUnder, isUseCategory, useBit, type Expr } from '@biospec/query';
import { dayNumber } from '../compile.js';
import type { CodeKind } from '../codebook.js';
import { dateBaseYear, dateKey, unknownAge, unknownDate } from './columns.js';
import type { BitmapField, IndexData } from './index-data.js';
import { orInto, rowSetSize, type RowSet } from './row-set.js';

/** Matching rows of word `w` among `care`. */
export type WordTest = (w: number, care: number) => number;

interface Node {
  test: WordTest;
  /** Estimated share of rows matched, for ordering AND's children (per-row tests last). */
  cost: number;
}

const NONE: Node = { test: () => 0, cost: 0 };
const ALL: Node = { test: (_w, care) => care, cost: 1 };
/** Per-row tests cost more than any bitmap lookup, whatever their selectivity. */
const ROW_TEST_COST = 2;

const IN_FIELDS: Record<string, { kind: CodeKind; bitmap: BitmapField | null }> = {
  material_type: { kind: 'material_type', bitmap: 'material_type' },
  sex: { kind: 'sex', bitmap: 'sex' },
  storage_temperature: { kind: 'storage_temperature', bitmap: 'storage_temperature' },
  status: { kind: 'status', bitmap: 'status' },
  collection_id: { kind: 'collection', bitmap: null },
};

/** Bitmaps built for a query (unions of code row sets), reused while the index lives. */
export type UnionCache = Map<string, Uint32Array>;
const UNION_CACHE_LIMIT = 32;

/** Compiles `expr` into a word test over `data`. */
export function compileWordTest(expr: Expr, data: IndexData, unions: UnionCache): WordTest {
  return compileNode(expr, data, unions).test;
}

function compileNode(expr: Expr, data: IndexData, unions: UnionCache): Node {
  switch (expr.op) {
    case 'and': {
      const children = expr.args.map((arg) => compileNode(arg, data, unions)).sort((a, b) => a.cost - b.cost);
      if (children.length === 0) return ALL;
      if (children.some((c) => c === NONE)) return NONE;
      const tests = children.map((c) => c.test);
      const cost = Math.min(...children.map((c) => c.cost));
      if (tests.length === 1) return children[0] as Node;
      return {
        cost,
        test(w, care) {
          let acc = care;
          for (let i = 0; i < tests.length && acc !== 0; i++) acc = (tests[i] as WordTest)(w, acc);
          return acc;
        },
      };
    }
    case 'or': {
      const children = expr.args.map((arg) => compileNode(arg, data, unions)).filter((c) => c !== NONE);
      if (children.length === 0) return NONE;
      if (children.length === 1) return children[0] as Node;
      const tests = children.map((c) => c.test);
      return {
        cost: Math.max(...children.map((c) => c.cost)),
        test(w, care) {
          let acc = 0;
          for (let i = 0; i < tests.length && acc !== care; i++) acc |= (tests[i] as WordTest)(w, care & ~acc);
          return acc;
        },
      };
    }
    case 'not': {
      const child = compileNode(expr.arg, data, unions);
      if (child === NONE) return ALL;
      const test = child.test;
      return { cost: child.cost >= ROW_TEST_COST ? ROW_TEST_COST : 1 - child.cost, test: (w, care) => care & ~test(w, care) };
    }
    case 'in':
      return inNode(expr.field, expr.values as readonly string[], data);
    case 'age_range':
      return ageNode(data, expr.min ?? -Infinity, expr.max ?? Infinity);
    case 'collected_between':
      return dateNode(data, expr.from, expr.to);
    case 'diagnosis':
      return codeSetNode(data, unions, 'diagnosis', data.diagnosis, expr.codes);
    case 'anatomical_site':
      return codeSetNode(data, unions, 'anatomical_site', data.anatomicalSite, expr.codes);
    case 'consent_permits': {
      if (!isUseCategory(expr.use)) return NONE;
      const bits = data.useBits[31 - Math.clz32(useBit(expr.use))];
      return bits === undefined ? NONE : bitmapNode(bits, 0.5);
    }
    case 'min_quantity':
      return quantityNode(data, expr.value);
    default:
      throw new BiospecError('INVALID_QUERY', `unknown operator '${String((expr as { op: unknown }).op)}'`);
  }
}

function bitmapNode(bits: Uint32Array, share: number): Node {
  return { cost: share, test: (w, care) => (bits[w] as number) & care };
}

function inNode(field: string, values: readonly string[], data: IndexData): Node {
  const target = IN_FIELDS[field];
  if (target === undefined) throw new BiospecError('INVALID_QUERY', `unknown field '${field}'`);
  const known = data.codes.get(target.kind) as Map<string, number>;
  const codes = [...new Set(values.map((v) => known.get(v)).filter((c): c is number => c !== undefined))];
  if (target.bitmap === null) {
    if (codes.length === 0) return NONE;
    const wanted = new Uint8Array(Math.max(...codes) + 1);
    for (const code of codes) wanted[code] = 1;
    const column = data.collection;
    return perRow((row) => wanted[column[row] as number] === 1);
  }
  const field_ = target.bitmap;
  const present = codes.filter((c) => data.valueBits[field_][c] !== undefined);
  const maps = present.map((c) => data.valueBits[field_][c] as Uint32Array);
  if (maps.length === 0) return NONE;
  const share = present.reduce((sum, c) => sum + (data.valueCounts[field_][c] ?? 0), 0) / Math.max(1, data.rows);
  if (maps.length === 1) return bitmapNode(maps[0] as Uint32Array, share);
  if (maps.length === 2) {
    const [a, b] = maps as [Uint32Array, Uint32Array];
    return { cost: share, test: (w, care) => ((a[w] as number) | (b[w] as number)) & care };
  }
  return {
    cost: share,
    test(w, care) {
      let any = 0;
      for (let i = 0; i < maps.length; i++) any |= (maps[i] as Uint32Array)[w] as number;
      return any & care;
    },
  };
}

/** A per-row test applied to the rows of `care` only. */
function perRow(matches: (row: number) => boolean): Node {
  return {
    cost: ROW_TEST_COST,
    test(w, care) {
      let out = 0;
      const base = w << 5;
      for (let left = care; left !== 0; ) {
        const bit = left & -left;
        left ^= bit;
        if (matches(base + 31 - Math.clz32(bit))) out |= bit;
      }
      return out;
    },
  };
}

function ageNode(data: IndexData, min: number, max: number): Node {
  const ages = data.age;
  const unknown = unknownAge(ages);
  return perRow((row) => {
    const age = ages[row] as number;
    return age !== unknown && age >= min && age <= max;
  });
}

function dateNode(data: IndexData, from: string | undefined, to: string | undefined): Node {
  const starts = data.collectedStart;
  const ends = data.collectedEnd;
  const base = dateBaseYear(starts);
  const unknown = unknownDate(starts);
  const low = from === undefined ? -Infinity : dateKey(dayNumber(from), base);
  const high = to === undefined ? Infinity : dateKey(dayNumber(to), base);
  return perRow((row) => {
    const start = starts[row] as number;
    return start !== unknown && start >= low && (ends[row] as number) <= high;
  });
}

function quantityNode(data: IndexData, value: number): Node {
  const quantities = data.quantity;
  return perRow((row) => (quantities[row] as number) >= value);
}

/** Rows carrying any stored code that is one of `ancestors` or a descendant of one. */
function codeSetNode(
  data: IndexData,
  unions: UnionCache,
  kind: string,
  sets: Map<string, RowSet>,
  ancestors: readonly string[],
): Node {
  const matching = [...sets.keys()].filter((name) => ancestors.some((a) => icd10IsUnder(name, a))).sort();
  if (matching.length === 0) return NONE;
  const size = matching.reduce((sum, name) => sum + rowSetSize(sets.get(name) as RowSet), 0);
  const only = matching.length === 1 ? (sets.get(matching[0] as string) as RowSet) : undefined;
  if (only?.kind === 'bitmap') return bitmapNode(only.bits, size / Math.max(1, data.rows));
  const key = `${kind}\u0000${matching.join('\u0000')}`;
  let bits = unions.get(key);
  if (bits === undefined) {
    bits = new Uint32Array(data.words);
    for (const name of matching) orInto(bits, sets.get(name) as RowSet);
    if (unions.size >= UNION_CACHE_LIMIT) unions.delete(unions.keys().next().value as string);
    unions.set(key, bits);
  }
  return bitmapNode(bits, size / Math.max(1, data.rows));
}
