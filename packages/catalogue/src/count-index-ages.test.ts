import Database from 'better-sqlite3';
import { referenceCount, type Expr, type Query, type SpecimenRecord } from '@biospec/query';
import { createCountIndex } from '@biospec/count-index';
import { openCatalogue } from './catalogue.js';
import { createIndexSource } from './index-source.js';
import { rowsOf, specimen, tempCataloguePath } from './test-helpers.js';

/**
 * Every root's rows share an age: A1 and its derivative A2, A3 (filed under
 * another donor, so for D2 a specimen of its own whose root id is A1), B1 and its derivative, C1. The
 * tests below also give A3 or B2 another age than their root's.
 */
const records: SpecimenRecord[] = [
  specimen({ sample_id: 'A1', donor_id: 'D1', age_at_collection: 40 }),
  specimen({ sample_id: 'A2', donor_id: 'D1', age_at_collection: 40, material_type: 'dna', parent_sample_id: 'A1' }),
  specimen({ sample_id: 'A3', donor_id: 'D2', age_at_collection: 40, material_type: 'rna', parent_sample_id: 'A1', sex: 'male' }),
  specimen({ sample_id: 'B1', donor_id: 'D2', age_at_collection: 70, sex: 'male', consent: ['DUO:0000007'] }),
  specimen({ sample_id: 'B2', donor_id: 'D2', age_at_collection: 70, sex: 'male', material_type: 'dna', parent_sample_id: 'B1' }),
  specimen({ sample_id: 'C1', donor_id: 'D3', age_at_collection: null, material_type: 'dna' }),
];

const gru: Expr = { op: 'consent_permits', use: 'DUO:0000042' };
const wheres: Expr[] = [
  { op: 'and', args: [gru, { op: 'age_range', min: 18, max: 65 }] },
  { op: 'age_range', min: 39.5, max: 40.5 },
  { op: 'and', args: [{ op: 'age_range', min: 40.5 }, gru] },
  { op: 'and', args: [{ op: 'and', args: [{ op: 'age_range', max: 80 }, { op: 'in', field: 'sex', values: ['male'] }] }, { op: 'age_range', min: 41 }] },
  { op: 'and', args: [{ op: 'age_range', min: 50 }, { op: 'age_range', max: 45 }] },
  { op: 'and', args: [{ op: 'not', arg: gru }, { op: 'age_range', min: 0, max: 254 }] },
];
const queries: Query[] = wheres.flatMap((where) => [
  { unit: 'specimens', where, stratify: ['material_type', 'sex'] },
  { unit: 'specimens', where },
]);

/** Strata as a set: the reference sorts them by canonical JSON, the catalogue by JSON with sorted keys. */
function normalised(result: { total: number; strata: { key: Record<string, string>; count: number }[] } | undefined) {
  const strata = (result?.strata ?? []).map((s) => [JSON.stringify(Object.entries(s.key).sort()), s.count] as const);
  return { total: result?.total, strata: strata.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
}

async function withIndex(rows: SpecimenRecord[], check: (index: ReturnType<typeof createCountIndex>, withdraw: (donor: string) => void) => void) {
  const path = tempCataloguePath();
  const catalogue = openCatalogue(path, { countIndex: 'off' });
  await catalogue.importRows(rowsOf(rows));
  const db = new Database(path, { readonly: true });
  const index = createCountIndex({ source: createIndexSource(path, db), mode: 'inline' });
  try {
    check(index, (donor) => catalogue.withdrawDonor(donor));
  } finally {
    index.close();
    db.close();
    catalogue.close();
  }
}

/** `records` with one more year for `sample` (none: unchanged). */
function agedOne(sample: string | null): SpecimenRecord[] {
  return records.map((r) => (r.sample_id === sample ? { ...r, age_at_collection: (r.age_at_collection ?? 0) + 1 } : r));
}

describe('specimens by key tests and age ranges, from the age profile tables', () => {
  test.each([
    ['every root of one age', null],
    ['a root of two ages within one donor', 'B2'],
    ['a root of two ages across the donors sharing it', 'A3'],
  ])('agree with referenceCount, before and after withdrawals: %s', async (_, sample) => {
    const aged = agedOne(sample);
    await withIndex(aged, (index, withdraw) => {
      let current = aged;
      for (const donor of [null, 'D2', 'D1']) {
        if (donor !== null) {
          withdraw(donor);
          current = current.map((r) => (r.donor_id === donor ? { ...r, status: 'withdrawn' } : r));
        }
        for (const query of queries) {
          expect(index.answersFromProfiles(query)).toBe(true);
          expect(normalised(index.count(query))).toEqual(normalised(referenceCount(query, current)));
        }
      }
      expect(index.stats()?.builds).toBe(1);
    });
  });

  test('an age without a code (written outside the importer) leaves the tables out: counted from the rows', async () => {
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path, { countIndex: 'off' });
    await catalogue.importRows(rowsOf(records));
    const writer = new Database(path);
    writer.prepare("UPDATE specimen SET age_at_collection = 300 WHERE sample_id = 'C1'").run();
    writer.close();
    const stored = records.map((r) => (r.sample_id === 'C1' ? { ...r, age_at_collection: 300 } : r));
    const db = new Database(path, { readonly: true });
    const index = createCountIndex({ source: createIndexSource(path, db), mode: 'inline' });
    try {
      for (const query of queries) {
        expect(index.answersFromProfiles(query)).toBe(false);
        expect(normalised(index.count(query))).toEqual(normalised(referenceCount(query, stored)));
      }
    } finally {
      index.close();
      db.close();
      catalogue.close();
    }
  });

  test('only specimens, key strata and ANDed age ranges take the tables', async () => {
    await withIndex(records, (index) => {
      const age: Expr = { op: 'age_range', min: 18, max: 65 };
      const others: Query[] = [
        { unit: 'aliquots', where: { op: 'and', args: [gru, age] } },
        { unit: 'donors', where: { op: 'and', args: [gru, age] } },
        { unit: 'specimens', where: { op: 'or', args: [gru, age] } },
        { unit: 'specimens', where: { op: 'not', arg: age } },
        { unit: 'specimens', where: { op: 'and', args: [age, { op: 'min_quantity', value: 1 }] } },
        { unit: 'specimens', where: { op: 'and', args: [gru, age] }, stratify: ['age_band'] },
      ];
      for (const query of others) {
        expect(index.answersFromProfiles(query)).toBe(false);
        expect(normalised(index.count(query))).toEqual(normalised(referenceCount(query, records)));
      }
    });
  });
});
