import Database from 'better-sqlite3';
import fc from 'fast-check';
import { referenceCount, type ContributionCaps, type ReferenceCount, type Expr, type Query, type SpecimenRecord } from '@biospec/query';
import { createCountIndex } from '@biospec/count-index';
import { openCatalogue } from './catalogue.js';
import { createIndexSource } from './index-source.js';
import { createSqlCount } from './sql-count.js';
import { rowsOf, specimen, tempCataloguePath } from './test-helpers.js';

/**
 * Sex fixed per donor, as in real catalogues, so the index may treat it as constant within runs.
 * Four donors hold most rows (a cap cuts them); the others few (a cap of 1 to 4 may cut them, or not).
 */
const SEX_OF_DONOR = { d0: 'female', d1: 'male', d2: 'female', d3: 'unknown', d4: 'male', d5: 'female', d6: 'other', d7: 'female' } as const;
const DONORS = Object.keys(SEX_OF_DONOR) as (keyof typeof SEX_OF_DONOR)[];
const AGE_OF_DONOR: Partial<Record<(typeof DONORS)[number], number>> = { d0: 40, d1: 18, d2: 65, d5: 30 };

/**
 * Up to 120 records over four donors, so donor and root runs cross 32-row
 * words; sex either random per record or fixed per donor; age random per
 * record, fixed per donor (a root's rows agree unless the root is shared by
 * donors) or one for all.
 */
const recordsArb: fc.Arbitrary<SpecimenRecord[]> = fc
  .tuple(
    fc.boolean(),
    fc.constantFrom('record' as const, 'donor' as const, 'all' as const),
    fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
    fc.array(
      fc.record({
        donor: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...DONORS.slice(0, 4)) }, { weight: 1, arbitrary: fc.constantFrom(...DONORS.slice(4)) }),
        material_type: fc.constantFrom('serum' as const, 'dna' as const, 'tissue-ffpe' as const),
        collection_id: fc.constantFrom('col-a', 'col-b'),
        collected_on: fc.option(fc.constantFrom('2019', '2019-05', '2019-05-14', '2020-02', '1850-03-01'), { nil: null }),
        diagnosis: fc.subarray(['C50', 'C50.9', 'C50.12', 'C34.1', 'E11'], { maxLength: 2 }),
        anatomical_site: fc.option(fc.constantFrom('C50', 'C50.4', 'C34.1'), { nil: null }),
        sex: fc.constantFrom('female' as const, 'male' as const, 'unknown' as const),
        age_at_collection: fc.option(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constantFrom(0, 150)), { nil: null }),
        storage_temperature: fc.constantFrom('LN' as const, 'RT' as const),
        consent: fc.subarray(['DUO:0000004', 'DUO:0000042', 'DUO:0000006', 'DUO:0000007', 'DUO:0000044']),
        status: fc.constantFrom('available' as const, 'reserved' as const, 'depleted' as const, 'withdrawn' as const),
        quantity: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(2.5)),
        parent: fc.integer({ min: -6, max: 40 }),
      }),
      { maxLength: 120, size: 'max' },
    ),
  )
  .map(([sexPerDonor, agePer, oneAge, rows]) =>
    rows.map(({ donor, parent, ...rest }, i) =>
      specimen({
        ...rest,
        sex: sexPerDonor ? SEX_OF_DONOR[donor] : rest.sex,
        age_at_collection: agePer === 'record' ? rest.age_at_collection : agePer === 'all' ? oneAge : (AGE_OF_DONOR[donor] ?? null),
        sample_id: `s${i}`,
        donor_id: donor,
        // Earlier rows of any donor (roots shared across donors), a missing id two donors may share, or none.
        parent_sample_id: parent < -3 ? `gone-${-parent}` : parent < 0 || parent >= i ? null : `s${parent}`,
      }),
    ),
  );

/**
 * Age bounds as the evaluator may be handed them (the schema would reject some): edges of the
 * stored range, past it, fractional, negative; with either or both bounds, min > max included.
 */
const ageBound = fc.oneof(fc.integer({ min: -2, max: 152 }), fc.constantFrom(0, 150, 151, 254, 255, 256, 1e9, -0.5, 39.5, 150.5, 254.5));

const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.subarray(['serum', 'dna', 'tissue-ffpe', 'csf'] as const).map((v): Expr => ({ op: 'in', field: 'material_type', values: [...v] })),
  fc.subarray(['female', 'male', 'other'] as const).map((v): Expr => ({ op: 'in', field: 'sex', values: [...v] })),
  fc.subarray(['available', 'reserved'] as const).map((v): Expr => ({ op: 'in', field: 'status', values: [...v] })),
  fc.subarray(['col-a', 'col-b', 'col-z']).map((v): Expr => ({ op: 'in', field: 'collection_id', values: v })),
  fc.subarray(['LN', 'RT'] as const).map((v): Expr => ({ op: 'in', field: 'storage_temperature', values: [...v] })),
  fc.record({ op: fc.constant('age_range' as const), min: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ op: fc.constant('age_range' as const), min: fc.integer({ min: 0, max: 50 }), max: fc.integer({ min: 40, max: 100 }) }),
  fc.record({ op: fc.constant('age_range' as const), min: ageBound, max: ageBound }, { requiredKeys: ['op'] }),
  fc.record({ op: fc.constant('collected_between' as const), from: fc.constantFrom('1800-01-01', '2019-01-01', '2019-05-01', '2019-05-15') }),
  fc.record({ op: fc.constant('collected_between' as const), to: fc.constantFrom('2019-05-14', '2019-05-31', '2019-12-31', '2020-02-29') }),
  fc.record({ op: fc.constant('diagnosis' as const), codes: fc.subarray(['C50', 'C50.1', 'C50.9', 'C34', 'E11', 'I21'], { minLength: 1 }) }),
  fc.record({ op: fc.constant('anatomical_site' as const), codes: fc.subarray(['C50', 'C50.4', 'C34', 'C18'], { minLength: 1 }) }),
  fc.record({ op: fc.constant('consent_permits' as const), use: fc.constantFrom('DUO:0000042', 'DUO:0000006', 'DUO:0000007', 'DUO:0000011', 'DUO:0000016') }),
  fc.record({ op: fc.constant('min_quantity' as const), value: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(2.5)) }),
);
const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ op: fc.constant('not' as const), arg: tie('e') }),
    fc.record({ op: fc.constantFrom('and' as const, 'or' as const), args: fc.array(tie('e'), { maxLength: 3 }) }),
  ),
})).e;
/**
 * The selective shape: an AND of a diagnosis set, bitmap tests, per-row tests
 * and a nested expression (OR, NOT, AND), in any order, so the per-row tests
 * and the count run on the words the bitmap pass listed.
 */
const rowTest = fc.oneof(
  fc.record({ op: fc.constant('age_range' as const), min: fc.integer({ min: 0, max: 50 }), max: fc.integer({ min: 40, max: 100 }) }),
  fc.record({ op: fc.constant('collected_between' as const), from: fc.constantFrom('2019-01-01', '2019-05-01') }),
  fc.record({ op: fc.constant('min_quantity' as const), value: fc.integer({ min: 0, max: 4 }) }),
  fc.subarray(['col-a', 'col-z']).map((v): Expr => ({ op: 'in', field: 'collection_id', values: v })),
);
const selectiveArb: fc.Arbitrary<Expr> = fc
  .tuple(
    fc.record({ op: fc.constant('diagnosis' as const), codes: fc.subarray(['C50', 'C50.9', 'C34', 'E11'], { minLength: 1, maxLength: 2 }) }),
    fc.array(leaf, { maxLength: 3 }),
    fc.array(rowTest, { minLength: 1, maxLength: 2 }),
    fc.option(exprArb, { nil: undefined }),
  )
  .chain(([diagnosis, others, tests, nested]) => {
    const args = [diagnosis, ...others, ...tests, ...(nested === undefined ? [] : [nested])];
    return fc.shuffledSubarray(args, { minLength: args.length });
  })
  .map((args): Expr => ({ op: 'and', args }));
const queryArb: fc.Arbitrary<Query> = fc.record(
  {
    unit: fc.constantFrom('aliquots' as const, 'specimens' as const, 'donors' as const),
    where: fc.oneof(exprArb, selectiveArb, fc.record({ op: fc.constant('not' as const), arg: selectiveArb }), fc.record({ op: fc.constant('or' as const), args: fc.array(selectiveArb, { minLength: 1, maxLength: 2 }) })),
    stratify: fc.shuffledSubarray(['material_type', 'sex', 'age_band', 'diagnosis_chapter', 'storage_temperature'] as const, { maxLength: 3 }).map((d) => [...d]),
  },
  { requiredKeys: ['unit'] },
);
/** Leaves on a row's categorical codes only: the queries the profile tables answer. */
const keyLeaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.subarray(['serum', 'dna', 'tissue-ffpe', 'csf'] as const).map((v): Expr => ({ op: 'in', field: 'material_type', values: [...v] })),
  fc.subarray(['female', 'male', 'unknown', 'other'] as const).map((v): Expr => ({ op: 'in', field: 'sex', values: [...v] })),
  fc.subarray(['available', 'reserved', 'depleted'] as const).map((v): Expr => ({ op: 'in', field: 'status', values: [...v] })),
  fc.subarray(['col-a', 'col-b', 'col-z']).map((v): Expr => ({ op: 'in', field: 'collection_id', values: v })),
  fc.subarray(['LN', 'RT'] as const).map((v): Expr => ({ op: 'in', field: 'storage_temperature', values: [...v] })),
  fc.record({ op: fc.constant('consent_permits' as const), use: fc.constantFrom('DUO:0000042', 'DUO:0000006', 'DUO:0000007', 'DUO:0000011', 'DUO:0000016') }),
);
const keyExprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    keyLeaf,
    fc.record({ op: fc.constant('not' as const), arg: tie('e') }),
    fc.record({ op: fc.constantFrom('and' as const, 'or' as const), args: fc.array(tie('e'), { maxLength: 3 }) }),
  ),
})).e;
const keyQueryArb: fc.Arbitrary<Query> = fc.record(
  {
    unit: fc.constantFrom('aliquots' as const, 'specimens' as const, 'donors' as const),
    where: keyExprArb,
    stratify: fc.shuffledSubarray(['material_type', 'sex', 'storage_temperature'] as const).map((d) => [...d]),
  },
  { requiredKeys: ['unit'] },
);

/**
 * An AND (nested or not) of categorical expressions and at least one age
 * range, by key dimensions: for specimens, answered from the age profile
 * tables; for the other units, from the rows.
 */
const ageQueryArb: fc.Arbitrary<Query> = fc
  .tuple(
    fc.constantFrom('specimens' as const, 'specimens' as const, 'aliquots' as const, 'donors' as const),
    fc.array(keyExprArb, { maxLength: 3 }),
    fc.array(leaf.filter((e) => e.op === 'age_range'), { minLength: 1, maxLength: 2 }),
    fc.boolean(),
    fc.shuffledSubarray(['material_type', 'sex', 'storage_temperature'] as const).map((d) => [...d]),
  )
  .chain(([unit, keys, ages, nest, stratify]) =>
    fc.shuffledSubarray([...keys, ...ages], { minLength: keys.length + ages.length }).map((args): Query => {
      const where: Expr = nest && args.length > 1 ? { op: 'and', args: [{ op: 'and', args: args.slice(1) }, args[0] as Expr] } : { op: 'and', args };
      return { unit, where, stratify };
    }),
  );

const keyExpr = (e: Expr): boolean =>
  e.op === 'and' || e.op === 'or' ? e.args.every(keyExpr) : e.op === 'not' ? keyExpr(e.arg) : e.op === 'in' || e.op === 'consent_permits';
const onKeyDimensions = (query: Query): boolean =>
  (query.stratify ?? []).every((d) => (['material_type', 'sex', 'storage_temperature'] as readonly string[]).includes(d));

/** Whether a query uses only the codes the profile tables are made of (see profile-count.ts). */
function onRowKeysOnly(query: Query): boolean {
  return onKeyDimensions(query) && (query.where === undefined || keyExpr(query.where));
}

/** Specimens by key dimensions where key tests and age ranges are ANDed: answered from the age profile tables. */
function onKeysAndAges(query: Query): boolean {
  const conjuncts = (e: Expr): Expr[] => (e.op === 'and' ? e.args.flatMap(conjuncts) : [e]);
  const parts = query.where === undefined ? [] : conjuncts(query.where);
  return (
    query.unit === 'specimens' &&
    onKeyDimensions(query) &&
    parts.some((e) => e.op === 'age_range') &&
    parts.every((e) => e.op === 'age_range' || keyExpr(e))
  );
}

/** A count, or a withdrawal of a donor before the next counts. */
const stepArb = fc.oneof(
  { weight: 4, arbitrary: queryArb.map((query) => ({ query })) },
  { weight: 2, arbitrary: keyQueryArb.map((query) => ({ query })) },
  { weight: 2, arbitrary: ageQueryArb.map((query) => ({ query })) },
  { weight: 1, arbitrary: fc.constantFrom(...DONORS).map((withdraw) => ({ withdraw })) },
);

/** The reference evaluator sorts strata by canonical JSON; the catalogue by JSON with sorted keys: compare as sets. */
function normalised(result: { total: number; strata: { key: Record<string, string>; count: number }[] }) {
  const strata = result.strata.map((s) => [JSON.stringify(Object.entries(s.key).sort()), s.count] as const);
  return { total: result.total, strata: strata.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
}

/** Caps of 1 to 4, so that they bind often; or none. */
const capsArb: fc.Arbitrary<ContributionCaps | undefined> = fc.option(
  fc.record({ specimens: fc.integer({ min: 1, max: 4 }), aliquots: fc.integer({ min: 1, max: 4 }), donorCells: fc.integer({ min: 1, max: 4 }) }),
  { nil: undefined },
);

describe('the count index and the SQL path agree with referenceCount', () => {
  test('random catalogues (cross-donor parents), random and categorical-only queries, caps or none, withdrawals between counts (applied without a rebuild)', async () => {
    let byAgeTable = 0;
    let cut = 0;
    await fc.assert(
      fc.asyncProperty(recordsArb, fc.array(stepArb, { minLength: 1, maxLength: 8 }), capsArb, async (records, steps, caps) => {
        const path = tempCataloguePath();
        const catalogue = openCatalogue(path, { countIndex: 'off', ...(caps === undefined ? {} : { caps }) });
        const db = new Database(path, { readonly: true });
        const index = createCountIndex({ source: createIndexSource(path, db), mode: 'inline', ...(caps === undefined ? {} : { caps }) });
        // The SQL path in this thread (a node runs the same on its SQL worker).
        const sql = createSqlCount(db, caps);
        try {
          await catalogue.importRows(rowsOf(records));
          let current = records;
          for (const step of steps) {
            if ('withdraw' in step) {
              if (current.some((r) => r.donor_id === step.withdraw)) catalogue.withdrawDonor(step.withdraw);
              current = current.map((r) => (r.donor_id === step.withdraw ? { ...r, status: 'withdrawn' } : r));
              continue;
            }
            // Small catalogues keep every profile table, so the route depends on the query alone.
            const byAge = onKeysAndAges(step.query);
            expect(index.answersFromProfiles(step.query)).toBe(onRowKeysOnly(step.query) || byAge);
            if (byAge) byAgeTable++;
            const reference = referenceCount(step.query, current, caps === undefined ? {} : { caps });
            if (caps !== undefined && !equalCounts(reference, referenceCount(step.query, current))) cut++;
            const want = normalised(reference);
            // Asked three times: an age range is first tested on the rows its AND kept, then sliced out and cached, then read from the cache.
            for (let ask = 0; ask < 3; ask++) {
              const counted = index.count(step.query);
              expect(counted).toBeDefined();
              expect(normalised(counted as NonNullable<typeof counted>)).toEqual(want);
            }
            expect(normalised(sql.count(step.query))).toEqual(want);
          }
          expect(index.stats()?.builds ?? 1).toBe(1);
        } finally {
          index.close();
          db.close();
          catalogue.close();
        }
      }),
      { numRuns: 150 },
    );
    // The age tables answered some of the counts (50 to 65 in a run), and caps changed many figures.
    expect(byAgeTable).toBeGreaterThan(20);
    expect(cut).toBeGreaterThan(50);
  });
});

function equalCounts(a: ReferenceCount, b: ReferenceCount): boolean {
  return JSON.stringify(normalised(a)) === JSON.stringify(normalised(b));
}

describe('ages the index cannot slice', () => {
  test('an age past the Uint8 codes (written outside the importer) keeps every age range exact, per row', async () => {
    const records = [45, 40, 60, 61, null, 0, 150].map((age, i) => specimen({ sample_id: `a${i}`, donor_id: `d${i % 3}`, age_at_collection: age }));
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path, { countIndex: 'off' });
    await catalogue.importRows(rowsOf(records));
    const writer = new Database(path);
    writer.prepare("UPDATE specimen SET age_at_collection = 300 WHERE sample_id = 'a0'").run();
    writer.close();
    const stored = records.map((r) => (r.sample_id === 'a0' ? { ...r, age_at_collection: 300 } : r));
    const db = new Database(path, { readonly: true });
    const index = createCountIndex({ source: createIndexSource(path, db), mode: 'inline' });
    try {
      const ranges: Expr[] = [
        { op: 'age_range', min: 40, max: 60 },
        { op: 'age_range', min: 300, max: 300 },
        { op: 'age_range', min: 254.5 },
        { op: 'age_range', min: 41 },
        { op: 'age_range', max: 40 },
        { op: 'not', arg: { op: 'age_range', min: 0, max: 150 } },
        { op: 'and', args: [{ op: 'in', field: 'sex', values: ['female'] }, { op: 'age_range', min: 40.25, max: 150 }] },
      ];
      for (const where of ranges) {
        for (const unit of ['aliquots', 'specimens', 'donors'] as const) {
          const query: Query = { unit, where };
          expect(normalised(index.count(query) ?? { total: -1, strata: [] })).toEqual(normalised(referenceCount(query, stored)));
        }
      }
      expect(index.count({ unit: 'aliquots', where: { op: 'age_range', min: 300, max: 300 } })?.total).toBe(1);
    } finally {
      index.close();
      db.close();
      catalogue.close();
    }
  });
});

describe('keeping up with the catalogue', () => {
  const rows = [
    specimen({ sample_id: 'A1', donor_id: 'D1' }),
    specimen({ sample_id: 'A2', donor_id: 'D1', parent_sample_id: 'A1', material_type: 'dna' }),
    specimen({ sample_id: 'B1', donor_id: 'D2', sex: 'male' }),
  ];

  test('an import is seen at once (inline rebuild), a withdrawal from another process too', async () => {
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path, { countIndex: 'inline' });
    await catalogue.importRows(rowsOf(rows));
    expect((await catalogue.count({ unit: 'specimens' })).total).toBe(2);
    await catalogue.importRows(rowsOf([specimen({ sample_id: 'C1', donor_id: 'D3' })]));
    expect((await catalogue.count({ unit: 'donors' })).total).toBe(3);
    const other = openCatalogue(path, { countIndex: 'off' });
    other.withdrawDonor('D1');
    other.close();
    expect(await catalogue.count({ unit: 'aliquots', stratify: ['sex'] })).toEqual({
      epoch: 3,
      total: 2,
      strata: [
        { key: { sex: 'female' }, count: 1 },
        { key: { sex: 'male' }, count: 1 },
      ],
    });
    catalogue.close();
  });

  test('background mode builds on a worker thread; after an import the old index answers for its epoch until the new one is ready', async () => {
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path, { countIndex: 'off' });
    await catalogue.importRows(rowsOf(rows));
    const db = new Database(path, { readonly: true });
    const key = { catalogueId: 'test', schemaVersion: 1, caps: null };
    const index = createCountIndex({ source: createIndexSource(path, db, { key, persist: false }), mode: 'background' });
    expect(index.count({ unit: 'donors' })).toBeUndefined();
    expect(index.status()).toMatchObject({ state: 'warming', serving: null });
    await index.idle();
    expect(index.count({ unit: 'donors' })).toEqual({ epoch: 1, fresh: true, total: 2, strata: [] });
    await catalogue.importRows(rowsOf([specimen({ sample_id: 'C1', donor_id: 'D3' })]));
    expect(index.count({ unit: 'donors' })).toEqual({ epoch: 1, fresh: false, total: 2, strata: [] });
    expect(index.status()).toMatchObject({ state: 'warming', dataEpoch: 2, serving: { epoch: 1 } });
    await index.idle();
    expect(index.count({ unit: 'donors' })).toEqual({ epoch: 2, fresh: true, total: 3, strata: [] });
    expect(index.stats()).toMatchObject({ rows: 4, builds: 2 });
    index.close();
    db.close();
    catalogue.close();
  });
});

describe('collection strata (availability questions) and the granted listing', () => {
  /** Records spread over three collections, so a donor's specimens can fall in several. */
  const inCollectionsArb = fc
    .tuple(recordsArb, fc.array(fc.constantFrom('COLL-A', 'COLL-B', 'COLL-C'), { minLength: 120, maxLength: 120 }))
    .map(([records, collections]) => records.map((r, i) => ({ ...r, collection_id: collections[i] as string })));
  const questionArb = fc.record({
    unit: fc.constantFrom('donors' as const, 'specimens' as const, 'aliquots' as const),
    where: fc.option(fc.oneof(exprArb, keyExprArb), { nil: undefined }),
    stratify: fc.constantFrom(['collection_id' as const, 'material_type' as const], ['collection_id' as const], ['material_type' as const, 'collection_id' as const]),
  });

  test('the count index and the SQL path count (collection x material) cells as referenceCount does, caps across all cells', async () => {
    let cut = 0;
    await fc.assert(
      fc.asyncProperty(inCollectionsArb, fc.array(questionArb, { minLength: 1, maxLength: 5 }), capsArb, async (records, questions, caps) => {
        const path = tempCataloguePath();
        const catalogue = openCatalogue(path, { countIndex: 'off', ...(caps === undefined ? {} : { caps }) });
        const db = new Database(path, { readonly: true });
        const index = createCountIndex({ source: createIndexSource(path, db), mode: 'inline', ...(caps === undefined ? {} : { caps }) });
        const sql = createSqlCount(db, caps);
        try {
          await catalogue.importRows(rowsOf(records));
          for (const question of questions) {
            const q = question.where === undefined ? { unit: question.unit, stratify: question.stratify } : question;
            const reference = referenceCount(q, records, caps === undefined ? {} : { caps });
            if (caps !== undefined && !equalCounts(reference, referenceCount(q, records))) cut++;
            const counted = index.count(q);
            expect(counted).toBeDefined();
            expect(normalised(counted as NonNullable<typeof counted>)).toEqual(normalised(reference));
            expect(normalised(sql.count(q))).toEqual(normalised(reference));
          }
        } finally {
          index.close();
          db.close();
          catalogue.close();
        }
      }),
      { numRuns: 80 },
    );
    // Caps changed many of these figures, so the bound across cells was exercised.
    expect(cut).toBeGreaterThan(20);
  });

  test('listSpecimens: the matching non-withdrawn specimens of the given collections, in sample id order, at most the limit', async () => {
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path, { countIndex: 'off' });
    try {
      const records = [
        specimen({ sample_id: 'S3', donor_id: 'D1', collection_id: 'COLL-A', material_type: 'serum', quantity: 4 }),
        specimen({ sample_id: 'S1', donor_id: 'D2', collection_id: 'COLL-B', material_type: 'tissue-ffpe', storage_temperature: 'RT' }),
        specimen({ sample_id: 'S2', donor_id: 'D3', collection_id: 'COLL-A', status: 'reserved' }),
        specimen({ sample_id: 'S4', donor_id: 'D4', collection_id: 'COLL-C' }),
        specimen({ sample_id: 'S5', donor_id: 'D5', collection_id: 'COLL-A', sex: 'male' }),
      ];
      await catalogue.importRows(rowsOf(records));
      catalogue.withdrawDonor('D5');
      const available: Expr = { op: 'in', field: 'status', values: ['available'] };
      expect(await catalogue.listSpecimens(available, ['COLL-A', 'COLL-B', 'NONE'], 10)).toEqual({
        epoch: catalogue.epoch(),
        specimens: [
          { sample_id: 'S1', collection_id: 'COLL-B', material_type: 'tissue-ffpe', quantity: 2, storage_temperature: 'RT' },
          { sample_id: 'S3', collection_id: 'COLL-A', material_type: 'serum', quantity: 4, storage_temperature: '-60to-85' },
        ],
      });
      expect((await catalogue.listSpecimens(undefined, ['COLL-A', 'COLL-B'], 1)).specimens.map((s) => s.sample_id)).toEqual(['S1']);
      expect((await catalogue.listSpecimens(undefined, ['NONE'], 10)).specimens).toEqual([]);
    } finally {
      catalogue.close();
    }
  });
});
