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
import { popcount32 } from './bits.js';
import type { WordList } from './word-list.js';

/** H of a word whose runs start at the bits of `starts`: each field's last bit (the bit below each start, and bit 31). */
export function fieldEnds(starts: number): number {
  return ((starts >>> 1) | 0x80000000) >>> 0;
}

/** The H bit of every field of `starts` that holds a bit of `x`; `ends` is {@link fieldEnds}(starts). */
export function fieldsHolding(x: number, starts: number, ends: number): number {
  return ((((x | ends) >>> 0) - ((starts | 1) >>> 0)) | x) & ends;
}

/**
 * Of the fields `marked` ({@link fieldsHolding}), those not counted before: the
 * first field continues the run left open by the previous word (`open` = -1)
 * unless a run starts at bit 0.
 */
export function uncounted(marked: number, starts: number, ends: number, open: number): number {
  return marked & ~(open & ends & -ends & ((starts & 1) - 1));
}

/**
 * -1 when the next word begins inside a counted run: the word's last field is
 * marked, or no run starts in the word and the run open into it was counted.
 */
export function openAfter(open: number, starts: number, marked: number): number {
  return (starts === 0 ? open : 0) | (marked >> 31);
}

/**
 * Runs (marked by `starts`) holding at least one bit of `matched`. Without
 * branches on the data: an empty word marks nothing, and half-empty words
 * would make a branch on them mispredicted half the time.
 */
export function countRuns(matched: Uint32Array, starts: Uint32Array): number {
  let count = 0;
  // -1 while the run open across the word boundary has already been counted.
  let open = 0;
  for (let w = 0; w < matched.length; w++) {
    const x = matched[w] as number;
    const s = starts[w] as number;
    const high = fieldEnds(s);
    const any = fieldsHolding(x, s, high);
    // The first field continues the open run unless a run starts at bit 0.
    count += popcount32(uncounted(any, s, high, open));
    open = openAfter(open, s, any);
  }
  return count;
}

/**
 * {@link countRuns} visiting only listed words (every non-zero word of
 * `matched` is listed). A word left out holds no match: it counts nothing and
 * only closes the open run if a run starts in it, which is checked on the
 * starts between two listed words, stopping at the first start (roots and
 * donors are short, so it is usually the first word looked at).
 */
export function countRunsListed(matched: Uint32Array, starts: Uint32Array, list: WordList): number {
  const at = list.at;
  let count = 0;
  let open = 0;
  let next = 0;
  for (let i = 0; i < list.length; i++) {
    const w = at[i] as number;
    if (open !== 0) {
      for (let k = next; k < w; k++) {
        if (starts[k] !== 0) {
          open = 0;
          break;
        }
      }
    }
    const x = matched[w] as number;
    const s = starts[w] as number;
    const high = fieldEnds(s);
    const any = fieldsHolding(x, s, high);
    count += popcount32(uncounted(any, s, high, open));
    open = openAfter(open, s, any);
    next = w + 1;
  }
  return count;
}
