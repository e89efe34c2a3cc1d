/**
 * Per-donor contribution bounds: how much one donor can add to the figures of
 * one question. They make a count's sensitivity a property of the question and
 * the policy, so that noise calibrated to them protects a person, not a row
 * (docs/PRIVACY.md, "Sensitivity per person").
 *
 * With caps, a donor's matching records are taken in a fixed order (by root
 * specimen id, then sample id, in code-unit order) and:
 * - the total counts at most `specimens` of the donor's distinct root specimens
 *   (`aliquots`: records); `donors` counts the donor once, as without caps;
 * - a stratified answer counts at most `specimens` (`aliquots`, `donorCells`)
 *   distinct (unit, cell) pairs of the donor over all its cells together: the
 *   first ones in that order. A specimen whose records fall in two cells is two pairs.
 * Units beyond a cap are not counted. A specimen is counted per donor: a root
 * whose records belong to two donors (a derivative filed under another donor)
 * counts once for each.
 */
export interface ContributionCaps {
  /** Distinct root specimens of one donor counted in a total; (specimen, cell) pairs over all cells. */
  specimens: number;
  /** Specimen records (aliquots) of one donor counted in a total, and over all cells together. */
  aliquots: number;
  /** Cells one donor is counted in, for `donors` stratified. */
  donorCells: number;
}
