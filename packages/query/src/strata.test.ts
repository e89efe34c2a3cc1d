import fc from 'fast-check';
import { DIMENSIONS } from './ast.js';
import { stratumKeyOf } from './reference-evaluator.js';
import { diagnosisChapter, DIMENSION_DOMAINS, strataCellCount, strataCellIndex, strataCells } from './strata.js';
import { recordsArb } from './testing/arbitraries.js';
import { ICD10_CODES } from './vocab/icd10-codes.js';

describe('the public strata domains', () => {
  test('every value a record can have lies in its dimension domain', () => {
    fc.assert(
      fc.property(recordsArb(16), (records) => {
        for (const record of records) {
          const key = stratumKeyOf(DIMENSIONS, record);
          for (const dimension of DIMENSIONS) expect(DIMENSION_DOMAINS[dimension]).toContain(key[dimension]);
        }
      }),
    );
    for (const age of [null, 0, 17, 18, 29, 30, 79, 80, 150]) {
      expect(DIMENSION_DOMAINS.age_band).toContain(stratumKeyOf(['age_band'], { age_at_collection: age } as never).age_band);
    }
    for (const { code } of ICD10_CODES) expect(DIMENSION_DOMAINS.diagnosis_chapter).toContain(diagnosisChapter([code]));
  });

  test('strataCells lists the whole product in a fixed order, first dimension slowest', () => {
    const cells = strataCells(['sex', 'storage_temperature']);
    expect(cells).toHaveLength(strataCellCount(['sex', 'storage_temperature']));
    expect(cells).toHaveLength(4 * 6);
    expect(cells[0]).toEqual({ sex: 'female', storage_temperature: 'RT' });
    expect(cells[1]).toEqual({ sex: 'female', storage_temperature: '2to10' });
    expect(new Set(cells.map((c) => JSON.stringify(c))).size).toBe(cells.length);
    expect(strataCells([])).toEqual([]);
  });
});

test('strataCellIndex is the position of a key in strataCells, and −1 outside the domains', () => {
  const dimensions = ['material_type', 'age_band'] as const;
  strataCells([...dimensions]).forEach((key, i) => expect(strataCellIndex([...dimensions], key)).toBe(i));
  expect(strataCellIndex([...dimensions], { material_type: 'plasmid', age_band: '0-17' })).toBe(-1);
  expect(strataCellIndex([...dimensions], { material_type: 'serum' })).toBe(-1);
});
