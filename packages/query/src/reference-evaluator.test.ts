import fc from 'fast-check';
import type { Expr, Query, Unit } from './ast.js';
import { matches, referenceCount, stratumKeyOf } from './reference-evaluator.js';
import type { SpecimenRecord } from './specimen.js';
import { exprArb, recordsArb } from './testing/arbitraries.js';

const GRU = 'DUO:0000042';
const HMB = 'DUO:0000006';
const DS = 'DUO:0000007';
const POA = 'DUO:0000011';
const NRES = 'DUO:0000004';
const NPOA = 'DUO:0000044';

function record(sample_id: string, overrides: Partial<SpecimenRecord> = {}): SpecimenRecord {
  return {
    sample_id,
    donor_id: `donor-${sample_id}`,
    collection_id: 'col-a',
    material_type: 'serum',
    collected_on: '2019-05-14',
    diagnosis: [],
    anatomical_site: null,
    sex: 'female',
    age_at_collection: 50,
    storage_temperature: '-60to-85',
    consent: [GRU],
    status: 'available',
    quantity: 1,
    parent_sample_id: null,
    ...overrides,
  };
}

/** Sample ids of `records` the expression matches. */
function matching(expr: Expr | undefined, records: readonly SpecimenRecord[]): string[] {
  return records.filter((r) => matches(expr, r)).map((r) => r.sample_id);
}

const count = (unit: Unit, records: readonly SpecimenRecord[], where?: Expr) => referenceCount({ unit, ...(where ? { where } : {}) }, records).total;

describe('predicates', () => {
  test('an absent expression matches every record', () => {
    expect(matches(undefined, record('s1'))).toBe(true);
  });

  test('in: the field value is one of the values', () => {
    const records = [record('a', { material_type: 'dna' }), record('b', { material_type: 'rna' }), record('c', { status: 'reserved' })];
    expect(matching({ op: 'in', field: 'material_type', values: ['dna', 'serum'] }, records)).toEqual(['a', 'c']);
    expect(matching({ op: 'in', field: 'status', values: ['reserved'] }, records)).toEqual(['c']);
    expect(matching({ op: 'in', field: 'collection_id', values: ['col-b'] }, records)).toEqual([]);
  });

  test('age_range: inclusive bounds, unknown age never inside a range', () => {
    const records = [39, 40, 60, 61, null].map((age, i) => record(`a${i}`, { age_at_collection: age }));
    expect(matching({ op: 'age_range', min: 40, max: 60 }, records)).toEqual(['a1', 'a2']);
    expect(matching({ op: 'age_range', min: 60 }, records)).toEqual(['a2', 'a3']);
    expect(matching({ op: 'age_range', max: 39 }, records)).toEqual(['a0']);
    // Two-valued logic: an unknown age is outside the range, so it is inside its negation.
    expect(matching({ op: 'not', arg: { op: 'age_range', min: 40, max: 60 } }, records)).toEqual(['a0', 'a3', 'a4']);
  });

  test('collected_between: a partial date matches only when every day it denotes is inside', () => {
    const dates = ['2019', '2019-05', '2019-05-14', '2020-02', '2019-02', null];
    const records = dates.map((date, i) => record(`d${i}`, { collected_on: date }));
    const between = (from?: string, to?: string): Expr => ({ op: 'collected_between', ...(from ? { from } : {}), ...(to ? { to } : {}) });

    expect(matching(between('2019-01-01', '2019-12-31'), records)).toEqual(['d0', 'd1', 'd2', 'd4']);
    expect(matching(between('2019-01-01', '2019-12-30'), records)).toEqual(['d1', 'd2', 'd4']);
    expect(matching(between('2019-05-01', '2019-05-31'), records)).toEqual(['d1', 'd2']);
    expect(matching(between('2019-05-02', '2019-05-31'), records)).toEqual(['d2']);
    expect(matching(between('2019-05-14', '2019-05-14'), records)).toEqual(['d2']);
    expect(matching(between(undefined, '2019-02-28'), records)).toEqual(['d4']);
    expect(matching(between('2020-02-01', '2020-02-28'), records)).toEqual([]);
    expect(matching(between('2020-02-01', '2020-02-29'), records)).toEqual(['d3']);
    expect(matching(between('2019-01-02'), records)).toEqual(['d1', 'd2', 'd3', 'd4']);
  });

  test('diagnosis: any of the record codes is a query code or a descendant of one', () => {
    const records = [
      record('x1', { diagnosis: ['C50.9'] }),
      record('x2', { diagnosis: ['C50'] }),
      record('x3', { diagnosis: ['E11.9', 'C50.12'] }),
      record('x4', { diagnosis: ['C51'] }),
      record('x5', { diagnosis: [] }),
    ];
    expect(matching({ op: 'diagnosis', codes: ['C50'] }, records)).toEqual(['x1', 'x2', 'x3']);
    expect(matching({ op: 'diagnosis', codes: ['C50.9'] }, records)).toEqual(['x1']);
    expect(matching({ op: 'diagnosis', codes: ['C50.1'] }, records)).toEqual(['x3']);
    expect(matching({ op: 'diagnosis', codes: ['E11', 'C51'] }, records)).toEqual(['x3', 'x4']);
    expect(matching({ op: 'not', arg: { op: 'diagnosis', codes: ['C50'] } }, records)).toEqual(['x4', 'x5']);
  });

  test('anatomical_site: a known site under one of the codes', () => {
    const records = [record('t1', { anatomical_site: 'C50.4' }), record('t2', { anatomical_site: 'C34.1' }), record('t3')];
    expect(matching({ op: 'anatomical_site', codes: ['C50'] }, records)).toEqual(['t1']);
    expect(matching({ op: 'anatomical_site', codes: ['C50.4', 'C34'] }, records)).toEqual(['t1', 't2']);
    expect(matching({ op: 'anatomical_site', codes: ['C50.9'] }, records)).toEqual([]);
  });

  test('consent_permits follows the DUO hierarchy', () => {
    const records = [
      record('gru', { consent: [GRU] }),
      record('hmb', { consent: [HMB] }),
      record('ds', { consent: [DS] }),
      record('nres', { consent: [NRES] }),
      record('gru-npoa', { consent: [GRU, NPOA] }),
      record('none', { consent: [] }),
    ];
    const permits = (use: string): Expr => ({ op: 'consent_permits', use });
    // An HMB question counts GRU consent; a GRU question does not count HMB-only consent.
    expect(matching(permits(HMB), records)).toEqual(['gru', 'hmb', 'nres', 'gru-npoa']);
    expect(matching(permits(GRU), records)).toEqual(['gru', 'nres', 'gru-npoa']);
    expect(matching(permits(DS), records)).toEqual(['gru', 'hmb', 'ds', 'nres', 'gru-npoa']);
    // NPOA blocks population-origins research even under GRU.
    expect(matching(permits(POA), records)).toEqual(['gru', 'nres']);
    expect(matching(permits(NRES), records)).toEqual(['nres']);
  });

  test('min_quantity: at least the value', () => {
    const records = [0, 1, 2.5].map((quantity, i) => record(`q${i}`, { quantity }));
    expect(matching({ op: 'min_quantity', value: 1 }, records)).toEqual(['q1', 'q2']);
    expect(matching({ op: 'min_quantity', value: 0 }, records)).toEqual(['q0', 'q1', 'q2']);
    expect(matching({ op: 'min_quantity', value: 2.6 }, records)).toEqual([]);
  });

  test('and, or, not combine as ordinary boolean logic', () => {
    const records = [
      record('fs', { sex: 'female', material_type: 'serum' }),
      record('fd', { sex: 'female', material_type: 'dna' }),
      record('ms', { sex: 'male', material_type: 'serum' }),
    ];
    const female: Expr = { op: 'in', field: 'sex', values: ['female'] };
    const serum: Expr = { op: 'in', field: 'material_type', values: ['serum'] };
    expect(matching({ op: 'and', args: [female, serum] }, records)).toEqual(['fs']);
    expect(matching({ op: 'or', args: [{ op: 'not', arg: female }, { op: 'not', arg: serum }] }, records)).toEqual(['fd', 'ms']);
    expect(matching({ op: 'not', arg: { op: 'or', args: [female, serum] } }, records)).toEqual([]);
  });
});

describe('referenceCount units', () => {
  // s1 ← s2 ← s3 (a derivative of an aliquot); s4's parent is not in the catalogue; w is withdrawn, its child c is not.
  const records = [
    record('s1', { donor_id: 'd1' }),
    record('s2', { donor_id: 'd1', parent_sample_id: 's1' }),
    record('s3', { donor_id: 'd1', parent_sample_id: 's2', material_type: 'dna' }),
    record('s4', { donor_id: 'd2', parent_sample_id: 'elsewhere-9' }),
    record('s5', { donor_id: 'd2', parent_sample_id: 's4' }),
    record('w', { donor_id: 'd3', status: 'withdrawn' }),
    record('c', { donor_id: 'd3', parent_sample_id: 'w' }),
  ];

  test('withdrawn specimens are never counted, whatever the query says', () => {
    expect(count('aliquots', records)).toBe(6);
    expect(count('aliquots', records, { op: 'not', arg: { op: 'in', field: 'status', values: ['available'] } })).toBe(0);
    expect(count('donors', [record('only', { status: 'withdrawn' })])).toBe(0);
  });

  test('aliquots counts matching records', () => {
    expect(count('aliquots', records, { op: 'in', field: 'material_type', values: ['serum'] })).toBe(5);
  });

  test('specimens counts distinct roots, found through every record, withdrawn ones included', () => {
    // Roots: s1 (for s1, s2, s3), elsewhere-9 (for s4, s5), w (for c).
    expect(count('specimens', records)).toBe(3);
    expect(count('specimens', records, { op: 'in', field: 'material_type', values: ['dna'] })).toBe(1);
    // s4 and s5 count once, as the missing parent they share.
    expect(count('specimens', records.slice(3, 5))).toBe(1);
  });

  test('a parent chain that loops back counts as one specimen, wherever it is entered', () => {
    const loop = [record('a', { parent_sample_id: 'b' }), record('b', { parent_sample_id: 'a' })];
    expect(count('specimens', loop)).toBe(1);
    expect(count('specimens', [...loop].reverse())).toBe(1);
  });

  test('donors counts distinct donors', () => {
    expect(count('donors', records)).toBe(3);
    expect(count('donors', records, { op: 'in', field: 'material_type', values: ['dna'] })).toBe(1);
  });

  test('never more donors or specimens than aliquots', () => {
    fc.assert(
      fc.property(exprArb(2), recordsArb(), (where, catalogue) => {
        const aliquots = count('aliquots', catalogue, where);
        expect(count('specimens', catalogue, where)).toBeLessThanOrEqual(aliquots);
        expect(count('donors', catalogue, where)).toBeLessThanOrEqual(aliquots);
      }),
      { numRuns: 300 },
    );
  });
});

describe('referenceCount strata', () => {
  const records = [
    record('a', { donor_id: 'd1', sex: 'female', age_at_collection: 45, diagnosis: ['C50.9'] }),
    record('b', { donor_id: 'd1', sex: 'female', age_at_collection: 52, diagnosis: ['C50.9'] }),
    record('c', { donor_id: 'd2', sex: 'female', age_at_collection: 47, diagnosis: ['E11.9', 'C50.9'] }),
    record('d', { donor_id: 'd3', sex: 'male', age_at_collection: null, diagnosis: [] }),
    record('e', { donor_id: 'd4', sex: 'male', age_at_collection: 47, status: 'withdrawn' }),
  ];

  test('each match falls in one stratum; units are counted per stratum; strata are sorted', () => {
    const result = referenceCount({ unit: 'donors', stratify: ['sex', 'age_band'] }, records);
    expect(result.total).toBe(3);
    expect(result.strata).toEqual([
      { key: { age_band: '40-49', sex: 'female' }, count: 2 },
      { key: { age_band: '50-59', sex: 'female' }, count: 1 },
      { key: { age_band: 'unknown', sex: 'male' }, count: 1 },
    ]);
  });

  test('diagnosis_chapter uses the primary diagnosis', () => {
    const result = referenceCount({ unit: 'aliquots', stratify: ['diagnosis_chapter'] }, records);
    expect(result.strata).toEqual([
      { key: { diagnosis_chapter: 'II' }, count: 2 },
      { key: { diagnosis_chapter: 'IV' }, count: 1 },
      { key: { diagnosis_chapter: 'none' }, count: 1 },
    ]);
  });

  test('no stratify, or an empty one, gives no strata', () => {
    expect(referenceCount({ unit: 'donors' }, records).strata).toEqual([]);
    expect(referenceCount({ unit: 'donors', stratify: [] }, records).strata).toEqual([]);
  });

  test('strata of a query that matches nothing are empty', () => {
    const query: Query = { unit: 'donors', where: { op: 'in', field: 'collection_id', values: ['none'] }, stratify: ['sex'] };
    expect(referenceCount(query, records)).toEqual({ total: 0, strata: [] });
  });

  test('stratumKeyOf reads stored values and derived bands', () => {
    const r = record('k', { material_type: 'tissue-ffpe', storage_temperature: 'LN', age_at_collection: 80, diagnosis: ['I21.0'] });
    expect(stratumKeyOf(['material_type', 'sex', 'age_band', 'diagnosis_chapter', 'storage_temperature'], r)).toEqual({
      material_type: 'tissue-ffpe',
      sex: 'female',
      age_band: '80+',
      diagnosis_chapter: 'IX',
      storage_temperature: 'LN',
    });
    expect(stratumKeyOf([], r)).toEqual({});
  });
});
