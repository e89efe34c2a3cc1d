/**
 * Partial ISO dates (`2019`, `2019-05`, `2019-05-14`) as FHIR `date` and
 * `dateTime` carry them, and ages computed between them.
 */
import { ageInYears as ageBetween, dateParts as parts, type DateParts } from '@biospec/query/model';
import { memoized, memoized2 } from './memo.js';

/** Whole years from a birth date to a date (`@biospec/query`'s ageInYears, remembered). */
export const ageInYears: (birth: string, at: string) => number | null = memoized2(ageBetween);

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * The calendar date a FHIR `date` or `dateTime` names, at the precision given
 * and with the time dropped (the date as written, never shifted between time
 * zones); null when `value` is not a valid FHIR date or dateTime.
 */
export const toPartialDate: (value: string) => string | null = memoized(partialDateOf);

function partialDateOf(value: string): string | null {
  if (value.includes('T') && !/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  const p = parts(value);
  if (!p) return null;
  return [String(p.year).padStart(4, '0'), p.month && pad(p.month), p.day && pad(p.day)].filter(Boolean).join('-');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The first and last full birth date (`YYYY-MM-DD`, inclusive) for which {@link ageInYears}(birth, `collectedOn`) is `age`. */
export function birthDateRange(collectedOn: string, age: number): { from: string; to: string } | null {
  const c = parts(collectedOn);
  if (!c || age < 0) return null;
  const year = c.year - age;
  if (c.month === undefined) return { from: iso(year, 1, 1), to: iso(year, 12, 31) };
  if (c.day === undefined) {
    const to = iso(year, c.month, daysInMonth(year, c.month));
    return c.month === 12 ? { from: iso(year, 1, 1), to } : { from: iso(year - 1, c.month + 1, 1), to };
  }
  // Born on the same month and day `age` years earlier is the latest; a day after that date one year earlier the first.
  const latest = clamp(year, c.month, c.day);
  const dayBefore = clamp(year - 1, c.month, c.day);
  return { from: nextDay(dayBefore), to: iso(latest.year, latest.month, latest.day) };
}

function clamp(year: number, month: number, day: number): Required<DateParts> {
  return { year, month, day: Math.min(day, daysInMonth(year, month)) };
}

function nextDay(p: Required<DateParts>): string {
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
  return iso(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

function iso(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${pad(month)}-${pad(day)}`;
}
