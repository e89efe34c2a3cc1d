import Database from 'better-sqlite3';
import fc from 'fast-check';
import {
  ageBand,
  consentPermits,
  diagnosisChapter,
  icd10IsUnder,
  isUseCategory,
  type Dimension,
  type Expr,
  type Query,
  type SpecimenRecord,
} from '@biospec/query';
import { openCatalogue, type Catalogue } from './catalogue.js';
import type { TrueCount } from './true-count.js';
import { createCodebook } from './codebook.js';
import { compileCount, compileExpr, type SqlValue } from './compile.js';
import { partialDateSpan } from './partial-date.js';
import { contentOf, rowsOf, specimen, tempCataloguePath } from './test-helpers.js';

const ROWS: SpecimenRecord[] = [
  specimen({ sample_id: 'S1', donor_id: 'D1', anatomical_site: 'C50.4' }),
  specimen({ sample_id: 'S2', donor_id: 'D1', parent_sample_id: 'S1', material_type: 'dna', collected_on: '2019-05', storage_temperature: 'LN', quantity: 5 }),
  specimen({ sample_id: 'S3', donor_id: 'D2', material_type: 'plasma', collected_on: '2019', diagnosis: ['C50'], age_at_collection: null, consent: ['DUO:0000006'], status: 'reserved', quantity: 0, collection_id: 'COLL-B' }),
  specimen({ sample_id: 'S4', donor_id: 'D3', material_type: 'tissue-ffpe', collected_on: '2020-01-01', diagnosis: ['C51.0', 'C50.91'], anatomical_site: 'C51', sex: 'male', age_at_collection: 70, storage_temperature: 'RT', consent: ['DUO:0000007'], status: 'depleted', quantity: 1 }),
  specimen({ sample_id: 'S5', donor_id: 'D4', material_type: 'urine', collected_on: null, diagnosis: [], sex: 'male', age_at_collection: 20, storage_temperature: 'RT', consent: [], quantity: 10, collection_id: 'COLL-B' }),
  specimen({ sample_id: 'S6', donor_id: 'D5', status: 'withdrawn', age_at_collection: 50 }),
  specimen({ sample_id: 'S7', donor_id: 'D1', parent_sample_id: 'S2', material_type: 'rna', quantity: 1, consent: ['DUO:0000042', 'DUO:0000044'] }),
  specimen({ sample_id: 'S8', donor_id: 'D6', parent_sample_id: 'S6', material_type: 'dna', diagnosis: ['E11.9'], sex: 'other', age_at_collection: 17, consent: ['DUO:0000004'] }),
];

let catalogue: Catalogue;
let path: string;
let db: Database.Database;

beforeAll(async () => {
  path = tempCataloguePath();
  catalogue = openCatalogue(path);
  await catalogue.importRows(rowsOf(ROWS));
  db = new Database(path, { readonly: true });
});
afterAll(() => {
  db.close();
  catalogue.close();
});

/** The sample ids a where-expression selects (withdrawn excluded), straight from the compiled SQL. */
function selected(expr: Expr): string[] {
  const params: SqlValue[] = [];
  const sql = `SELECT s.sample_id FROM specimen s WHERE s.status <> 0 AND ${compileExpr(expr, createCodebook(db), params)} ORDER BY 1`;
  return db.prepare(sql).pluck().all(...params) as string[];
}

describe('predicates', () => {
  test.each<[string, Expr, string[]]>([
    ['in material_type', { op: 'in', field: 'material_type', values: ['serum', 'dna'] }, ['S1', 'S2', 'S8']],
    ['in sex', { op: 'in', field: 'sex', values: ['male'] }, ['S4', 'S5']],
    ['in storage_temperature', { op: 'in', field: 'storage_temperature', values: ['LN', 'RT'] }, ['S2', 'S4', 'S5']],
    ['in status', { op: 'in', field: 'status', values: ['reserved', 'depleted'] }, ['S3', 'S4']],
    ['in collection_id', { op: 'in', field: 'collection_id', values: ['COLL-B'] }, ['S3', 'S5']],
    ['in with a value never stored', { op: 'in', field: 'material_type', values: ['csf'] }, []],
    ['age_range inclusive', { op: 'age_range', min: 20, max: 45 }, ['S1', 'S2', 'S5', 'S7']],
    ['age_range open above', { op: 'age_range', min: 46 }, ['S4']],
    ['age_range open below', { op: 'age_range', max: 17 }, ['S8']],
    ['not age_range includes unknown age', { op: 'not', arg: { op: 'age_range', min: 20, max: 45 } }, ['S3', 'S4', 'S8']],
    ['collected_between: whole partial date inside', { op: 'collected_between', from: '2019-05-01', to: '2019-05-31' }, ['S1', 'S2', 'S7', 'S8']],
    ['collected_between: a year is not inside a month', { op: 'collected_between', from: '2019-01-01', to: '2019-12-30' }, ['S1', 'S2', 'S7', 'S8']],
    ['collected_between: a year inside a year', { op: 'collected_between', from: '2019-01-01', to: '2019-12-31' }, ['S1', 'S2', 'S3', 'S7', 'S8']],
    ['collected_between: open end', { op: 'collected_between', from: '2019-06-01' }, ['S4']],
    ['not collected_between includes unknown dates', { op: 'not', arg: { op: 'collected_between', to: '2019-12-31' } }, ['S4', 'S5']],
    ['diagnosis category covers its codes, not other categories', { op: 'diagnosis', codes: ['C50'] }, ['S1', 'S2', 'S3', 'S4', 'S7']],
    ['diagnosis subcode covers its descendants only', { op: 'diagnosis', codes: ['C50.9'] }, ['S1', 'S2', 'S4', 'S7']],
    ['diagnosis any code of any specimen code', { op: 'diagnosis', codes: ['C51', 'E11'] }, ['S4', 'S8']],
    ['diagnosis absent code', { op: 'diagnosis', codes: ['Z99'] }, []],
    ['not diagnosis includes specimens without one', { op: 'not', arg: { op: 'diagnosis', codes: ['C50'] } }, ['S5', 'S8']],
    ['anatomical_site with descendants', { op: 'anatomical_site', codes: ['C50'] }, ['S1']],
    ['anatomical_site exact category', { op: 'anatomical_site', codes: ['C51'] }, ['S4']],
    ['not anatomical_site includes unknown sites', { op: 'not', arg: { op: 'anatomical_site', codes: ['C50'] } }, ['S2', 'S3', 'S4', 'S5', 'S7', 'S8']],
    ['consent GRU question', { op: 'consent_permits', use: 'DUO:0000042' }, ['S1', 'S2', 'S7', 'S8']],
    ['consent HMB question: GRU, HMB and NRES permit it', { op: 'consent_permits', use: 'DUO:0000006' }, ['S1', 'S2', 'S3', 'S7', 'S8']],
    ['consent DS question', { op: 'consent_permits', use: 'DUO:0000007' }, ['S1', 'S2', 'S3', 'S4', 'S7', 'S8']],
    ['consent POA question: NPOA removes it', { op: 'consent_permits', use: 'DUO:0000011' }, ['S1', 'S2', 'S8']],
    ['consent for a modifier is permitted by nothing', { op: 'consent_permits', use: 'DUO:0000016' }, []],
    ['min_quantity', { op: 'min_quantity', value: 2 }, ['S1', 'S2', 'S5', 'S8']],
    ['and', { op: 'and', args: [{ op: 'in', field: 'sex', values: ['female'] }, { op: 'min_quantity', value: 2 }] }, ['S1', 'S2']],
    ['or', { op: 'or', args: [{ op: 'in', field: 'sex', values: ['other'] }, { op: 'min_quantity', value: 10 }] }, ['S5', 'S8']],
    ['empty and / or', { op: 'or', args: [{ op: 'and', args: [] }, { op: 'or', args: [] }] }, ['S1', 'S2', 'S3', 'S4', 'S5', 'S7', 'S8']],
  ])('%s', (_name, expr, expected) => {
    expect(selected(expr)).toEqual(expected);
  });
});

describe('units and strata', () => {
  test('aliquots count rows, specimens count root ancestors, donors count donors; withdrawn never', async () => {
    expect(await catalogue.count({ unit: 'aliquots' })).toEqual({ epoch: 1, total: 7, strata: [] });
    // S1, S2, S7 share root S1; S8's parent S6 is withdrawn but still its root.
    expect(await catalogue.count({ unit: 'specimens' })).toEqual({ epoch: 1, total: 5, strata: [] });
    expect(await catalogue.count({ unit: 'donors' })).toEqual({ epoch: 1, total: 5, strata: [] });
    const withdrawnOnly: Query = { unit: 'aliquots', where: { op: 'in', field: 'sex', values: ['female'] } };
    expect((await catalogue.count(withdrawnOnly)).total).toBe(4);
  });

  test('strata: non-empty only, keys in stratify order, sorted by their JSON with properties sorted', async () => {
    const result = await catalogue.count({ unit: 'specimens', stratify: ['sex', 'age_band'] });
    expect(result.total).toBe(5);
    expect(result.strata).toEqual([
      { key: { sex: 'other', age_band: '0-17' }, count: 1 },
      { key: { sex: 'male', age_band: '18-29' }, count: 1 },
      { key: { sex: 'female', age_band: '40-49' }, count: 1 },
      { key: { sex: 'male', age_band: '70-79' }, count: 1 },
      { key: { sex: 'female', age_band: 'unknown' }, count: 1 },
    ]);
    expect(result.strata.map((s) => Object.keys(s.key))).toEqual(Array(5).fill(['sex', 'age_band']));
  });

  test('a distinct unit can fall in several strata; the total counts it once', async () => {
    const result = await catalogue.count({ unit: 'donors', where: { op: 'in', field: 'sex', values: ['female'] }, stratify: ['material_type'] });
    expect(result).toEqual({
      epoch: 1,
      total: 2,
      strata: [
        { key: { material_type: 'dna' }, count: 1 },
        { key: { material_type: 'plasma' }, count: 1 },
        { key: { material_type: 'rna' }, count: 1 },
        { key: { material_type: 'serum' }, count: 1 },
      ],
    });
    const chapters = await catalogue.count({ unit: 'aliquots', stratify: ['diagnosis_chapter', 'storage_temperature'] });
    expect(chapters.total).toBe(7);
    expect(chapters.strata).toEqual([
      { key: { diagnosis_chapter: 'II', storage_temperature: '-60to-85' }, count: 3 },
      { key: { diagnosis_chapter: 'II', storage_temperature: 'LN' }, count: 1 },
      { key: { diagnosis_chapter: 'II', storage_temperature: 'RT' }, count: 1 },
      { key: { diagnosis_chapter: 'IV', storage_temperature: '-60to-85' }, count: 1 },
      { key: { diagnosis_chapter: 'none', storage_temperature: 'RT' }, count: 1 },
    ]);
  });

  test('values never reach the SQL text: an injection attempt is only a value that matches nothing', async () => {
    const before = contentOf(path);
    const evil = "COLL-A' OR 1=1; DROP TABLE specimen; --";
    const query: Query = { unit: 'aliquots', where: { op: 'in', field: 'collection_id', values: [evil, 'COLL-B'] } };
    const compiled = compileCount(query, createCodebook(db));
    expect(compiled.sql).not.toContain('DROP');
    expect((await catalogue.count(query)).total).toBe(2);
    expect((await catalogue.count({ unit: 'aliquots', where: { op: 'diagnosis', codes: ["C50' OR '1'='1"] } })).total).toBe(0);
    expect(contentOf(path)).toBe(before);
  });
});

/** Row-by-row meaning of a query, written independently of the SQL path. */
function oracle(query: Query, records: readonly SpecimenRecord[]): TrueCount {
  // A specimen is a root within its donor: parents are followed through the donor's own records only.
  const byId = new Map(records.map((r) => [r.sample_id, r]));
  const rootOf = (r: SpecimenRecord): string => {
    let current = r;
    while (current.parent_sample_id !== null) {
      const parent = byId.get(current.parent_sample_id);
      if (parent === undefined || parent.donor_id !== r.donor_id) return current.parent_sample_id;
      current = parent;
    }
    return current.sample_id;
  };
  const holds = (e: Expr, r: SpecimenRecord): boolean => {
    switch (e.op) {
      case 'and':
        return e.args.every((a) => holds(a, r));
      case 'or':
        return e.args.some((a) => holds(a, r));
      case 'not':
        return !holds(e.arg, r);
      case 'in':
        return (e.values as string[]).includes(r[e.field]);
      case 'age_range':
        return r.age_at_collection !== null && r.age_at_collection >= (e.min ?? -Infinity) && r.age_at_collection <= (e.max ?? Infinity);
      case 'collected_between': {
        const span = r.collected_on === null ? null : partialDateSpan(r.collected_on);
        return span !== null && !('error' in span) && span.first >= (e.from ?? '') && span.last <= (e.to ?? '9999');
      }
      case 'diagnosis':
        return r.diagnosis.some((c) => e.codes.some((q) => icd10IsUnder(c, q)));
      case 'anatomical_site':
        return r.anatomical_site !== null && e.codes.some((q) => icd10IsUnder(r.anatomical_site as string, q));
      case 'consent_permits':
        return isUseCategory(e.use) && consentPermits(r.consent, e.use);
      case 'min_quantity':
        return r.quantity >= e.value;
    }
  };
  const unitOf = (r: SpecimenRecord): string =>
    query.unit === 'aliquots' ? r.sample_id : query.unit === 'donors' ? r.donor_id : `${r.donor_id}\n${rootOf(r)}`;
  const value = (d: Dimension, r: SpecimenRecord): string =>
    d === 'age_band' ? ageBand(r.age_at_collection) : d === 'diagnosis_chapter' ? diagnosisChapter(r.diagnosis) : r[d];
  const total = new Set<string>();
  const strata = new Map<string, { key: Record<string, string>; units: Set<string> }>();
  for (const r of records) {
    if (r.status === 'withdrawn' || (query.where && !holds(query.where, r))) continue;
    total.add(unitOf(r));
    if (!query.stratify?.length) continue;
    const key = Object.fromEntries(query.stratify.map((d) => [d, value(d, r)]));
    const id = JSON.stringify(Object.fromEntries(Object.entries(key).sort()));
    const stratum = strata.get(id) ?? { key, units: new Set<string>() };
    stratum.units.add(unitOf(r));
    strata.set(id, stratum);
  }
  return {
    total: total.size,
    strata: [...strata.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, s]) => ({ key: s.key, count: s.units.size })),
  };
}

describe('the compiled SQL agrees with a row-by-row evaluation', () => {
  const leaf: fc.Arbitrary<Expr> = fc.oneof(
    fc.record({ op: fc.constant('in' as const), field: fc.constant('material_type' as const), values: fc.subarray(['serum', 'dna', 'plasma', 'rna', 'csf'] as const) }).map((e) => ({ ...e, values: [...e.values] })),
    fc.record({ op: fc.constant('in' as const), field: fc.constant('sex' as const), values: fc.subarray(['female', 'male', 'other'] as const) }).map((e) => ({ ...e, values: [...e.values] })),
    fc.record({ op: fc.constant('age_range' as const), min: fc.integer({ min: 0, max: 90 }) }),
    fc.record({ op: fc.constant('age_range' as const), max: fc.integer({ min: 0, max: 90 }) }),
    fc.record({ op: fc.constant('collected_between' as const), from: fc.constantFrom('2019-01-01', '2019-05-01', '2019-05-15', '2020-01-01') }),
    fc.record({ op: fc.constant('collected_between' as const), to: fc.constantFrom('2019-05-14', '2019-05-31', '2019-12-31') }),
    fc.record({ op: fc.constant('diagnosis' as const), codes: fc.subarray(['C50', 'C50.9', 'C51', 'E11', 'C50.91', 'I10']) }),
    fc.record({ op: fc.constant('anatomical_site' as const), codes: fc.subarray(['C50', 'C50.4', 'C51', 'C18']) }),
    fc.record({ op: fc.constant('consent_permits' as const), use: fc.constantFrom('DUO:0000004', 'DUO:0000042', 'DUO:0000006', 'DUO:0000007', 'DUO:0000011') }),
    fc.record({ op: fc.constant('min_quantity' as const), value: fc.integer({ min: 0, max: 10 }) }),
  );
  const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.record({ op: fc.constant('not' as const), arg: tie('e') }),
      fc.record({ op: fc.constantFrom('and' as const, 'or' as const), args: fc.array(tie('e'), { maxLength: 3 }) }),
    ),
  })).e;
  const query: fc.Arbitrary<Query> = fc.record(
    {
      unit: fc.constantFrom('aliquots' as const, 'specimens' as const, 'donors' as const),
      where: expr,
      stratify: fc.subarray(['material_type', 'sex', 'age_band', 'diagnosis_chapter', 'storage_temperature'] as const).map((d) => [...d]),
    },
    { requiredKeys: ['unit'] },
  );

  test('for random queries over the hand-made rows', async () => {
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const { epoch, ...figures } = await catalogue.count(q);
        expect(epoch).toBe(1);
        expect(figures).toEqual(oracle(q, ROWS));
      }),
      { numRuns: 400 },
    );
  });
});
