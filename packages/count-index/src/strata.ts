/**
 * Distinct runs (donors or roots) per stratum, counted by groups instead of
 * rows. A group is a stretch of consecutive rows of one run with one stratum:
 * it starts at a run start or where a stratify dimension's code changes. The
 * run-marking subtraction of runs.ts, applied with group starts, leaves one
 * bit per group holding a match, so only those bits are looked at, not every
 * matched row.
 *
 * When the row order makes each (run, stratum) one group (see
 * {@link IndexData.rootOrder}), every marked group is a distinct pair and is
 * simply counted; otherwise a group counts only the first time its run shows
 * its stratum. Matched rows per stratum (aliquots) take one popcount per
 * group part instead of one step per row.
 */
import { bitsUpTo, popcount32 } from './bits.js';
import { fieldEnds, fieldsHolding, openAfter, uncounted } from './runs.js';

/**
 * A row's stratum number: the sum of its code times the stride over the
 * dimensions (first, second, third; `rest` for any further ones).
 */
export interface StratumCodes {
  first: Uint8Array | Uint32Array;
  second: Uint8Array | Uint32Array | null;
  secondStride: number;
  third: Uint8Array | Uint32Array | null;
  thirdStride: number;
  rest: ((row: number) => number) | null;
}

/**
 * Rows where a group starts besides run starts: where the code of one of the
 * dimensions varying inside runs changes (`changes`, one bitmap each). Two
 * or more are merged into `scratch`; none gives `runStarts` itself.
 */
export function groupBreaksOf(runStarts: Uint32Array, changes: readonly Uint32Array[], scratch: Uint32Array): Uint32Array {
  if (changes.length === 0) return runStarts;
  if (changes.length === 1) return changes[0] as Uint32Array;
  scratch.set(changes[0] as Uint32Array);
  for (const bits of changes.slice(1)) for (let w = 0; w < scratch.length; w++) scratch[w] = (scratch[w] as number) | (bits[w] as number);
  return scratch;
}

/**
 * `counts[stratum]` += the groups (started by `runStarts` or `breaks`)
 * holding a bit of `matched`, each counted once though it crosses words;
 * right when no run has two groups of one stratum. Returns the runs holding
 * a bit of `matched` (countRuns), found in the same pass.
 */
export function countGroupsPerStratum(
  matched: Uint32Array,
  runStarts: Uint32Array,
  breaks: Uint32Array,
  rows: number,
  codes: StratumCodes,
  counts: Float64Array,
): number {
  const { first, second, secondStride, third, thirdStride, rest } = codes;
  const lastWord = matched.length - 1;
  // The row after the last one starts a group, so none runs into the unused bits of the last word.
  const end = (rows & 31) === 0 ? 0 : 1 << (rows & 31);
  let runs = 0;
  // -1 while the run (group) open across the word boundary has already been counted.
  let openRun = 0;
  let open = 0;
  for (let w = 0; w < matched.length; w++) {
    const x = matched[w] as number;
    const r = runStarts[w] as number;
    const runHigh = fieldEnds(r);
    const runAny = fieldsHolding(x, r, runHigh);
    runs += popcount32(uncounted(runAny, r, runHigh, openRun));
    openRun = openAfter(openRun, r, runAny);

    const s = r | (breaks[w] as number) | (w === lastWord ? end : 0);
    const high = fieldEnds(s);
    const any = fieldsHolding(x, s, high);
    let marks = uncounted(any, s, high, open);
    open = openAfter(open, s, any);
    const base = w << 5;
    while (marks !== 0) {
      const row = base + 31 - Math.clz32(marks & -marks);
      marks &= marks - 1;
      let code = first[row] as number;
      if (second !== null) code += (second[row] as number) * secondStride;
      if (third !== null) code += (third[row] as number) * thirdStride;
      if (rest !== null) code += rest(row);
      counts[code] = (counts[code] as number) + 1;
    }
  }
  return runs;
}

/**
 * As {@link countGroupsPerStratum}, for any row order: a group counts only
 * the first time its run (named by its start row) shows its stratum.
 */
export function countGroupsPerStratumOnce(
  matched: Uint32Array,
  runStarts: Uint32Array,
  breaks: Uint32Array,
  rows: number,
  codes: StratumCodes,
  counts: Float64Array,
): number {
  const { first, second, secondStride, third, thirdStride, rest } = codes;
  const lastRun = new Int32Array(counts.length).fill(-1);
  const lastWord = matched.length - 1;
  const end = (rows & 31) === 0 ? 0 : 1 << (rows & 31);
  let runs = 0;
  let openRun = 0;
  let openStart = 0;
  for (let w = 0; w < matched.length; w++) {
    const x = matched[w] as number;
    const r = runStarts[w] as number;
    const base = w << 5;
    const runHigh = fieldEnds(r);
    const runAny = fieldsHolding(x, r, runHigh);
    runs += popcount32(uncounted(runAny, r, runHigh, openRun));
    openRun = openAfter(openRun, r, runAny);

    const s = r | (breaks[w] as number) | (w === lastWord ? end : 0);
    const high = fieldEnds(s);
    let marks = fieldsHolding(x, s, high);
    // Lowest first: a run's groups are seen in row order, so `lastRun` names the latest run.
    while (marks !== 0) {
      const bit = marks & -marks;
      marks ^= bit;
      const b = 31 - Math.clz32(bit);
      const row = base + b;
      const below = r & bitsUpTo(b);
      const run = below === 0 ? openStart : base + 31 - Math.clz32(below);
      let code = first[row] as number;
      if (second !== null) code += (second[row] as number) * secondStride;
      if (third !== null) code += (third[row] as number) * thirdStride;
      if (rest !== null) code += rest(row);
      if (lastRun[code] !== run) {
        lastRun[code] = run;
        counts[code] = (counts[code] as number) + 1;
      }
    }
    if (r !== 0) openStart = base + 31 - Math.clz32(r);
  }
  return runs;
}

/**
 * `counts[stratum]` += the matched rows, counted per group part within a
 * word (one popcount) instead of row by row. Groups here only need one
 * stratum, not one run: `breaks` are the rows where a stratify code changes.
 */
export function countRowsByGroups(matched: Uint32Array, breaks: Uint32Array, rows: number, codes: StratumCodes, counts: Float64Array): void {
  const { first, second, secondStride, third, thirdStride, rest } = codes;
  const lastWord = matched.length - 1;
  const end = (rows & 31) === 0 ? 0 : 1 << (rows & 31);
  for (let w = 0; w < matched.length; w++) {
    const x = matched[w] as number;
    if (x === 0) continue;
    const s = (breaks[w] as number) | (w === lastWord ? end : 0);
    const high = fieldEnds(s);
    let marks = fieldsHolding(x, s, high);
    const base = w << 5;
    while (marks !== 0) {
      const b = 31 - Math.clz32(marks & -marks);
      marks &= marks - 1;
      // The part's rows: from its start (the last break at or below b, else bit 0) up to b.
      const below = s & bitsUpTo(b);
      const start = below === 0 ? 1 : 1 << (31 - Math.clz32(below));
      const part = bitsUpTo(b) & -start;
      const row = base + b;
      let code = first[row] as number;
      if (second !== null) code += (second[row] as number) * secondStride;
      if (third !== null) code += (third[row] as number) * thirdStride;
      if (rest !== null) code += rest(row);
      counts[code] = (counts[code] as number) + popcount32(x & part);
    }
  }
}
