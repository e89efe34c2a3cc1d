import { icd10IsUnder, icd10RangeEnds, readIcd10Term } from './icd10.js';

describe('readIcd10Term', () => {
  test('reads codes, ranges of categories and chapters', () => {
    expect(readIcd10Term('c509')).toEqual({ term: 'C50.9' });
    expect(readIcd10Term('C00-C97')).toEqual({ term: 'C00-C97' });
    expect(readIcd10Term('c00 \u2013 d48')).toEqual({ term: 'C00-D48' });
    expect(readIcd10Term('II')).toEqual({ term: 'C00-D48' });
    expect(readIcd10Term('xx')).toEqual({ term: 'V01-Y98' });
    expect(readIcd10Term('C50-C50')).toEqual({ term: 'C50' });
  });

  test('says why a term is not one', () => {
    expect(readIcd10Term('D48-C00')).toEqual({ problem: 'the range starts after it ends (D48 comes after C00)' });
    expect(readIcd10Term('C50.1-C50.3')).toEqual({ problem: 'a range joins two three-character categories, like C00-C97' });
    expect(readIcd10Term('C00-')).toEqual({ problem: 'a range joins two three-character categories, like C00-C97' });
    expect(readIcd10Term('neoplasm')).toEqual({ problem: 'expected a code like C50 or C50.9, a range like C00-C97 or a chapter like II' });
  });
});

describe('icd10IsUnder', () => {
  test('codes fall under themselves and their ancestors', () => {
    expect(icd10IsUnder('C50.9', 'C50')).toBe(true);
    expect(icd10IsUnder('C50', 'C50')).toBe(true);
    expect(icd10IsUnder('C501', 'C50')).toBe(false);
    expect(icd10IsUnder('C51', 'C50')).toBe(false);
  });

  test('a range holds every code whose category lies between its ends, both ends included', () => {
    expect(icd10IsUnder('C00', 'C00-D48')).toBe(true);
    expect(icd10IsUnder('D48.9', 'C00-D48')).toBe(true);
    expect(icd10IsUnder('C99.12', 'C00-D48')).toBe(true);
    expect(icd10IsUnder('D49', 'C00-D48')).toBe(false);
    expect(icd10IsUnder('B99.9', 'C00-D48')).toBe(false);
    expect(icd10RangeEnds('C00-D48')).toEqual(['C00', 'D48']);
    expect(icd10RangeEnds('C50.9')).toBeNull();
  });
});
