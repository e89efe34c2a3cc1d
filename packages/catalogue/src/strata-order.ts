/** The order strata are listed in: by the JSON of their key with its properties sorted. */
import type { TrueCount } from './true-count.js';

function sortKeyOf(key: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(key).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

export function sortStrata(strata: TrueCount['strata']): TrueCount['strata'] {
  const keyed = strata.map((stratum) => ({ stratum, sortKey: sortKeyOf(stratum.key) }));
  keyed.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  return keyed.map(({ stratum }) => stratum);
}
