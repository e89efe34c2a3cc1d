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

  test('diagnosis: a range or chapter holds every code whose category lies between its ends', () => {
    const codes = ['B99.9', 'C00', 'C00.1', 'C50.9', 'C97', 'C97.0', 'C98', 'D48.9', 'D49', 'D50.1', 'E11'];
    const records = codes.map((code) => record(code, { diagnosis: [code] }));
    expect(matching({ op: 'diagnosis', codes: ['C00-C97'] }, records)).toEqual(['C00', 'C00.1', 'C50.9', 'C97', 'C97.0']);
    expect(matching({ op: 'diagnosis', codes: ['C00-D48'] }, records)).toEqual(['C00', 'C00.1', 'C50.9', 'C97', 'C97.0', 'C98', 'D48.9']);
    expect(matching({ op: 'diagnosis', codes: ['C98-D49', 'E11'] }, records)).toEqual(['C98', 'D48.9', 'D49', 'E11']);
    expect(matching({ op: 'not', arg: { op: 'diagnosis', codes: ['C00-D48'] } }, records)).toEqual(['B99.9', 'D49', 'D50.1', 'E11']);
  });

  test('property: a range and its categories spelled out count alike', () => {
    const category = (ordinal: number) => `${'ABCD'[Math.floor(ordinal / 100)] ?? 'Z'}${String(ordinal % 100).padStart(2, '0')}`;
    const codeArb = fc
      .tuple(fc.integer({ min: 0, max: 399 }), fc.constantFrom('', '.0', '.9', '.12'))
      .map(([ordinal, suffix]) => `${category(ordinal)}${suffix}`);
    const recordsWithCodes = fc.array(fc.array(codeArb, { maxLength: 3 }), { maxLength: 15 }).map((lists) =>
      lists.map((diagnosis, i) => record(`r${i}`, { donor_id: `d${i % 4}`, diagnosis })),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 399 }), fc.integer({ min: 0, max: 150 }), recordsWithCodes, (first, span, records) => {
        const last = Math.min(399, first + span);
        const range: Expr = { op: 'diagnosis', codes: [`${category(first)}-${category(last)}`] };
        const spelled: Expr = { op: 'diagnosis', codes: Array.from({ length: last - first + 1 }, (_, i) => category(first + i)) };
        for (const unit of ['donors', 'specimens', 'aliquots'] as const) {
          expect(count(unit, records, range)).toBe(count(unit, records, spelled));
        }
        expect(matching(range, records)).toEqual(matching(spelled, records));
      }),
      { numRuns: 300 },
    );
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

  test("specimens counts distinct roots, found through the donor's records, withdrawn ones included", () => {
    // Roots: s1 (for s1, s2, s3), elsewhere-9 (for s4, s5), w (for c).
    expect(count('specimens', records)).toBe(3);
    expect(count('specimens', records, { op: 'in', field: 'material_type', values: ['dna'] })).toBe(1);
    // s4 and s5 count once, as the missing parent they share.
    expect(count('specimens', records.slice(3, 5))).toBe(1);
  });

  test('a parent chain that loops back within a donor counts as one specimen, wherever it is entered', () => {
    const loop = [record('a', { donor_id: 'd', parent_sample_id: 'b' }), record('b', { donor_id: 'd', parent_sample_id: 'a' })];
    expect(count('specimens', loop)).toBe(1);
    expect(count('specimens', [...loop].reverse())).toBe(1);
  });

  test("a specimen belongs to one donor: a derivative filed under another donor is a specimen of that donor", () => {
    // x and y (donor d1) hang under d0's records p and p-1: for d1 each names a parent outside its records.
    const family = [
      record('p', { donor_id: 'd0' }),
      record('p-1', { donor_id: 'd0', parent_sample_id: 'p' }),
      record('x', { donor_id: 'd1', parent_sample_id: 'p' }),
      record('y', { donor_id: 'd1', parent_sample_id: 'p-1' }),
      record('z', { donor_id: 'd1', parent_sample_id: 'x' }),
    ];
    // d0: root p. d1: roots p (x, z) and p-1 (y); the same id under two donors is two specimens.
    expect(count('specimens', family)).toBe(3);
    expect(referenceCount({ unit: 'specimens', stratify: ['material_type'] }, family).strata).toEqual([{ key: { material_type: 'serum' }, count: 3 }]);
    // Two donors' derivatives of one missing parent are two specimens.
    expect(count('specimens', [record('u', { donor_id: 'd0', parent_sample_id: 'gone' }), record('v', { donor_id: 'd1', parent_sample_id: 'gone' })])).toBe(2);
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

describe('referenceCount with per-donor contribution caps', () => {
  const caps = { specimens: 2, aliquots: 3, donorCells: 2 };
  // Donor d1: three roots (r1 with two aliquots, r2, r3), all serum or plasma; d2: one root with an aliquot.
  const records = [
    record('r3', { donor_id: 'd1', material_type: 'dna' }),
    record('r1', { donor_id: 'd1' }),
    record('r1-a', { donor_id: 'd1', parent_sample_id: 'r1', material_type: 'plasma' }),
    record('r1-b', { donor_id: 'd1', parent_sample_id: 'r1', material_type: 'plasma' }),
    record('r2', { donor_id: 'd1', material_type: 'plasma' }),
    record('q1', { donor_id: 'd2' }),
    record('q1-a', { donor_id: 'd2', parent_sample_id: 'q1' }),
    record('w1', { donor_id: 'd3', status: 'withdrawn' }),
  ];
  const capped = (query: Query) => referenceCount(query, records, { caps });

  test('a donor adds at most the cap to a total; donors count once', () => {
    expect(capped({ unit: 'specimens' }).total).toBe(2 + 1);
    expect(capped({ unit: 'aliquots' }).total).toBe(3 + 2);
    expect(capped({ unit: 'donors' }).total).toBe(2);
    // Without caps: every unit.
    expect(referenceCount({ unit: 'specimens' }, records).total).toBe(4);
    expect(referenceCount({ unit: 'aliquots' }, records).total).toBe(7);
  });

  test('the cap applies to what matches: a donor with few matching units is not cut', () => {
    const plasma: Query = { unit: 'specimens', where: { op: 'in', field: 'material_type', values: ['plasma'] } };
    // d1's plasma records belong to r1 (its aliquots) and r2: two roots, within the cap.
    expect(capped(plasma).total).toBe(2);
  });

  test('kept units are the first in (root id, sample id) order', () => {
    // d1's records in order: r1, r1-a, r1-b (root r1), r2, r3. Aliquots cap 3 keeps r1, r1-a, r1-b: all serum/plasma, no dna.
    const result = capped({ unit: 'aliquots', stratify: ['material_type'] });
    expect(result.strata).toEqual([
      { key: { material_type: 'plasma' }, count: 2 },
      { key: { material_type: 'serum' }, count: 1 + 2 },
    ]);
  });

  test('a stratified answer counts at most the cap of (unit, cell) pairs per donor', () => {
    // Specimens: d1 pairs in order (r1, serum), (r1, plasma), (r2, plasma), (r3, dna): the first two are kept.
    expect(capped({ unit: 'specimens', stratify: ['material_type'] }).strata).toEqual([
      { key: { material_type: 'plasma' }, count: 1 },
      { key: { material_type: 'serum' }, count: 2 },
    ]);
    // Donors: d1's cells in order serum, plasma, dna: two kept.
    expect(capped({ unit: 'donors', stratify: ['material_type'] }).strata).toEqual([
      { key: { material_type: 'plasma' }, count: 1 },
      { key: { material_type: 'serum' }, count: 2 },
    ]);
  });

  test('removing one donor changes a capped figure by at most its cap (property)', () => {
    fc.assert(
      fc.property(recordsArb(16), exprArb(2), fc.constantFrom<Unit>('donors', 'specimens', 'aliquots'), (catalogue, where, unit) => {
        const donors = [...new Set(catalogue.map((r) => r.donor_id))];
        fc.pre(donors.length > 0);
        const without = catalogue.filter((r) => r.donor_id !== donors[0]);
        const query: Query = { unit, where, stratify: ['material_type', 'age_band'] };
        const a = referenceCount(query, catalogue, { caps });
        const b = referenceCount(query, without, { caps });
        const totalCap = unit === 'donors' ? 1 : caps[unit];
        const cellCap = unit === 'donors' ? caps.donorCells : caps[unit];
        expect(Math.abs(a.total - b.total)).toBeLessThanOrEqual(totalCap);
        const cells = new Map(a.strata.map((s) => [JSON.stringify(s.key), s.count]));
        for (const s of b.strata) cells.set(JSON.stringify(s.key), (cells.get(JSON.stringify(s.key)) ?? 0) - s.count);
        const l1 = [...cells.values()].reduce((sum, d) => sum + Math.abs(d), 0);
        expect(l1).toBeLessThanOrEqual(cellCap);
      }),
      { numRuns: 300 },
    );
  });
});

describe('capped specimens are resolved within each donor', () => {
  test("a derivative filed under another donor is its own specimen there, whatever the other donor's records", () => {
    const caps = { specimens: 5, aliquots: 5, donorCells: 5 };
    const parent = record('p', { donor_id: 'd0' });
    const child = record('p-1', { donor_id: 'd0', parent_sample_id: 'p' });
    // d1's two derivatives hang under d0's records: each names its parent, which is outside d1's records.
    const foreign = [record('x', { donor_id: 'd1', parent_sample_id: 'p' }), record('y', { donor_id: 'd1', parent_sample_id: 'p-1' })];
    const withD0 = referenceCount({ unit: 'specimens' }, [parent, child, ...foreign], { caps }).total;
    const withoutD0 = referenceCount({ unit: 'specimens' }, foreign, { caps }).total;
    expect(withD0).toBe(1 + 2);
    expect(withoutD0).toBe(2);
  });
});
