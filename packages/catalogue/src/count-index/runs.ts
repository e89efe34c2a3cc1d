/**
 * Distinct donors and roots among matched rows. Rows are ordered so that each
 * donor, and each root within a donor, is a run of consecutive rows marked by
 * a start bit; the distinct count is the number of runs holding a match.
 *
 * Per 32-bit word, the runs clipped to the word are variable-width fields with
 * low bits L (starts, plus bit 0) and high bits H (ends, plus bit 31). For a
 * matched word x, `((x | H) - L)` borrows inside a field only (its value is at
 * least its L bit), and leaves the field's H bit set exactly when x has a bit
 * below H in that field; OR-ing x back covers H itself. So one subtraction
 * marks every field holding a match. A run crossing a word boundary is counted
 * once by remembering whether its part in the previous word was counted.
 */
import { bitsUpTo, popcount32 } from './bits.js';

/** Runs (marked by `starts`) holding at least one bit of `matched`. */
export function countRuns(matched: Uint32Array, starts: Uint32Array): number {
  let count = 0;
  let openCounted = false;
  for (let w = 0; w < matched.length; w++) {
    const x = matched[w] as number;
    const s = starts[w] as number;
    if (x === 0) {
      if (s !== 0) openCounted = false;
      continue;
    }
    const high = ((s >>> 1) | 0x80000000) >>> 0;
    const low = (s | 1) >>> 0;
    const any = ((((x | high) >>> 0) - low) | x) & high;
    count += popcount32(any);
    if ((s & 1) === 0 && openCounted && (any & high & -high) !== 0) count--;
    const top = any < 0;
    openCounted = s === 0 ? openCounted || top : top;
  }
  return count;
}

/**
 * Per stratum, the runs holding a matched row of that stratum: `counts[code]`
 * grows by one the first time a run shows a matched row with stratum `code`.
 * A run is named by its start row, found per row with one count-leading-zeros.
 */
export function countRunsPerStratum(
  matched: Uint32Array,
  starts: Uint32Array,
  stratumOf: StratumCodes,
  counts: Float64Array,
): void {
  const lastRun = new Int32Array(counts.length).fill(-1);
  const { first, second, secondStride, rest } = stratumOf;
  let openStart = 0;
  for (let w = 0; w < matched.length; w++) {
    const s = starts[w] as number;
    const x = matched[w] as number;
    const base = w << 5;
    for (let left = x; left !== 0; ) {
      const bit = left & -left;
      left ^= bit;
      const b = 31 - Math.clz32(bit);
      const row = base + b;
      const below = s & bitsUpTo(b);
      const run = below === 0 ? openStart : base + 31 - Math.clz32(below);
      let code = first[row] as number;
      if (second !== null) code += (second[row] as number) * secondStride;
      if (rest !== null) code += rest(row);
      if (lastRun[code] !== run) {
        lastRun[code] = run;
        counts[code] = (counts[code] as number) + 1;
      }
    }
    if (s !== 0) openStart = base + 31 - Math.clz32(s);
  }
}

/** Matched rows per stratum. */
export function countRowsPerStratum(matched: Uint32Array, stratumOf: StratumCodes, counts: Float64Array): void {
  const { first, second, secondStride, rest } = stratumOf;
  for (let w = 0; w < matched.length; w++) {
    const base = w << 5;
    for (let left = matched[w] as number; left !== 0; ) {
      const bit = left & -left;
      left ^= bit;
      const row = base + 31 - Math.clz32(bit);
      let code = first[row] as number;
      if (second !== null) code += (second[row] as number) * secondStride;
      if (rest !== null) code += rest(row);
      counts[code] = (counts[code] as number) + 1;
    }
  }
}

/** A row's stratum number: first + second * secondStride + rest(row). */
export interface StratumCodes {
  first: Uint8Array | Uint32Array;
  second: Uint8Array | Uint32Array | null;
  secondStride: number;
  /** The part from the third dimension on, when there is one. */
  rest: ((row: number) => number) | null;
}
