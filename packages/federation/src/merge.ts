import { DisclosureKind, type MergedStratum, type MergedTotal, type ReleasedFigure, type Stratum } from '@biospec/protocol';

const number = new Intl.NumberFormat('en-US');

/**
 * Adds what the sites released. Below-threshold sites add nothing to the sum
 * but widen the upper bound by at most their threshold minus one, so the
 * merged figure never claims more precision than the sites gave.
 */
export function mergeFigures(figures: readonly ReleasedFigure[]): MergedTotal {
  let releasedSum = 0;
  let sitesBelowThreshold = 0;
  let withheldMax = 0;
  let exact = figures.length > 0;
  for (const figure of figures) {
    const kind = figure.disclosure?.kind;
    if (figure.value !== undefined) releasedSum += figure.value;
    if (kind === DisclosureKind.DISCLOSURE_KIND_BELOW_THRESHOLD) {
      sitesBelowThreshold += 1;
      withheldMax += Math.max(0, (figure.disclosure?.threshold ?? 0) - 1);
    }
    if (kind !== DisclosureKind.DISCLOSURE_KIND_EXACT) exact = false;
  }
  return { releasedSum, sitesBelowThreshold, withheldMax, exact, display: displayOf(figures.length, releasedSum, sitesBelowThreshold, withheldMax, exact) };
}

function displayOf(answered: number, sum: number, below: number, withheldMax: number, exact: boolean): string {
  if (answered === 0) return 'no site answered';
  if (exact) return number.format(sum);
  const sites = below === 1 ? '1 site' : `${below} sites`;
  if (below === 0) return `about ${number.format(sum)}`;
  if (sum === 0) return `at most ${number.format(withheldMax)} (${sites} below threshold)`;
  return `about ${number.format(sum)} + up to ${number.format(withheldMax)} more at ${sites} below threshold`;
}

/** True when `key` names exactly the dimensions and values of `cell`. */
function sameKey(key: Readonly<Record<string, string>>, cell: Readonly<Record<string, string>>, dimensions: number): boolean {
  let seen = 0;
  for (const name in key) {
    if (key[name] !== cell[name]) return false;
    seen += 1;
  }
  return seen === dimensions;
}

/**
 * Merges strata cell by cell across sites, for every cell of the question's
 * stratification (`cells`, in its fixed order), so the merged answer has the
 * same shape whatever the sites released: a cell no answering site released
 * is "no site answered", like the total when every site failed.
 * Sites list every cell in that same order (docs/PRIVACY.md), so each stratum is first
 * compared with the cell at its own position; only one found elsewhere is looked up by
 * key, which keeps a 60-cell question over 1,000 sites to one comparison per stratum.
 */
export function mergeStrata(cells: readonly Record<string, string>[], perSite: readonly (readonly Stratum[])[]): MergedStratum[] {
  const dimensions = cells.length > 0 ? Object.keys(cells[0]!).length : 0;
  const figures: ReleasedFigure[][] = cells.map(() => []);
  let byKey: Map<string, number> | undefined;
  const idOf = (key: Record<string, string>) => JSON.stringify(Object.entries(key).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  for (const strata of perSite) {
    strata.forEach((stratum, position) => {
      if (!stratum.figure) return;
      const cell = cells[position];
      const at = cell !== undefined && sameKey(stratum.key, cell, dimensions) ? position : (byKey ??= new Map(cells.map((key, i) => [idOf(key), i]))).get(idOf(stratum.key));
      if (at !== undefined) figures[at]!.push(stratum.figure);
    });
  }
  return cells.map((key, i) => ({ key: { ...key }, total: mergeFigures(figures[i]!) }));
}
