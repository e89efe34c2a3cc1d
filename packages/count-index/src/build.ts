/**
 * Reads the non-withdrawn specimens of one snapshot into an {@link IndexData}.
 * Rows come grouped by donor (the catalogue's donor order), each donor's rows sorted by
 * root (then material and temperature), so donors and roots are runs of rows
 * and no string map of all donors or roots is ever held. A generator: it
 * yields every `chunkRows` rows so a caller can spread the build over
 * event-loop turns.
 */
import { DIMENSIONS, STRATA_DIMENSIONS, type ContributionCaps, type Dimension, type StrataDimension } from '@biospec/query/model';
import { ageSlicesOf } from './age-slices.js';
import { hasBit, popcount, setBit, wordsFor } from './bits.js';
import {
  ageCodeOf,
  createAgeWriter,
  createCodeWriter,
  createDateWriter,
  createQuantityWriter,
  type CodeColumn,
  type ColumnWriter,
} from './columns.js';
import { createProfileBuilder } from './profiles.js';
import { BITMAP_FIELDS, type BitmapField, type BuiltIndex, type IndexData } from './index-data.js';
import { createRowSetBuilder, type RowSet, type RowSetBuilder } from './row-set.js';
import { INDEX_CODE_KINDS, type IndexCodeKind, type IndexRow, type RowSnapshot } from './row-source.js';

type Raw = IndexRow;

const DIAGNOSIS_CACHE_LIMIT = 65536;

export interface BuildOptions {
  /** Rows between yields. */
  chunkRows?: number;
  /** Per-donor contribution caps the index must answer with (cap.ts); none: no capped sub-index. */
  caps?: ContributionCaps;
}

/**
 * Builds the index from `snapshot`, yielding every `chunkRows` rows: the main
 * index of every row and, with caps, the sub-index of the rows of the donors
 * a cap could cut (cap.ts).
 */
export function* buildIndex(snapshot: RowSnapshot, options: BuildOptions = {}): Generator<void, BuiltIndex, void> {
  const chunkRows = options.chunkRows ?? 65536;
  const caps = options.caps ?? null;
  const { codes, names } = readCodes(snapshot.codes);
  const main = createDataBuilder(snapshot.rows, codes, names, { profiles: true, order: byRootThenCell, rootOrder: ROOT_ORDER });
  // Sized for every row, trimmed when done: only the pages its rows touch are ever written.
  const heavy = caps === null ? null : createDataBuilder(snapshot.rows, codes, names, { profiles: false, order: byRootThenSample, rootOrder: [] });
  const heavyStarts: number[] = [];
  const heavyBounds: number[] = [];

  let group: Raw[] = [];
  let read = 0;
  const emit = (): void => {
    main.addDonor(group);
    if (heavy !== null && caps !== null && couldBeCut(group, caps)) {
      heavyStarts.push(heavy.rows());
      heavy.addDonor(group);
      unitBounds(group, heavyBounds);
    }
  };
  for (const r of snapshot.scan()) {
    if (group.length > 0 && (group[0] as Raw)[1] !== r[1]) {
      emit();
      group = [];
    }
    group.push(r);
    if (++read % chunkRows === 0) yield;
  }
  if (group.length > 0) emit();
  yield;
  const data = main.finish(snapshot.epoch);
  yield;
  if (heavy === null || caps === null) return { main: data, capped: null };
  heavyStarts.push(heavy.rows());
  const cappedData = heavy.finish(snapshot.epoch);
  return {
    main: data,
    capped: { caps, data: cappedData, donorBounds: Uint32Array.from(heavyStarts), unitBounds: Uint8Array.from(heavyBounds), rootOfRow: rootNumbers(cappedData) },
  };
}

/** Each row's root within its donor, numbered from 0 per donor (rows are in root order). */
function rootNumbers(data: IndexData): Uint16Array {
  const out = new Uint16Array(data.rows);
  let root = 0;
  for (let row = 0; row < data.rows; row++) {
    if (hasBit(data.donorStarts, row)) root = 0;
    else if (hasBit(data.rootStarts, row)) root = Math.min(root + 1, 0xffff);
    out[row] = root;
  }
  return out;
}

/** Stratify codes of a row in {@link STRATA_DIMENSIONS} order (the bits of a cap bounds mask); the last, 7, is the collection. */
const DIMENSION_CODES = [3, 4, 15, 16, 5, 7] as const;

/** Bytes of {@link CappedRows.unitBounds} per donor: pairs, then cells, for every mask of the stratify dimensions. */
export const UNIT_BOUNDS_STRIDE = 2 << DIMENSION_CODES.length;

/**
 * Appends the donor's {@link CappedRows.unitBounds}: per mask of stratify
 * dimensions, its distinct (root, cell) pairs and its distinct cells (255 at most).
 */
function unitBounds(group: readonly Raw[], out: number[]): void {
  const rows = [...group].sort((a, b) => (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));
  const cells: number[] = [];
  const pairs: number[] = [];
  for (let mask = 0; mask < 1 << DIMENSION_CODES.length; mask++) {
    const all = new Set<number>();
    let pairCount = 0;
    let inRoot = new Set<number>();
    rows.forEach((r, i) => {
      if (i > 0 && r[2] !== (rows[i - 1] as Raw)[2]) {
        pairCount += inRoot.size;
        inRoot = new Set<number>();
      }
      let cell = 0;
      DIMENSION_CODES.forEach((field, d) => {
        if ((mask & (1 << d)) !== 0) cell = cell * 1024 + (r[field] as number);
      });
      all.add(cell);
      inRoot.add(cell);
    });
    pairCount += inRoot.size;
    pairs.push(Math.min(255, pairCount));
    cells.push(Math.min(255, all.size));
  }
  out.push(...pairs, ...cells);
}

/**
 * True when some question could find more of this donor's units than a cap
 * allows: more records than `aliquots`, or more distinct (root, cell) pairs
 * than `specimens`, or more distinct cells than `donorCells`, a cell being
 * the row's codes of every stratify dimension (any question's pairs and cells
 * are projections of these, so never more; its roots are never more than its
 * pairs). Others are counted exactly by the main index alone.
 */
function couldBeCut(group: readonly Raw[], caps: ContributionCaps): boolean {
  if (group.length <= Math.min(caps.specimens, caps.aliquots, caps.donorCells)) return false;
  if (group.length > caps.aliquots) return true;
  const cells = new Set<string>();
  const pairs = new Set<string>();
  for (const r of group) {
    // material, sex, storage temperature, age band, diagnosis chapter, collection
    const cell = `${r[3]},${r[4]},${r[5]},${r[15]},${r[16]},${r[7]}`;
    cells.add(cell);
    pairs.add(`${r[2]}\u0000${cell}`);
  }
  return pairs.size > caps.specimens || cells.size > caps.donorCells;
}

interface DataBuilderOptions {
  /** Keep the profile tables (profiles.ts). */
  profiles: boolean;
  /** The order of a donor's rows: by root first, so that each root is a run. */
  order: (a: Raw, b: Raw) => number;
  rootOrder: readonly StrataDimension[];
}

/** Fills one {@link IndexData} donor by donor, for at most `capacity` rows. */
function createDataBuilder(capacity: number, codes: IndexData['codes'], names: IndexData['names'], options: DataBuilderOptions) {
  const capacityWords = wordsFor(capacity);
  const ids = new Uint32Array(capacity);
  const donorStarts = new Uint32Array(capacityWords);
  const rootStarts = new Uint32Array(capacityWords);
  const valueBits = Object.fromEntries(BITMAP_FIELDS.map((f) => [f, []])) as unknown as IndexData['valueBits'];
  const useBits: (Uint32Array | undefined)[] = [];
  const dimensionWriters = Object.fromEntries(DIMENSIONS.map((d) => [d, createCodeWriter(capacity)])) as Record<
    Dimension,
    ColumnWriter<CodeColumn>
  >;
  const collection = createCodeWriter(capacity);
  const age = createAgeWriter(capacity);
  const quantity = createQuantityWriter(capacity);
  const collectedStart = createDateWriter(capacity);
  const collectedEnd = createDateWriter(capacity);
  const diagnosisBuilders = new Map<string, RowSetBuilder>();
  const diagnosisOfText = new Map<string, RowSetBuilder[]>();
  const siteBuilders = new Map<number, RowSetBuilder>();
  const profiles = options.profiles ? createProfileBuilder(capacity) : null;

  const bitmapOf = (field: BitmapField, code: number): Uint32Array => {
    const list = valueBits[field];
    let bits = list[code];
    if (bits === undefined) list[code] = bits = new Uint32Array(capacityWords);
    return bits;
  };
  const builderOf = <K>(map: Map<K, RowSetBuilder>, key: K): RowSetBuilder => {
    let builder = map.get(key);
    if (builder === undefined) map.set(key, (builder = createRowSetBuilder()));
    return builder;
  };
  const diagnosisOf = (text: string): RowSetBuilder[] => {
    let builders = diagnosisOfText.get(text);
    if (builders === undefined) {
      if (diagnosisOfText.size >= DIAGNOSIS_CACHE_LIMIT) diagnosisOfText.clear();
      builders = [...new Set(text.split(';'))].map((code) => builderOf(diagnosisBuilders, code));
      diagnosisOfText.set(text, builders);
    }
    return builders;
  };

  let row = 0;
  const emit = (r: Raw): void => {
    const p = row++;
    ids[p] = r[0];
    setBit(bitmapOf('material_type', r[3]), p);
    setBit(bitmapOf('sex', r[4]), p);
    setBit(bitmapOf('storage_temperature', r[5]), p);
    setBit(bitmapOf('status', r[6]), p);
    collection.set(p, r[7]);
    age.set(p, r[8]);
    collectedStart.set(p, r[9]);
    collectedEnd.set(p, r[10]);
    if (r[11] !== null) for (const builder of diagnosisOf(r[11])) builder.add(p);
    if (r[12] !== null) builderOf(siteBuilders, r[12]).add(p);
    for (let uses = r[13], bit = 0; uses !== 0; uses >>>= 1, bit++) {
      if ((uses & 1) === 0) continue;
      let bits = useBits[bit];
      if (bits === undefined) useBits[bit] = bits = new Uint32Array(capacityWords);
      setBit(bits, p);
    }
    quantity.set(p, r[14]);
    dimensionWriters.material_type.set(p, r[3]);
    dimensionWriters.sex.set(p, r[4]);
    dimensionWriters.storage_temperature.set(p, r[5]);
    dimensionWriters.age_band.set(p, r[15]);
    dimensionWriters.diagnosis_chapter.set(p, r[16]);
    // Uses as the use bitmaps hold them (32 bits), so withdrawals can read a row's key back.
    profiles?.row(r[13] >>> 0, r[3], r[4], r[5], r[6], r[7], ageCodeOf(r[8]));
  };

  return {
    rows: () => row,
    addDonor(group: Raw[]): void {
      const rows = group.length > 1 ? [...group].sort(options.order) : group;
      setBit(donorStarts, row);
      rows.forEach((r, i) => {
        const root = r[2];
        if (i === 0 || root !== (rows[i - 1] as Raw)[2]) setBit(rootStarts, row);
        emit(r);
        if (i === rows.length - 1 || (rows[i + 1] as Raw)[2] !== root) profiles?.endRoot();
      });
      profiles?.endDonor();
    },
    finish(epoch: number): IndexData {
      const rows = row;
      const words = wordsFor(rows);
      const bitmap = (bits: Uint32Array): Uint32Array => (bits.length === words ? bits : bits.slice(0, words));
      const column = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(values: T): T =>
        (values.length === rows ? values : values.slice(0, rows)) as T;
      for (const field of BITMAP_FIELDS) valueBits[field].forEach((bits, code) => (valueBits[field][code] = bitmap(bits as Uint32Array)));
      useBits.forEach((bits, bit) => (useBits[bit] = bitmap(bits as Uint32Array)));
      const collectionColumn = column(collection.column);
      // collection_id (availability questions) strata read the collection column itself.
      const dimensions = {
        ...Object.fromEntries(DIMENSIONS.map((d) => [d, column(dimensionWriters[d].column)])),
        collection_id: collectionColumn,
      } as IndexData['dimensions'];
      const starts = { donors: bitmap(donorStarts), roots: bitmap(rootStarts) };
      const changes = {} as IndexData['changes'];
      const constantWithin = { donors: new Set<StrataDimension>(), roots: new Set<StrataDimension>() };
      for (const d of STRATA_DIMENSIONS) {
        const bits = changesOf(dimensions[d], rows, words);
        if (within(bits, starts.roots)) constantWithin.roots.add(d);
        const constantInDonors = within(bits, starts.donors);
        if (constantInDonors) constantWithin.donors.add(d);
        changes[d] = constantInDonors ? null : bits;
      }
      const ageColumn = column(age.column);
      const ages = ageColumn instanceof Uint8Array ? ageSlicesOf(ageColumn, words) : ageColumn;

      const alive = new Uint32Array(words);
      alive.fill(0xffffffff);
      if ((rows & 31) !== 0) alive[words - 1] = (1 << (rows & 31)) - 1;
      const valueCounts = Object.fromEntries(
        BITMAP_FIELDS.map((f) => [f, valueBits[f].map((bits) => (bits === undefined ? 0 : popcount(bits)))]),
      ) as unknown as IndexData['valueCounts'];
      const finishSets = (builders: Map<string, RowSetBuilder>): Map<string, RowSet> =>
        new Map([...builders].map(([name, builder]) => [name, builder.finish(rows)]));
      const siteNames = names.get('anatomical_site') ?? [];
      const siteByName = new Map([...siteBuilders].map(([code, builder]) => [siteNames[code] ?? `#${code}`, builder]));

      const collectionRows: number[] = [];
      for (let p = 0; p < rows; p++) {
        const code = collectionColumn[p] as number;
        collectionRows[code] = (collectionRows[code] ?? 0) + 1;
      }

      return {
        epoch,
        rows,
        words,
        alive,
        collectionRows: Array.from(collectionRows, (n) => n ?? 0),
        aliveRows: rows,
        aliveDonors: popcount(starts.donors),
        ids: column(ids),
        donorStarts: starts.donors,
        rootStarts: starts.roots,
        valueBits,
        valueCounts,
        useBits,
        dimensions,
        changes,
        constantWithin,
        rootOrder: options.rootOrder,
        collection: collectionColumn,
        age: ages,
        quantity: column(quantity.column),
        collectedStart: column(collectedStart.column),
        collectedEnd: column(collectedEnd.column),
        diagnosis: finishSets(diagnosisBuilders),
        anatomicalSite: finishSets(siteByName),
        profiles: profiles?.finish() ?? null,
        codes,
        names,
      };
    },
  };
}

/**
 * Within a donor, rows by root (so each root is a run), then by material and
 * storage temperature ({@link ROOT_ORDER}), so the rows of one root with one
 * material (and temperature) are consecutive too: stratified counts then see
 * one group of rows per (root, stratum), not one row at a time (strata.ts).
 */
function byRootThenCell(a: Raw, b: Raw): number {
  if (a[2] !== b[2]) return a[2] < b[2] ? -1 : 1;
  return a[3] - b[3] || a[5] - b[5];
}
const ROOT_ORDER: readonly StrataDimension[] = ['material_type', 'storage_temperature'];

/**
 * The capped sub-index's order: within a donor, rows by root, then by sample
 * id, the order in which a cap takes a donor's units (ContributionCaps),
 * compared as the reference evaluator compares them (code units).
 */
function byRootThenSample(a: Raw, b: Raw): number {
  if (a[2] !== b[2]) return a[2] < b[2] ? -1 : 1;
  return a[17] < b[17] ? -1 : a[17] > b[17] ? 1 : 0;
}

/** Rows whose code differs from the previous row's (row 0 included). */
function changesOf(column: CodeColumn, rows: number, words: number): Uint32Array {
  const bits = new Uint32Array(words);
  if (rows > 0) setBit(bits, 0);
  for (let row = 1, previous = column[0] as number; row < rows; row++) {
    const code = column[row] as number;
    if (code !== previous) setBit(bits, row);
    previous = code;
  }
  return bits;
}

/** True when every bit of `bits` is also set in `of`. */
function within(bits: Uint32Array, of: Uint32Array): boolean {
  for (let w = 0; w < bits.length; w++) if (((bits[w] as number) & ~(of[w] as number)) !== 0) return false;
  return true;
}

function readCodes(entries: RowSnapshot['codes']): Pick<IndexData, 'codes' | 'names'> {
  const codes = new Map<IndexCodeKind, Map<string, number>>(INDEX_CODE_KINDS.map((k) => [k, new Map()]));
  const names = new Map<IndexCodeKind, string[]>(INDEX_CODE_KINDS.map((k) => [k, []]));
  for (const [kind, code, name] of entries) {
    codes.get(kind as IndexCodeKind)?.set(name, code);
    const list = names.get(kind as IndexCodeKind);
    if (list !== undefined) list[code] = name;
  }
  return { codes, names };
}

