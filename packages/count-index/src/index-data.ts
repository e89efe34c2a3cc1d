/**
 * The in-memory count index: the non-withdrawn specimens of one data epoch,
 * as columns and bitmaps in donor order (see COUNT-INDEX.md).
 */
import type { ContributionCaps, StrataDimension } from '@biospec/query';
import type { AgeSlices } from './age-slices.js';
import type { CodeColumn, DateColumn, QuantityColumn } from './columns.js';
import type { Profiles } from './profile-tables.js';
import type { RowSet } from './row-set.js';
import type { IndexCodeKind } from './row-source.js';

/** Categorical fields with one bitmap per code. */
export const BITMAP_FIELDS = ['material_type', 'sex', 'storage_temperature', 'status'] as const;
export type BitmapField = (typeof BITMAP_FIELDS)[number];

export interface IndexData {
  /** The data epoch the rows were read at. */
  epoch: number;
  rows: number;
  words: number;
  /** Rows still counted; a withdrawal clears its donor's rows here. */
  alive: Uint32Array;
  /** The specimen table's row id of each row. */
  ids: Uint32Array;
  /** First row of each donor (rows are ordered by donor). */
  donorStarts: Uint32Array;
  /** First row of each run of one root within one donor. */
  rootStarts: Uint32Array;
  /** Per field, the bitmap of each code (undefined: no row has it). */
  valueBits: Record<BitmapField, (Uint32Array | undefined)[]>;
  /** Per field, alive rows per code (selectivity for ordering AND; the summary's materials). */
  valueCounts: Record<BitmapField, number[]>;
  /** Alive rows per collection code. */
  collectionRows: number[];
  /** Alive rows, and donors with one. */
  aliveRows: number;
  aliveDonors: number;
  /** Per bit of permitted_uses, the rows whose consent permits that use. */
  useBits: (Uint32Array | undefined)[];
  /** Stratify dimension codes per row. */
  dimensions: Record<StrataDimension, CodeColumn>;
  /**
   * Per stratify dimension, the rows whose code differs from the previous
   * row's; null when the code never changes inside a donor (then its changes
   * are donor starts, which are root starts too).
   */
  changes: Record<StrataDimension, Uint32Array | null>;
  /** Stratify dimensions whose code never changes inside a donor's run, and inside a root's run. */
  constantWithin: { donors: ReadonlySet<StrataDimension>; roots: ReadonlySet<StrataDimension> };
  /**
   * The dimensions each root's rows are sorted by (after the root): the rows
   * of one root and one stratum of a prefix of these are consecutive.
   */
  rootOrder: readonly StrataDimension[];
  collection: CodeColumn;
  /** Ages as bit slices; a Float64 column (NaN = unknown) once an age is not a whole number below 255. */
  age: AgeSlices | Float64Array;
  quantity: QuantityColumn;
  collectedStart: DateColumn;
  collectedEnd: DateColumn;
  /** Rows per stored ICD-10 diagnosis code and per anatomical site code, by name. */
  diagnosis: Map<string, RowSet>;
  anatomicalSite: Map<string, RowSet>;
  /** Keys and profiles answering categorical-only queries (profiles.ts); null when too varied to pay off. */
  profiles: Profiles | null;
  /** The code table as read with the rows. */
  codes: Map<IndexCodeKind, Map<string, number>>;
  names: Map<IndexCodeKind, string[]>;
}

/** A true count as the index answers it: strata non-empty only, in no particular order. */
export interface IndexCount {
  total: number;
  strata: { key: Record<string, string>; count: number }[];
}

/**
 * The rows of the donors a per-donor cap could cut (build.ts, `couldBeCut`),
 * as an index of their own whose donors' rows are in the
 * order a cap takes them: by root, then sample id (cap.ts).
 */
export interface CappedRows {
  caps: ContributionCaps;
  data: IndexData;
  /** Donor k's rows are [donorBounds[k], donorBounds[k + 1]). */
  donorBounds: Uint32Array;
  /**
   * Upper bounds of what donor k can contribute, at build time (withdrawals
   * only lower them), 128 bytes per donor: at k × 128 + mask, its distinct
   * (root, cell) pairs, and at k × 128 + 64 + mask its distinct cells, a cell
   * being the row's codes of the dimensions in `mask` (bit i: STRATA_DIMENSIONS[i]
   * of @biospec/query; mask 0: its roots, and one cell). At most 255.
   */
  unitBounds: Uint8Array;
  /** Each row's root within its donor, numbered from 0 per donor. */
  rootOfRow: Uint16Array;
}

/** One build: every row, and with caps the rows of the donors a cap could cut, both of one epoch. */
export interface BuiltIndex {
  main: IndexData;
  capped: CappedRows | null;
}
