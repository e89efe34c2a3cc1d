/**
 * The words of a candidate bitmap that may still hold a match, in increasing
 * order. Once an AND's bitmap children have narrowed the candidates to a few
 * scattered rows, per-row tests and the final count visit these words only,
 * instead of full passes that mostly skip empty words (each skip a branch
 * mispredicted as often as the words are mixed).
 */
import { popcount32 } from './bits.js';

export interface WordList {
  /** Word indices, ascending; the first `length` are valid. */
  at: Int32Array;
  length: number;
  /** False until someone listed the words; then every non-zero word of the candidates is listed. */
  known: boolean;
}

export function createWordList(words: number): WordList {
  return { at: new Int32Array(words), length: 0, known: false };
}

/** 1 for a non-zero word, 0 for zero, without a branch. */
export function nonZero(x: number): number {
  return (x | -x) >>> 31;
}

/** Lists the non-zero words of `bits` (branch-free: every index is written, kept only when its word is non-zero). */
export function listNonZero(bits: Uint32Array, list: WordList): void {
  const at = list.at;
  let n = 0;
  for (let w = 0; w < bits.length; w++) {
    at[n] = w;
    n += nonZero(bits[w] as number);
  }
  list.length = n;
  list.known = true;
}

/** Set bits of `bits` in the listed words. */
export function popcountListed(bits: Uint32Array, list: WordList): number {
  const at = list.at;
  let n = 0;
  for (let i = 0; i < list.length; i++) n += popcount32(bits[at[i] as number] as number);
  return n;
}
