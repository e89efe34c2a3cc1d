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

/** The year, month and day a FHIR `date` or `dateTime` names; null when it is not one. */
export function dateParts(value: string): DateParts | null {
  const match = FHIR_DATE.exec(value);
  if (!match) return null;
  const year = Number(match[1]);
  if (match[2] === undefined) return { year };
  const month = Number(match[2]);
  if (month < 1 || month > 12) return null;
  if (match[3] === undefined) return { year, month };
  const day = Number(match[3]);
  if (day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  return { year, month, day };
}
