/**
 * fast-check generators for queries and specimen records, for property tests.
 * Values are drawn from small pools so that random queries and records
 * actually meet (codes under each other, shared donors, aliquot chains).
 */
import fc from 'fast-check';
import { DIMENSIONS, UNITS, type Expr, type Query } from '../ast.js';
import { QUERY_LIMITS } from '../limits.js';
import { MATERIAL_TYPES, SEXES, STORAGE_TEMPERATURES, STATUSES, type SpecimenRecord } from '../specimen.js';
import { strataCellCount } from '../strata.js';
import { USE_CATEGORIES } from '../vocab/duo.js';

const DIAGNOSES = ['C50', 'C50.9', 'C50.1', 'C50.12', 'C34', 'C34.1', 'E11', 'E11.9', 'I21', 'C00', 'D48.9', 'D49'] as const;
/** What a query may ask, normalised: the codes above, ranges with an end on a code records carry, chapters II and IV as their ranges. */
const DIAGNOSIS_TERMS = [...DIAGNOSES, 'C00-C34', 'C35-C50', 'C50-D48', 'D48-E11', 'C00-D48', 'E00-E90', 'C51-D49'] as const;
/** Other spellings of some terms above, for rewording. */
const RESPELLINGS: Readonly<Record<string, string>> = { 'C00-D48': 'ii', 'E00-E90': 'IV', 'C50-D48': 'c50 \u2013 d48' };
const SITES = ['C50', 'C50.4', 'C50.9', 'C34.1', 'C18'] as const;
const DATES = ['2018-12-31', '2019-01-01', '2019-05-01', '2019-05-14', '2019-05-31', '2019-12-31', '2020-02-29'] as const;
const RECORD_DATES = ['2019', '2019-05', '2019-05-14', '2020-02', '2018-12-31', '2020'] as const;
const CONSENT_CODES = [...USE_CATEGORIES, 'DUO:0000044', 'DUO:0000046'] as const;
const COLLECTIONS = ['col-a', 'col-b', 'col-c'] as const;

const nonEmptySubset = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });

const inExpr: fc.Arbitrary<Expr> = fc.oneof(
  nonEmptySubset(MATERIAL_TYPES).map((values): Expr => ({ op: 'in', field: 'material_type', values })),
  nonEmptySubset(SEXES).map((values): Expr => ({ op: 'in', field: 'sex', values })),
  nonEmptySubset(STORAGE_TEMPERATURES).map((values): Expr => ({ op: 'in', field: 'storage_temperature', values })),
  nonEmptySubset(['available', 'reserved', 'depleted'] as const).map((values): Expr => ({ op: 'in', field: 'status', values })),
  nonEmptySubset(COLLECTIONS).map((values): Expr => ({ op: 'in', field: 'collection_id', values })),
);

const ageRange: fc.Arbitrary<Expr> = fc
  .tuple(fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }), fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }))
  .filter(([min, max]) => (min !== undefined || max !== undefined) && (min === undefined || max === undefined || min <= max))
  .map(([min, max]): Expr => ({ op: 'age_range', ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) }));

const dateRange: fc.Arbitrary<Expr> = fc
  .tuple(fc.option(fc.constantFrom(...DATES), { nil: undefined }), fc.option(fc.constantFrom(...DATES), { nil: undefined }))
  .filter(([from, to]) => (from !== undefined || to !== undefined) && (from === undefined || to === undefined || from <= to))
  .map(([from, to]): Expr => ({ op: 'collected_between', ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) }));

/** A random predicate over the pools above. */
export const predicateArb: fc.Arbitrary<Expr> = fc.oneof(
  inExpr,
  ageRange,
  dateRange,
  nonEmptySubset(DIAGNOSIS_TERMS).map((codes): Expr => ({ op: 'diagnosis', codes })),
  nonEmptySubset(SITES).map((codes): Expr => ({ op: 'anatomical_site', codes })),
  fc.constantFrom(...USE_CATEGORIES).map((use): Expr => ({ op: 'consent_permits', use })),
  fc.integer({ min: 0, max: 5 }).map((value): Expr => ({ op: 'min_quantity', value })),
);

/** A random expression at most `depth` connectives deep. */
export function exprArb(depth = 3): fc.Arbitrary<Expr> {
  if (depth === 0) return predicateArb;
  const child = exprArb(depth - 1);
  return fc.oneof(
    { weight: 2, arbitrary: predicateArb },
    { weight: 1, arbitrary: fc.array(child, { minLength: 1, maxLength: 4 }).map((args): Expr => ({ op: 'and', args })) },
    { weight: 1, arbitrary: fc.array(child, { minLength: 1, maxLength: 4 }).map((args): Expr => ({ op: 'or', args })) },
    { weight: 1, arbitrary: child.map((arg): Expr => ({ op: 'not', arg })) },
  );
}

/** A random valid query. */
export const queryArb: fc.Arbitrary<Query> = fc.record(
  {
    unit: fc.constantFrom(...UNITS),
    where: exprArb(),
    stratify: fc.subarray([...DIMENSIONS], { maxLength: 3 }).filter((dimensions) => strataCellCount(dimensions) <= QUERY_LIMITS.maxStrataCells),
  },
  { requiredKeys: ['unit'] },
);

/** A random catalogue of up to `max` records whose parents point at earlier records or at missing ids. */
export function recordsArb(max = 12): fc.Arbitrary<SpecimenRecord[]> {
  const recordArb = fc.record({
    donor: fc.integer({ min: 0, max: 3 }),
    collection_id: fc.constantFrom(...COLLECTIONS),
    material_type: fc.constantFrom(...MATERIAL_TYPES.slice(0, 4), 'tissue-ffpe' as const),
    collected_on: fc.option(fc.constantFrom(...RECORD_DATES), { nil: null }),
    diagnosis: fc.subarray([...DIAGNOSES], { maxLength: 2 }),
    anatomical_site: fc.option(fc.constantFrom(...SITES), { nil: null }),
    sex: fc.constantFrom(...SEXES),
    age_at_collection: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
    storage_temperature: fc.constantFrom(...STORAGE_TEMPERATURES),
    consent: fc.subarray([...CONSENT_CODES], { maxLength: 3 }),
    status: fc.constantFrom(...STATUSES),
    quantity: fc.integer({ min: 0, max: 5 }),
    parent: fc.integer({ min: -2, max: 20 }),
  });
  return fc.array(recordArb, { maxLength: max }).map((rows) =>
    rows.map(({ donor, parent, ...rest }, i): SpecimenRecord => ({
      ...rest,
      sample_id: `s${i}`,
      donor_id: `d${donor}`,
      // Parents are earlier rows, an id no row has (`gone-…`), or none.
      parent_sample_id: parent < 0 ? null : parent < i ? `s${parent}` : parent > 15 ? `gone-${parent}` : null,
    })),
  );
}

/** A deterministic pseudo-random source, so a rewording is reproducible from its seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

/**
 * The same question asked differently: and/or children shuffled and some
 * duplicated, list values shuffled and duplicated, codes respelled, double
 * negations and single-child connectives added.
 */
export function reword(expr: Expr, random: () => number): Expr {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const shuffled = <T>(items: readonly T[]): T[] => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  };
  const withDuplicate = <T>(items: readonly T[]): T[] => (random() < 0.5 ? shuffled([...items, pick(items)]) : shuffled(items));

  let out: Expr;
  switch (expr.op) {
    case 'and':
    case 'or':
      out = { op: expr.op, args: withDuplicate(expr.args.map((arg) => reword(arg, random))) };
      break;
    case 'not':
      out = { op: 'not', arg: reword(expr.arg, random) };
      break;
    case 'in':
      out = { ...expr, values: withDuplicate(expr.values as string[]) } as Expr;
      break;
    case 'diagnosis':
    case 'anatomical_site':
      out = { op: expr.op, codes: withDuplicate(expr.codes).map((c) => (random() < 0.5 ? (RESPELLINGS[c] ?? c.toLowerCase().replace('.', '')) : c)) };
      break;
    default:
      out = expr;
  }
  const wrap = random();
  if (wrap < 0.15) return { op: 'not', arg: { op: 'not', arg: out } };
  if (wrap < 0.3) return { op: random() < 0.5 ? 'and' : 'or', args: [out] };
  return out;
}
