/**
 * Ages as bit slices: bitmap `b` holds the rows whose age code has bit `b`
 * set (codes 0–254 are whole years, 255 is unknown, as in the Uint8 column).
 * An age range is then tested 32 rows at a time, with one bitwise operation
 * or two per slice (O'Neil & Quass), instead of looking up each candidate row's age.
 */
import { popcount } from './bits.js';
import { nonZero, type WordList } from './word-list.js';

export const AGE_SLICES = 8;
/** The code of an unknown age: above every bound a range can have. */
export const UNKNOWN_AGE_CODE = 255;

export interface AgeSlices {
  /** `AGE_SLICES` bitmaps, lowest bit first. */
  readonly slices: readonly Uint32Array[];
}

/**
 * True for sliced ages, false for a Float64 column. Not `instanceof`: an index
 * handed over by a worker thread may hold typed arrays of another realm (jest's
 * test context), whose constructors differ from this one's.
 */
export function isSliced(age: AgeSlices | Float64Array): age is AgeSlices {
  return !ArrayBuffer.isView(age);
}

/** Slices of a Uint8 age column (255 = unknown), 32 rows per word. */
export function ageSlicesOf(ages: Uint8Array, words: number): AgeSlices {
  const slices = Array.from({ length: AGE_SLICES }, () => new Uint32Array(words));
  const [s0, s1, s2, s3, s4, s5, s6, s7] = slices as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  for (let w = 0; w < words; w++) {
    let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0;
    const base = w << 5;
    const end = Math.min(32, ages.length - base);
    for (let j = 0; j < end; j++) {
      const a = ages[base + j] as number;
      b0 |= (a & 1) << j;
      b1 |= ((a >>> 1) & 1) << j;
      b2 |= ((a >>> 2) & 1) << j;
      b3 |= ((a >>> 3) & 1) << j;
      b4 |= ((a >>> 4) & 1) << j;
      b5 |= ((a >>> 5) & 1) << j;
      b6 |= ((a >>> 6) & 1) << j;
      b7 |= (a >>> 7) << j;
    }
    s0[w] = b0;
    s1[w] = b1;
    s2[w] = b2;
    s3[w] = b3;
    s4[w] = b4;
    s5[w] = b5;
    s6[w] = b6;
    s7[w] = b7;
  }
  return { slices };
}

/**
 * Narrows `rows` to the rows whose age code is in [low, high] (whole codes,
 * 0 ≤ low ≤ high ≤ 254, so an unknown age never matches). With `words`, only
 * the words it lists when known (else every word), and it is left listing the
 * words still non-zero; without, every word.
 *
 * Per word, lowest slice first: "age ≥ low on bits 0..b" is `s & r` where low
 * has bit b, `s | r` where it has not (r starts true: equal is ≥); "age ≤ high"
 * likewise with `~s | r` and `~s & r`. The choice per slice is fixed for the
 * query, and each slice has its own branch site (unrolled), so every branch is
 * predicted; a loop over the slices would share one site and mispredict.
 */
export function narrowAgeRange(rows: Uint32Array, age: AgeSlices, low: number, high: number, words?: WordList): void {
  const [s0, s1, s2, s3, s4, s5, s6, s7] = age.slices as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  const g0 = (low & 1) !== 0, g1 = (low & 2) !== 0, g2 = (low & 4) !== 0, g3 = (low & 8) !== 0;
  const g4 = (low & 16) !== 0, g5 = (low & 32) !== 0, g6 = (low & 64) !== 0, g7 = (low & 128) !== 0;
  const e0 = (high & 1) !== 0, e1 = (high & 2) !== 0, e2 = (high & 4) !== 0, e3 = (high & 8) !== 0;
  const e4 = (high & 16) !== 0, e5 = (high & 32) !== 0, e6 = (high & 64) !== 0, e7 = (high & 128) !== 0;
  const listed = words !== undefined && words.known;
  const count = listed ? words.length : rows.length;
  const at = words?.at;
  let n = 0;
  for (let i = 0; i < count; i++) {
    const w = listed ? (at![i] as number) : i;
    let x = s0[w] as number;
    let ge = g0 ? x : -1;
    let le = e0 ? -1 : ~x;
    x = s1[w] as number;
    ge = g1 ? x & ge : x | ge;
    le = e1 ? ~x | le : ~x & le;
    x = s2[w] as number;
    ge = g2 ? x & ge : x | ge;
    le = e2 ? ~x | le : ~x & le;
    x = s3[w] as number;
    ge = g3 ? x & ge : x | ge;
    le = e3 ? ~x | le : ~x & le;
    x = s4[w] as number;
    ge = g4 ? x & ge : x | ge;
    le = e4 ? ~x | le : ~x & le;
    x = s5[w] as number;
    ge = g5 ? x & ge : x | ge;
    le = e5 ? ~x | le : ~x & le;
    x = s6[w] as number;
    ge = g6 ? x & ge : x | ge;
    le = e6 ? ~x | le : ~x & le;
    x = s7[w] as number;
    ge = g7 ? x & ge : x | ge;
    le = e7 ? ~x | le : ~x & le;
    const out = (rows[w] as number) & ge & le;
    rows[w] = out;
    if (at !== undefined) {
      at[n] = w;
      n += nonZero(out);
    }
  }
  if (words !== undefined) {
    words.length = n;
    words.known = true;
  }
}

/**
 * The rows (of `rows` rows) whose age code is in [low, high], as a bitmap of
 * its own (one pass of the slices), with its size: evaluate.ts caches it for a
 * range that recurs, which is then one more bitmap for AND to fuse.
 */
export function ageRangeBitmap(age: AgeSlices, rows: number, low: number, high: number): { bits: Uint32Array; size: number } {
  const words = (age.slices[0] as Uint32Array).length;
  const bits = new Uint32Array(words).fill(-1 >>> 0);
  // Rows past the last have age code 0 in the slices: keep them out.
  if ((rows & 31) !== 0) bits[words - 1] = (1 << (rows & 31)) - 1;
  narrowAgeRange(bits, age, low, high);
  return { bits, size: popcount(bits) };
}
