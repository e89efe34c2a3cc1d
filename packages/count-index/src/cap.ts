/**
 * Per-donor contribution caps (`ContributionCaps` of @biospec/query) on top of
 * the uncapped count. Units are per donor (a specimen is a root within its
 * donor), so an uncapped figure is a sum over donors, and a capped one differs
 * only by what the cut donors lose. A donor with no more rows than the smallest
 * cap can never be cut: it has no more units, nor (unit, cell) pairs, than rows.
 * So the main index counts everyone as before, and this corrects the figures
 * over the donors that have more rows (CappedRows: a few per cent of the rows),
 * evaluated with the same bitmap code on an index of their own whose rows are
 * in cap order (root, then sample id): a donor with no more matched rows than
 * the cap is skipped after one popcount; for the others, one pass over their
 * matched rows takes the first units (pairs) as the rule says and subtracts
 * the rest.
 */
import type { Unit } from '@biospec/query';
import { hasBit } from './bits.js';
import type { CappedRows } from './index-data.js';

/** Matched rows in [from, to). */
function matchedIn(matched: Uint32Array, from: number, to: number): number {
  let n = 0;
  for (let row = from; row < to; ) {
    const w = row >>> 5;
    const bit = row & 31;
    const span = Math.min(32 - bit, to - row);
    const mask = span === 32 ? -1 : ((1 << span) - 1) << bit;
    let x = (matched[w] as number) & mask;
    x -= (x >>> 1) & 0x55555555;
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    n += (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
    row += span;
  }
  return n;
}

/**
 * What the caps take off the uncapped figures of `unit` over `capped.data`
 * whose matched rows are `matched`: returns the change of the total, and
 * subtracts the pairs a donor may not add from `counts` (by stratum number,
 * `cellOf(row)`), when stratified.
 */
export function capCorrection(
  unit: Unit,
  matched: Uint32Array,
  capped: CappedRows,
  cellOf: ((row: number) => number) | null,
  counts: Float64Array | null,
): number {
  const { caps, data, donorBounds } = capped;
  const totalCap = unit === 'donors' ? Infinity : caps[unit];
  const cellCap = unit === 'donors' ? caps.donorCells : caps[unit];
  const stratified = cellOf !== null && counts !== null;
  const skipUpTo = stratified ? Math.min(totalCap, cellCap) : totalCap;
  if (skipUpTo === Infinity) return 0;
  const rootStarts = data.rootStarts;
  // The (unit, cell) pairs seen in the current root (specimens) or donor (donors): stamp per cell.
  const seen = stratified ? new Int32Array(counts.length).fill(-1) : null;
  let stamp = 0;
  let delta = 0;
  for (let k = 0; k + 1 < donorBounds.length; k++) {
    const from = donorBounds[k] as number;
    const to = donorBounds[k + 1] as number;
    const n = matchedIn(matched, from, to);
    if (n <= skipUpTo) continue;
    if (unit === 'aliquots') {
      if (n > totalCap) delta += totalCap - n;
      if (!stratified) continue;
      let kept = 0;
      for (let row = from; row < to; row++) {
        if (!hasBit(matched, row)) continue;
        if (kept < cellCap) kept++;
        else {
          const c = cellOf(row);
          counts[c] = (counts[c] as number) - 1;
        }
      }
      continue;
    }
    let roots = 0;
    let rootMatched = false;
    let pairs = 0;
    stamp++;
    for (let row = from; row < to; row++) {
      if (hasBit(rootStarts, row)) {
        rootMatched = false;
        if (unit === 'specimens') stamp++;
      }
      if (!hasBit(matched, row)) continue;
      if (!rootMatched) {
        rootMatched = true;
        roots++;
      }
      if (seen === null || counts === null || cellOf === null) continue;
      const c = cellOf(row);
      if (seen[c] === stamp) continue;
      seen[c] = stamp;
      if (pairs < cellCap) pairs++;
      else counts[c] = (counts[c] as number) - 1;
    }
    if (unit === 'specimens' && roots > totalCap) delta += totalCap - roots;
  }
  return delta;
}
