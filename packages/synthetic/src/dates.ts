/**
 * Collection dates as day numbers in the generated period, with their ISO
 * strings computed once: formatting a Date per record would dominate the cost
 * of generating ten million rows.
 */

import { BiospecError } from '@biospec/protocol';

/** First and last year a synthetic specimen can be collected in. */
export const FIRST_YEAR = 2005;
export const LAST_YEAR = 2025;

const MS_PER_DAY = 86_400_000;
const EPOCH = Date.UTC(FIRST_YEAR, 0, 1);

const ISO_DAYS: readonly string[] = (() => {
  const days: string[] = [];
  for (let ms = EPOCH; ms <= Date.UTC(LAST_YEAR, 11, 31); ms += MS_PER_DAY) {
    days.push(new Date(ms).toISOString().slice(0, 10));
  }
  return days;
})();

/** Day number of the last day of {@link LAST_YEAR}. */
export const LAST_DAY = ISO_DAYS.length - 1;

/** Day number of 1 January of `year` (clamped to the generated period). */
export function firstDayOf(year: number): number {
  const clamped = Math.min(Math.max(year, FIRST_YEAR), LAST_YEAR);
  return Math.round((Date.UTC(clamped, 0, 1) - EPOCH) / MS_PER_DAY);
}

/** `YYYY-MM-DD` of a day number in [0, {@link LAST_DAY}]. */
export function isoDay(day: number): string {
  const iso = ISO_DAYS[day];
  if (iso === undefined) throw new BiospecError('INTERNAL', `day ${day} is outside ${FIRST_YEAR}–${LAST_YEAR}`);
  return iso;
}
