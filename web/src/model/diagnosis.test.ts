import { describeDiagnosisItem, diagnosisOptions, readDiagnosisEntry } from './diagnosis.js';

describe('readDiagnosisEntry', () => {
  test('reads codes, ranges (hyphen or en dash) and chapters', () => {
    expect(readDiagnosisEntry('c509')).toEqual({ kind: 'code', item: 'C50.9', label: 'Malignant neoplasm of breast' });
    expect(readDiagnosisEntry(' c00 – c97 ')).toMatchObject({ kind: 'range', item: 'C00-C97' });
    expect(readDiagnosisEntry('ii')).toMatchObject({ kind: 'chapter', item: 'II', label: 'Chapter II: Neoplasms (C00-D48)' });
    expect(readDiagnosisEntry('XYZ')).toEqual({ kind: 'unknown', item: 'XYZ' });
  });

  test('a range that is a chapter says so', () => {
    expect(describeDiagnosisItem('C00-D48')).toContain('chapter II');
  });
});

describe('diagnosisOptions', () => {
  test('searches titles and codes', () => {
    const options = diagnosisOptions('breast');
    expect(options.map((o) => o.item)).toContain('C50');
  });

  test('offers a typed range first', () => {
    expect(diagnosisOptions('C00-C97')[0]?.item).toBe('C00-C97');
  });

  test('finds chapters by title words', () => {
    expect(diagnosisOptions('circulatory').map((o) => o.item)).toContain('IX');
  });
});
