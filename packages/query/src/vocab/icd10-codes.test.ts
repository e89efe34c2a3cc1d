import { ICD10_CODES, icd10Label, searchIcd10 } from './icd10-codes.js';
import { icd10Chapter, isIcd10Code } from './icd10.js';

/** Three-character categories of chapter II in WHO ICD-10 2019 (C42, C59, C87, C89, D08 do not exist). */
function chapterTwoCategories(): string[] {
  const absent = new Set(['C27', 'C28', 'C29', 'C35', 'C36', 'C42', 'C59', 'C87', 'C89', 'D08']);
  const codes: string[] = [];
  for (const letter of ['C', 'D']) {
    for (let n = 0; n <= (letter === 'C' ? 97 : 48); n += 1) {
      const code = `${letter}${String(n).padStart(2, '0')}`;
      if (!absent.has(code)) codes.push(code);
    }
  }
  return codes;
}

describe('ICD-10 labels', () => {
  test('every entry is a well-formed code inside a chapter, listed once, in code order', () => {
    const codes = ICD10_CODES.map((e) => e.code);
    expect(codes.every(isIcd10Code)).toBe(true);
    expect(codes.every((c) => icd10Chapter(c) !== null)).toBe(true);
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort()).toEqual(codes);
    expect(ICD10_CODES.every((e) => e.label.trim() === e.label && e.label.length > 0)).toBe(true);
  });

  test('chapter II (Neoplasms) is complete at category level', () => {
    const shipped = new Set(ICD10_CODES.map((e) => e.code));
    expect(chapterTwoCategories().filter((c) => !shipped.has(c))).toEqual([]);
    expect(chapterTwoCategories()).toHaveLength(137);
  });

  test('a few hundred categories, the common biobank ones among them', () => {
    expect(ICD10_CODES.length).toBeGreaterThanOrEqual(300);
    for (const code of ['E10', 'E11', 'E14', 'I10', 'I20', 'I25', 'I50', 'I63', 'J44', 'J45', 'K50', 'K51', 'M05', 'M06', 'G30', 'G35', 'F20', 'F32', 'N18']) {
      expect(icd10Label(code)).toBeDefined();
    }
  });

  test('icd10Label reads WHO titles and falls back to the category', () => {
    expect(icd10Label('C50')).toBe('Malignant neoplasm of breast');
    expect(icd10Label('C50.9')).toBe('Malignant neoplasm of breast');
    expect(icd10Label('c509')).toBe('Malignant neoplasm of breast');
    expect(icd10Label('E11')).toBe('Type 2 diabetes mellitus');
    expect(icd10Label('U07.1')).toBe('COVID-19, virus identified');
    expect(icd10Label('U07.9')).toBe('Emergency use of U07');
    expect(icd10Label('Q99')).toBeUndefined();
    expect(icd10Label('not a code')).toBeUndefined();
  });

  test('searchIcd10 finds by code prefix and by title words, best first', () => {
    expect(searchIcd10('C50')[0]).toEqual({ code: 'C50', label: 'Malignant neoplasm of breast' });
    expect(searchIcd10('c34').map((e) => e.code)).toEqual(['C34']);
    expect(searchIcd10('C5', 3).map((e) => e.code)).toEqual(['C50', 'C51', 'C52']);
    expect(searchIcd10('breast').map((e) => e.code)).toEqual(['C50', 'D05', 'D24']);
    expect(searchIcd10('neoplasm breast').map((e) => e.code)).toEqual(['C50', 'D24']);
    expect(searchIcd10('DIABETES').map((e) => e.code)).toEqual(['E10', 'E11', 'E12', 'E13', 'E14', 'O24']);
    expect(searchIcd10('leukaemia', 2)).toHaveLength(2);
    expect(searchIcd10('   ')).toEqual([]);
    expect(searchIcd10('zzzz')).toEqual([]);
  });
});
