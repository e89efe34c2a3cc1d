import fc from 'fast-check';
import { ageInYears, birthDateRange, toPartialDate } from './partial-dates.js';

describe('toPartialDate', () => {
  test('keeps the precision written and drops the time', () => {
    expect(toPartialDate('2019')).toBe('2019');
    expect(toPartialDate('2019-05')).toBe('2019-05');
    expect(toPartialDate('2019-05-14')).toBe('2019-05-14');
    expect(toPartialDate('2011-05-30T06:15:00Z')).toBe('2011-05-30');
    expect(toPartialDate('2011-05-30T23:15:00-05:00')).toBe('2011-05-30');
  });

  test('rejects what is not a FHIR date or dateTime', () => {
    for (const bad of ['19', '2019-13', '2019-02-29', '2019-05-14T06:15', '2019T10:00:00Z', 'May 2019', '']) {
      expect(toPartialDate(bad)).toBeNull();
    }
    expect(toPartialDate('2020-02-29')).toBe('2020-02-29');
  });
});

describe('ageInYears', () => {
  test('full dates give the exact age, counting the birthday itself', () => {
    expect(ageInYears('1974-12-25', '2011-05-30')).toBe(36);
    expect(ageInYears('1974-12-25', '2011-12-24')).toBe(36);
    expect(ageInYears('1974-12-25', '2011-12-25')).toBe(37);
  });

  test('partial dates compare at the precision both share', () => {
    expect(ageInYears('1974', '2011-01-01')).toBe(37);
    expect(ageInYears('1974-12-25', '2011')).toBe(37);
    expect(ageInYears('1974-12', '2011-11-30')).toBe(36);
    expect(ageInYears('1974-12', '2011-12-01')).toBe(37);
  });

  test('a collection before birth has no age', () => {
    expect(ageInYears('2000-06-01', '2000-05-31')).toBeNull();
    expect(ageInYears('not a date', '2000-05-31')).toBeNull();
  });
});

describe('birthDateRange', () => {
  const day = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true });
  const iso = (d: Date): string => d.toISOString().slice(0, 10);
  const shift = (date: string, days: number): string => iso(new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000));

  test('holds exactly the birth dates that give the age, at every precision', () => {
    fc.assert(
      fc.property(day, day, fc.constantFrom(4, 7, 10), (a, b, precision) => {
        const [birth, at] = a <= b ? [iso(a), iso(b)] : [iso(b), iso(a)];
        const collected = at.slice(0, precision);
        const age = ageInYears(birth, collected);
        if (age === null) return;
        const range = birthDateRange(collected, age);
        expect(range).not.toBeNull();
        if (range === null) return;
        expect(birth >= range.from && birth <= range.to).toBe(true);
        expect(ageInYears(range.from, collected)).toBe(age);
        expect(ageInYears(range.to, collected)).toBe(age);
        expect(ageInYears(shift(range.from, -1), collected)).toBe(age + 1);
        const after = ageInYears(shift(range.to, 1), collected);
        expect(after === null || after === age - 1).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test('a leap-day collection: born on 28 February counts, 1 March of the year before does not', () => {
    expect(birthDateRange('2020-02-29', 40)).toEqual({ from: '1979-03-01', to: '1980-02-29' });
    expect(birthDateRange('2021-02-28', 1)).toEqual({ from: '2019-03-01', to: '2020-02-28' });
  });
});
