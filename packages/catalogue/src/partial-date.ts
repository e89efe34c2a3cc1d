/**
 * Partial ISO 8601 dates (`2019`, `2019-05`, `2019-05-14`) as the catalogue
 * stores them, and the interval of days each one denotes.
 */

const PARTIAL_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** Days in a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The first and last day a partial date denotes, or a reason it is not a real date. */
export type DateSpan = { first: string; last: string } | { error: string };

/** `2019` → 2019-01-01..2019-12-31, `2019-02` → 2019-02-01..2019-02-28; `2019-02-30` is an error. */
export function partialDateSpan(text: string): DateSpan {
  const parts = PARTIAL_DATE.exec(text);
  if (!parts) return { error: 'expected an ISO date YYYY, YYYY-MM or YYYY-MM-DD' };
  const year = parts[1] as string;
  const monthText = parts[2];
  const dayText = parts[3];
  if (monthText === undefined) return { first: `${year}-01-01`, last: `${year}-12-31` };
  const month = Number(monthText);
  if (month < 1 || month > 12) return { error: `month ${monthText} does not exist` };
  const lastDay = daysInMonth(Number(year), month);
  if (dayText === undefined) return { first: `${year}-${monthText}-01`, last: `${year}-${monthText}-${lastDay}` };
  const day = Number(dayText);
  if (day < 1 || day > lastDay) return { error: `day ${dayText} does not exist in ${year}-${monthText}` };
  return { first: text, last: text };
}

/** Source date layouts a column mapping can declare. */
export const DATE_FORMATS = ['YYYY-MM-DD', 'DD.MM.YYYY', 'MM/DD/YYYY'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

const DOTTED = /^(?:(?:(\d{1,2})\.)?(\d{1,2})\.)?(\d{4})$/;
const SLASHED = /^(?:(\d{1,2})\/(?:(\d{1,2})\/)?)?(\d{4})$/;

/**
 * Rewrites a date written in `format` as a partial ISO date, keeping its
 * precision (`05.2019` → `2019-05`); returns null when the layout does not fit.
 * Whether the day exists is checked afterwards, on the ISO form.
 */
export function toIsoDate(text: string, format: DateFormat): string | null {
  if (format === 'YYYY-MM-DD') return text;
  const pad = (part: string): string => part.padStart(2, '0');
  if (format === 'DD.MM.YYYY') {
    const m = DOTTED.exec(text);
    if (!m) return null;
    const [, day, month, year] = m;
    if (month === undefined) return year as string;
    return day === undefined ? `${year}-${pad(month)}` : `${year}-${pad(month)}-${pad(day)}`;
  }
  const m = SLASHED.exec(text);
  if (!m) return null;
  const [, first, second, year] = m;
  if (first === undefined) return year as string;
  // MM/YYYY carries no day; MM/DD/YYYY puts the month first.
  return second === undefined ? `${year}-${pad(first)}` : `${year}-${pad(first)}-${pad(second)}`;
}
