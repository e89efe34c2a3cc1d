/**
 * Answers a query from an {@link IndexData}: evaluate the where-expression
 * into a bitmap of matched rows, then count its unit overall and per stratum.
 */
import type { CountQuestion, StrataDimension } from '@biospec/query';
import { popcount } from './bits.js';
import { createBitmapCache, type BitmapCache } from './bitmap-cache.js';
import { capCorrection } from './cap.js';
import { compileNarrow, createBitmapPool, type BitmapPool } from './evaluate.js';
import type { BuiltIndex, IndexCount, IndexData } from './index-data.js';
import { answersFromProfiles, countFromProfiles } from './profile-count.js';
import { countRuns, countRunsListed } from './runs.js';
import { createWordList, popcountListed, type WordList } from './word-list.js';
import { countGroupsPerStratum, countGroupsPerStratumOnce, countRowsByGroups, groupBreaksOf, type StratumCodes } from './strata.js';

/** Reusable bitmaps for one index, so a count allocates nothing proportional to the rows. */
export interface Scratch {
  matched: Uint32Array;
  breaks: Uint32Array;
  /** The words of `matched` that may be non-zero, when the evaluation listed them. */
  words: WordList;
  pool: BitmapPool;
}

export function createScratch(data: IndexData): Scratch {
  const words = data.words;
  return { matched: new Uint32Array(words), breaks: new Uint32Array(words), words: createWordList(words), pool: createBitmapPool(words) };
}

/** A built index with the scratch space and bitmap caches of its parts. */
export interface ServedIndex {
  built: BuiltIndex;
  cache: BitmapCache;
  scratch: Scratch;
  capped: { cache: BitmapCache; scratch: Scratch } | null;
}

export function createServedIndex(built: BuiltIndex): ServedIndex {
  return {
    built,
    cache: createBitmapCache(),
    scratch: createScratch(built.main),
    capped: built.capped === null ? null : { cache: createBitmapCache(), scratch: createScratch(built.capped.data) },
  };
}

/** The true count of `query` (strata unsorted), with the built index's caps if it has any. */
export function countWithIndex(query: CountQuestion, served: ServedIndex): IndexCount {
  const { main, capped } = served.built;
  const dimensions = [...new Set(query.stratify ?? [])];
  const stratumOf = dimensions.length === 0 ? null : createStratumCoder(dimensions, main);
  const counts = stratumOf === null ? null : new Float64Array(stratumOf.size);
  let total = answersFromProfiles(query, main)
    ? countFromProfiles(query, main, stratumOf === null ? null : { dimensions, strides: stratumOf.strides, size: stratumOf.size }, counts)
    : countRows(query, main, served.cache, served.scratch, dimensions, stratumOf, counts);
  if (capped !== null && served.capped !== null) {
    const matched = match(query, capped.data, served.capped.cache, served.capped.scratch);
    const cells = stratumOf === null ? null : createStratumCoder(dimensions, capped.data).codes;
    total += capCorrection(query.unit, matched, capped, dimensions, cells, counts);
  }
  return { total, strata: stratumOf === null || counts === null ? [] : stratumOf.strata(counts) };
}

/** The total over the rows' bitmaps; per stratum into `counts` when stratified. */
function countRows(
  query: CountQuestion,
  data: IndexData,
  cache: BitmapCache,
  scratch: Scratch,
  dimensions: readonly StrataDimension[],
  stratumOf: StratumCoder | null,
  counts: Float64Array | null,
): number {
  const matched = match(query, data, cache, scratch);
  const words = scratch.words.known ? scratch.words : null;

  if (query.unit === 'aliquots') {
    const total = words === null ? popcount(matched) : popcountListed(matched, words);
    if (stratumOf === null || counts === null) return total;
    // Codes constant within donors change only at donor starts.
    const changes = dimensions.map((d) => data.changes[d] ?? data.donorStarts);
    countRowsByGroups(matched, groupBreaksOf(data.donorStarts, changes, scratch.breaks), data.rows, stratumOf.codes, counts);
    return total;
  }

  const starts = query.unit === 'donors' ? data.donorStarts : data.rootStarts;
  if (stratumOf === null || counts === null) return words === null ? countRuns(matched, starts) : countRunsListed(matched, starts, words);

  // Groups: stretches of one run with one stratum; see strata.ts.
  const constant = query.unit === 'donors' ? data.constantWithin.donors : data.constantWithin.roots;
  const varying = dimensions.filter((d) => !constant.has(d));
  const breaks = groupBreaksOf(starts, varying.flatMap((d) => data.changes[d] ?? []), scratch.breaks);
  const countGroups = oneGroupPerStratum(query.unit, varying, constant, data) ? countGroupsPerStratum : countGroupsPerStratumOnce;
  return countGroups(matched, starts, breaks, data.rows, stratumOf.codes, counts);
}

/**
 * True when every run holds its rows of one stratum consecutively: the
 * dimensions that vary inside runs are, for roots, a prefix of the order
 * of each root's rows (less the dimensions constant inside roots); donors'
 * rows are ordered by root first, so for donors none may vary.
 */
function oneGroupPerStratum(unit: 'specimens' | 'donors', varying: readonly StrataDimension[], constant: ReadonlySet<StrataDimension>, data: IndexData): boolean {
  if (varying.length === 0) return true;
  if (unit === 'donors') return false;
  const order = data.rootOrder.filter((d) => !constant.has(d)).slice(0, varying.length);
  return varying.every((d) => order.includes(d));
}

function match(query: CountQuestion, data: IndexData, cache: BitmapCache, scratch: Scratch): Uint32Array {
  const matched = scratch.matched;
  matched.set(data.alive);
  scratch.words.known = false;
  if (query.where !== undefined) compileNarrow(query.where, data, cache)(matched, scratch.pool, scratch.words);
  return matched;
}

type StratumCoder = ReturnType<typeof createStratumCoder>;

/** Numbers strata densely by their dimension codes and names them back. */
function createStratumCoder(dimensions: readonly StrataDimension[], data: IndexData) {
  const columns = dimensions.map((d) => data.dimensions[d]);
  // collection_id strata are named by the collection codes.
  const names = dimensions.map((d) => data.names.get(d === 'collection_id' ? 'collection' : d) ?? []);
  const sizes = names.map((n) => Math.max(1, n.length));
  const strides: number[] = [];
  let size = 1;
  for (const s of sizes) {
    strides.push(size);
    size *= s;
  }
  const tail = columns.slice(3);
  const tailStrides = strides.slice(3);
  const codes: StratumCodes = {
    first: columns[0] as StratumCodes['first'],
    second: columns[1] ?? null,
    secondStride: strides[1] ?? 0,
    third: columns[2] ?? null,
    thirdStride: strides[2] ?? 0,
    rest:
      tail.length === 0
        ? null
        : (row) => {
            let c = 0;
            for (let i = 0; i < tail.length; i++) c += ((tail[i] as StratumCodes['first'])[row] as number) * (tailStrides[i] as number);
            return c;
          },
  };
  return {
    size,
    strides,
    codes,
    code: (row: number) => {
      let c = 0;
      for (let i = 0; i < columns.length; i++) c += ((columns[i] as StratumCodes['first'])[row] as number) * (strides[i] as number);
      return c;
    },
    strata(counts: Float64Array): IndexCount['strata'] {
      const strata: IndexCount['strata'] = [];
      counts.forEach((count, c) => {
        if (count === 0) return;
        const key: Record<string, string> = {};
        dimensions.forEach((d, i) => {
          const value = Math.floor(c / (strides[i] as number)) % (sizes[i] as number);
          key[d] = (names[i] as string[])[value] ?? `#${value}`;
        });
        strata.push({ key, count });
      });
      return strata;
    },
  };
}
