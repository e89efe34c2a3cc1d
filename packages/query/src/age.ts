/**
 * Whole years between two partial ISO dates (`2019`, `2019-05`, `2019-05-14`,
 * optionally with a time, which is ignored), compared at the precision both
 * share: with a year only on either side the difference of years, with months
 * on both a month comparison, with days on both the exact age. This is the age
 * on the last day of the coarser date's period, so it can exceed the true age
 * by one. Null when either date is invalid or `at` precedes `birth`.
 */
export function ageInYears(birth: string, at: string): number | null {
  const b = dateParts(birth);
  const a = dateParts(at);
  if (!b || !a) return null;
  let years = a.year - b.year;
  if (a.month !== undefined && b.month !== undefined) {
    if (a.month < b.month) years -= 1;
    else if (a.month === b.month && a.day !== undefined && b.day !== undefined && a.day < b.day) years -= 1;
  }
  return years >= 0 ? years : null;
}

/** The parts of a FHIR `date` or `dateTime`. */
export interface DateParts {
  year: number;
  month?: number;
  day?: number;
}

const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

const digit = (value: string, i: number): number => value.charCodeAt(i) - 48;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (year: number, month: number): number =>
  month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : (DAYS[month - 1] as number);

/** The year, month and day a FHIR `date` or `dateTime` names; null when it is not one. */
export function dateParts(value: string): DateParts | null {
  // A plain `YYYY-MM-DD` (most dates an import meets) without the regular expression.
  if (value.length === 10 && value[4] === '-' && value[7] === '-') {
    const year = digit(value, 0) * 1000 + digit(value, 1) * 100 + digit(value, 2) * 10 + digit(value, 3);
    const month = digit(value, 5) * 10 + digit(value, 6);
    const day = digit(value, 8) * 10 + digit(value, 9);
    let plain = true;
    for (const i of [0, 1, 2, 3, 5, 6, 8, 9]) if (digit(value, i) < 0 || digit(value, i) > 9) plain = false;
    if (plain) {
      if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
      return { year, month, day };
    }
  }
  const match = FHIR_DATE.exec(value);
  if (!match) return null;
  const year = Number(match[1]);
  if (match[2] === undefined) return { year };
  const month = Number(match[2]);
  if (month < 1 || month > 12) return null;
  if (match[3] === undefined) return { year, month };
  const day = Number(match[3]);
  if (day < 1 || day > daysIn(year, month)) return null;
  return { year, month, day };
}
