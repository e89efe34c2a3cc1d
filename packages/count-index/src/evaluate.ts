/**
 * Evaluates a query's where-expression over an {@link IndexData} as bitmap
 * passes. Each node narrows a bitmap of candidate rows in place: AND narrows
 * child by child, cheapest and most selective first, so per-row tests (dates,
 * quantities, collections) run only on rows every bitmap test already kept.
 * ICD-10 code sets, and age ranges asked more than once, become bitmaps of
 * their own, cached while the index lives (bitmap-cache.ts); an age range
 * asked for the first time is tested 32 rows at a time on the listed words.
 * Semantics are the SQL path's (compile.ts): every test is two-valued, so NOT
 * keeps exactly the rows its argument does not, unknown values included. An
 * AND with per-row tests, or expected to keep few rows, lists the words its
 * bitmap pass left non-zero (word-list.ts), so the per-row tests and the final
 * count visit only those.
 */
import { BiospecError } from '@biospec/protocol/core';
import { icd10IsUnder, isUseCategory, useBit, type Expr } from '@biospec/query/model';
import { ageRangeBitmap, isSliced, narrowAgeRange, UNKNOWN_AGE_CODE } from './age-slices.js';
import type { BitmapCache } from './bitmap-cache.js';
import { dateBaseYear, dateKey, unknownDate } from './columns.js';
import type { BitmapField, IndexData } from './index-data.js';
import { orInto, rowSetSize, type RowSet } from './row-set.js';
import { dayNumber, type IndexCodeKind } from './row-source.js';
import { createWordList, listNonZero, nonZero, type WordList } from './word-list.js';

/**
 * Narrows `rows` (a bitmap) in place to the rows matching the node. `pool`
 * lends scratch bitmaps of the same length for OR and NOT. `words` lists the
 * words of `rows` that may be non-zero once `known`; a node may list them
 * (then later nodes and the count use the list) and keeps the list valid.
 */
export type Narrow = (rows: Uint32Array, pool: BitmapPool, words: WordList) => void;

/** Scratch bitmaps and word lists, reused across counts. */
export interface BitmapPool {
  take(): Uint32Array;
  give(bits: Uint32Array): void;
  /** A word list with nothing listed yet. */
  takeList(): WordList;
  giveList(list: WordList): void;
}

export function createBitmapPool(words: number): BitmapPool {
  const free: Uint32Array[] = [];
  const freeLists: WordList[] = [];
  return {
    take: () => free.pop() ?? new Uint32Array(words),
    give: (bits) => void free.push(bits),
    takeList() {
      const list = freeLists.pop() ?? createWordList(words);
      list.known = false;
      return list;
    },
    giveList: (list) => void freeLists.push(list),
  };
}

interface Node {
  narrow: Narrow;
  /** Set when the node is one plain bitmap, so AND can fuse several into one pass. */
  bits?: Uint32Array;
  /** Estimated share of rows matched, for ordering AND's children (per-row tests last). */
  cost: number;
  /** Set when the node visits only the listed words once they are known (per-row tests). */
  usesList?: boolean;
}

const NONE: Node = { narrow: (rows) => void rows.fill(0), cost: 0 };
const ALL: Node = { narrow: () => undefined, cost: 1 };
/** Per-row tests cost more than any bitmap pass, whatever their selectivity. */
const ROW_TEST_COST = 2;
/**
 * An AND expected (its children's shares multiplied, as if independent) to
 * keep at most this share of rows lists its words: about one row in 32 or
 * fewer leaves most words empty.
 */
const SPARSE_SHARE = 1 / 32;

export const IN_FIELDS: Record<string, { kind: IndexCodeKind; bitmap: BitmapField | null }> = {
  material_type: { kind: 'material_type', bitmap: 'material_type' },
  sex: { kind: 'sex', bitmap: 'sex' },
  storage_temperature: { kind: 'storage_temperature', bitmap: 'storage_temperature' },
  status: { kind: 'status', bitmap: 'status' },
  collection_id: { kind: 'collection', bitmap: null },
};

/** Compiles `expr` into an in-place narrowing of a bitmap of candidate rows. */
export function compileNarrow(expr: Expr, data: IndexData, cache: BitmapCache): Narrow {
  return compileNode(expr, data, cache).narrow;
}

function compileNode(expr: Expr, data: IndexData, cache: BitmapCache): Node {
  switch (expr.op) {
    case 'and': {
      const children = expr.args.map((arg) => compileNode(arg, data, cache)).sort((a, b) => a.cost - b.cost);
      if (children.some((c) => c === NONE)) return NONE;
      const maps = children.flatMap((c) => (c.bits === undefined ? [] : [c.bits]));
      const rest = children.filter((c) => c !== ALL && c.bits === undefined);
      if (maps.length === 0 && rest.length === 0) return ALL;
      const narrows = rest.map((c) => c.narrow);
      const bitmapPass = maps.length > 0 ? fusedAnd(maps) : null;
      // Listing costs a little in the bitmap pass and saves the per-row tests' skips over empty words.
      const usesList = rest.some((c) => c.usesList === true);
      // A sparse result is listed for the count as well, which then skips the empty words (the selective query).
      const share = maps.length === 0 ? 1 : children.reduce((product, c) => product * Math.min(1, c.cost), 1);
      const lists = usesList || share <= SPARSE_SHARE;
      return {
        cost: Math.min(...children.map((c) => c.cost)),
        usesList,
        narrow(rows, pool, words) {
          const list = lists && !words.known ? words : null;
          if (bitmapPass !== null) bitmapPass(rows, list);
          else if (list !== null) listNonZero(rows, list);
          for (const narrow of narrows) narrow(rows, pool, words);
        },
      };
    }
    case 'or': {
      const children = expr.args.map((arg) => compileNode(arg, data, cache)).filter((c) => c !== NONE);
      if (children.length === 0) return NONE;
      if (children.some((c) => c === ALL)) return ALL;
      if (children.length === 1) return children[0] as Node;
      const narrows = children.map((c) => c.narrow);
      return {
        cost: Math.max(...children.map((c) => c.cost)),
        narrow(rows, pool) {
          const matched = pool.take().fill(0);
          const part = pool.take();
          const partWords = pool.takeList();
          for (const narrow of narrows) {
            for (let w = 0; w < rows.length; w++) part[w] = (rows[w] as number) & ~(matched[w] as number);
            partWords.known = false;
            narrow(part, pool, partWords);
            for (let w = 0; w < rows.length; w++) matched[w] = (matched[w] as number) | (part[w] as number);
          }
          rows.set(matched);
          pool.giveList(partWords);
          pool.give(part);
          pool.give(matched);
        },
      };
    }
    case 'not': {
      const child = compileNode(expr.arg, data, cache);
      if (child === NONE) return ALL;
      if (child === ALL) return NONE;
      const narrowChild = child.narrow;
      return {
        cost: child.cost >= ROW_TEST_COST ? ROW_TEST_COST : 1 - child.cost,
        narrow(rows, pool) {
          const inner = pool.take();
          inner.set(rows);
          // A fresh list: the child lists the words of `inner` as it narrows them, not those of `rows`.
          const innerWords = pool.takeList();
          narrowChild(inner, pool, innerWords);
          for (let w = 0; w < rows.length; w++) rows[w] = (rows[w] as number) & ~(inner[w] as number);
          pool.giveList(innerWords);
          pool.give(inner);
        },
      };
    }
    case 'in':
      return inNode(expr.field, expr.values as readonly string[], data);
    case 'age_range':
      return ageNode(data, cache, expr.min ?? -Infinity, expr.max ?? Infinity);
    case 'collected_between':
      return dateNode(data, expr.from, expr.to);
    case 'diagnosis':
      return codeSetNode(data, cache, 'diagnosis', data.diagnosis, expr.codes);
    case 'anatomical_site':
      return codeSetNode(data, cache, 'anatomical_site', data.anatomicalSite, expr.codes);
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

/**
 * ANDs the bitmaps (most selective first) into the candidates. Without a list
 * to fill, in full passes of up to four bitmaps each. With one, a full pass
 * ANDs only the two most selective and lists the words left non-zero; the
 * others are ANDed on the listed words alone (dropping the words they empty):
 * a selective question leaves few words after two bitmaps, and reading the
 * rest of the bitmaps in full was most of its count at 10M rows.
 */
function fusedAnd(maps: readonly Uint32Array[]): (rows: Uint32Array, list: WordList | null) => void {
  const groups: Uint32Array[][] = [];
  for (let i = 0; i < maps.length; i += 4) groups.push(maps.slice(i, i + 4));
  const [first, second = first] = maps as [Uint32Array, Uint32Array?];
  const rest = maps.slice(2);
  return (rows, list) => {
    if (list === null) {
      for (const group of groups) {
        const [a, b = a, c = a, d = a] = group as [Uint32Array, Uint32Array?, Uint32Array?, Uint32Array?];
        for (let w = 0; w < rows.length; w++) {
          rows[w] = (rows[w] as number) & (a[w] as number) & (b[w] as number) & (c[w] as number) & (d[w] as number);
        }
      }
      return;
    }
    const at = list.at;
    let n = 0;
    for (let w = 0; w < rows.length; w++) {
      const x = (rows[w] as number) & (first[w] as number) & (second[w] as number);
      rows[w] = x;
      at[n] = w;
      n += nonZero(x);
    }
    for (const bits of rest) {
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const w = at[i] as number;
        const x = (rows[w] as number) & (bits[w] as number);
        rows[w] = x;
        at[kept] = w;
        kept += nonZero(x);
      }
      n = kept;
    }
    list.length = n;
    list.known = true;
  };
}

function bitmapNode(bits: Uint32Array, share: number): Node {
  return {
    cost: share,
    bits,
    // Branch-free on purpose: matches scatter over words, so a zero test mispredicts more than it saves.
    narrow(rows) {
      for (let w = 0; w < rows.length; w++) rows[w] = (rows[w] as number) & (bits[w] as number);
    },
  };
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
  const bitmapField = target.bitmap;
  const present = codes.filter((c) => data.valueBits[bitmapField][c] !== undefined);
  const maps = present.map((c) => data.valueBits[bitmapField][c] as Uint32Array);
  if (maps.length === 0) return NONE;
  const share = present.reduce((sum, c) => sum + (data.valueCounts[bitmapField][c] ?? 0), 0) / Math.max(1, data.rows);
  if (maps.length === 1) return bitmapNode(maps[0] as Uint32Array, share);
  return {
    cost: share,
    narrow(rows) {
      for (let w = 0; w < rows.length; w++) {
        const x = rows[w] as number;
        if (x === 0) continue;
        let any = 0;
        for (let i = 0; i < maps.length; i++) any |= (maps[i] as Uint32Array)[w] as number;
        rows[w] = x & any;
      }
    },
  };
}

/**
 * A per-row test applied to the candidate rows only: the listed words when
 * known (dropping those it empties), else every non-zero word.
 */
function perRow(matches: (row: number) => boolean): Node {
  const testWord = (care: number, base: number): number => {
    let out = 0;
    for (let left = care; left !== 0; ) {
      const bit = left & -left;
      left ^= bit;
      if (matches(base + 31 - Math.clz32(bit))) out |= bit;
    }
    return out;
  };
  return {
    cost: ROW_TEST_COST,
    usesList: true,
    narrow(rows, _pool, words) {
      if (words.known) {
        const at = words.at;
        let n = 0;
        for (let i = 0; i < words.length; i++) {
          const w = at[i] as number;
          const out = testWord(rows[w] as number, w << 5);
          rows[w] = out;
          at[n] = w;
          n += nonZero(out);
        }
        words.length = n;
        return;
      }
      for (let w = 0; w < rows.length; w++) {
        const care = rows[w] as number;
        if (care !== 0) rows[w] = testWord(care, w << 5);
      }
    },
  };
}

function ageNode(data: IndexData, cache: BitmapCache, min: number, max: number): Node {
  const age = data.age;
  if (!isSliced(age)) {
    // An unknown age (NaN) fails both comparisons.
    return perRow((row) => (age[row] as number) >= min && (age[row] as number) <= max);
  }
  // Whole ages below the unknown code: the same rows as the bounds themselves.
  const low = Math.max(0, Math.ceil(min));
  const high = Math.min(UNKNOWN_AGE_CODE - 1, Math.floor(max));
  if (!(low <= high)) return NONE;
  // A range that recurs is sliced out once and fused as a bitmap; one asked for the first time
  // is tested on the words the AND's bitmaps left, which a selective question keeps few.
  const cached = cache.recurring('age-range', `${low}-${high}`, () => ageRangeBitmap(age, data.rows, low, high));
  if (cached !== undefined) return bitmapNode(cached.bits, cached.size / Math.max(1, data.rows));
  return { cost: ROW_TEST_COST, usesList: true, narrow: (rows, _pool, words) => narrowAgeRange(rows, age, low, high, words) };
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
  cache: BitmapCache,
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
  const { bits } = cache.get('union', key, () => {
    const union = new Uint32Array(data.words);
    for (const name of matching) orInto(union, sets.get(name) as RowSet);
    return { bits: union, size };
  });
  return bitmapNode(bits, size / Math.max(1, data.rows));
}
