/**
 * Per-donor contribution caps (`ContributionCaps` of @biospec/query) on top of
 * the uncapped count. Units are per donor (a specimen is a root within its
 * donor), so an uncapped figure is a sum over donors, and a capped one differs
 * only by what the cut donors lose. Most donors can never be cut, whatever the
 * question: they have no more records, (root, cell) pairs or cells than the
 * caps allow (build.ts, `couldBeCut`). So the main index counts everyone as
 * before, and this corrects the figures over the others (CappedRows: 3 % of
 * the rows of the synthetic catalogues with caps 5, 25, 5), evaluated with the
 * same bitmap code on an index of their own whose rows are in cap order (root,
 * then sample id). A donor is skipped when its bound for the question's unit
 * and strata is within the cap, then when its matched rows are; for the
 * others, one walk over their matched rows takes the first units (pairs) as
 * the rule says and subtracts the rest.
 */
import { STRATA_DIMENSIONS, type StrataDimension, type Unit } from '@biospec/query/model';
import { UNIT_BOUNDS_STRIDE } from './build.js';
import { popcount32 } from './bits.js';
import type { CappedRows } from './index-data.js';
import type { StratumCodes } from './strata.js';

/** Bits [from, to) of word `w` (from < to, both within or at the edges of the word's 32 rows). */
function wordMask(w: number, from: number, to: number): number {
  const base = w << 5;
  const low = from > base ? from - base : 0;
  const high = to - base;
  return (high >= 32 ? -1 : (1 << high) - 1) & (-1 << low);
}

/** The cap bounds mask of a stratification: bit i for STRATA_DIMENSIONS[i]. */
function maskOf(dimensions: readonly StrataDimension[]): number {
  let mask = 0;
  for (const d of dimensions) mask |= 1 << STRATA_DIMENSIONS.indexOf(d);
  return mask;
}

/**
 * What the caps take off the uncapped figures of `unit` over `capped.data`
 * whose matched rows are `matched`: returns the change of the total, and
 * subtracts the pairs a donor may not add from `counts` (by stratum number,
 * `cells` as read from `capped.data`), when stratified by `dimensions`.
 */
export function capCorrection(
  unit: Unit,
  matched: Uint32Array,
  capped: CappedRows,
  dimensions: readonly StrataDimension[],
  cells: StratumCodes | null,
  counts: Float64Array | null,
): number {
  const { caps, donorBounds, unitBounds, rootOfRow } = capped;
  const stratified = cells !== null && counts !== null && dimensions.length > 0;
  if (!stratified && unit === 'donors') return 0;
  const totalCap = unit === 'donors' ? Infinity : caps[unit];
  const cellCap = unit === 'donors' ? caps.donorCells : caps[unit];
  // Per donor, the most it can contribute to this question, read from its bounds (aliquots: its rows).
  const mask = stratified ? maskOf(dimensions) : 0;
  const boundAt = unit === 'donors' ? UNIT_BOUNDS_STRIDE / 2 + mask : mask;
  const cap = stratified ? Math.min(totalCap, cellCap) : totalCap;
  const aliquots = unit === 'aliquots';
  const specimens = unit === 'specimens';
  const { first, second, secondStride, third, thirdStride, rest } = cells ?? NO_CELLS;
  // The cells seen in the current root (specimens) or donor (donors), stamped per cell.
  const seen = new Int32Array(counts?.length ?? 0).fill(-1);
  const out = counts ?? new Float64Array(0);
  let stamp = 0;
  let delta = 0;
  for (let k = 0, donors = donorBounds.length - 1; k < donors; k++) {
    const from = donorBounds[k] as number;
    const to = donorBounds[k + 1] as number;
    const bound = aliquots ? to - from : (unitBounds[k * UNIT_BOUNDS_STRIDE + boundAt] as number);
    if (bound <= cap) continue;
    const firstWord = from >>> 5;
    const lastWord = (to - 1) >>> 5;
    let n = 0;
    for (let w = firstWord; w <= lastWord; w++) n += popcount32((matched[w] as number) & wordMask(w, from, to));
    if (n <= cap) continue;
    if (aliquots) {
      if (n > totalCap) delta += totalCap - n;
      if (!stratified) continue;
    }
    let kept = 0;
    let roots = 0;
    let lastRoot = -1;
    stamp++;
    for (let w = firstWord; w <= lastWord; w++) {
      let x = (matched[w] as number) & wordMask(w, from, to);
      while (x !== 0) {
        const row = (w << 5) + 31 - Math.clz32(x & -x);
        x &= x - 1;
        if (specimens) {
          const root = rootOfRow[row] as number;
          if (root !== lastRoot) {
            lastRoot = root;
            roots++;
            stamp++;
          }
        }
        if (!stratified) continue;
        let c = first[row] as number;
        if (second !== null) c += (second[row] as number) * secondStride;
        if (third !== null) c += (third[row] as number) * thirdStride;
        if (rest !== null) c += rest(row);
        if (!aliquots) {
          if (seen[c] === stamp) continue;
          seen[c] = stamp;
        }
        if (kept < cellCap) kept++;
        else out[c] = (out[c] as number) - 1;
      }
    }
    if (specimens && roots > totalCap) delta += totalCap - roots;
  }
  return delta;
}

const NO_CELLS: StratumCodes = { first: new Uint8Array(0), second: null, secondStride: 0, third: null, thirdStride: 0, rest: null };
