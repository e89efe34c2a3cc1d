/**
 * The rows carrying one code (an ICD-10 diagnosis, an anatomical site): a
 * sorted list of row numbers while sparse, a bitmap once a list would be larger
 * (more than one row in 32), so no code costs more than a bitmap.
 */
import { setBit, wordsFor } from './bits.js';

export type RowSet = { kind: 'list'; rows: Uint32Array } | { kind: 'bitmap'; bits: Uint32Array; size: number };

/** Collects row numbers in increasing order while the index is built. */
export interface RowSetBuilder {
  add(row: number): void;
  finish(totalRows: number): RowSet;
}

export function createRowSetBuilder(): RowSetBuilder {
  let rows = new Uint32Array(8);
  let size = 0;
  return {
    add(row) {
      if (size > 0 && rows[size - 1] === row) return;
      if (size === rows.length) {
        const grown = new Uint32Array(rows.length * 2);
        grown.set(rows);
        rows = grown;
      }
      rows[size++] = row;
    },
    finish(totalRows) {
      if (size * 32 <= totalRows) return { kind: 'list', rows: rows.slice(0, size) };
      const bits = new Uint32Array(wordsFor(totalRows));
      for (let i = 0; i < size; i++) setBit(bits, rows[i] as number);
      return { kind: 'bitmap', bits, size };
    },
  };
}

/** ORs `set` into `bits`. */
export function orInto(bits: Uint32Array, set: RowSet): void {
  if (set.kind === 'bitmap') {
    const source = set.bits;
    for (let w = 0; w < bits.length; w++) bits[w] = (bits[w] as number) | (source[w] as number);
  } else {
    const rows = set.rows;
    for (let i = 0; i < rows.length; i++) setBit(bits, rows[i] as number);
  }
}

export function rowSetSize(set: RowSet): number {
  return set.kind === 'bitmap' ? set.size : set.rows.length;
}

