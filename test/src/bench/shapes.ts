import type { Expr, Query } from '@biospec/query';
import { DEMO_QUESTIONS } from '@biospec/cli';

/** One query shape every latency figure is measured for. */
export interface QueryShape {
  name: string;
  /** The question of run `run`: the same every time, or another one each time so that no cache can answer it. */
  query(run: number): Query;
}

// The demo's first question: the feasibility question of DESIGN.md.
const SELECTIVE = DEMO_QUESTIONS[0]!.request.query as Query;

/** `query` with every age range replaced by `min`..`max`. */
function withAges(query: Query, min: number, max: number): Query {
  const replace = (expr: Expr): Expr =>
    expr.op === 'age_range' ? { op: 'age_range', min, max } : expr.op === 'and' || expr.op === 'or' ? { ...expr, args: expr.args.map(replace) } : expr;
  return { ...query, ...(query.where ? { where: replace(query.where) } : {}) };
}

const same = (query: Query) => () => query;

/** The query shapes every latency figure is measured for. */
export const QUERY_SHAPES: readonly QueryShape[] = [
  { name: 'selective (FFPE, C50, female, 40-60, HMB; specimens)', query: same(SELECTIVE) },
  // The node keeps the rows of recent age ranges as bitmaps: a range it has not seen costs one pass over the ages.
  // Successive runs ask 667 different ranges in turn, far more than it keeps.
  { name: 'selective, another age range each time (FFPE, C50, female, HMB; specimens)', query: (run) => withAges(SELECTIVE, 20 + (run % 23), 45 + (run % 29)) },
  { name: 'broad (available; donors)', query: same({ unit: 'donors', where: { op: 'in', field: 'status', values: ['available'] } }) },
  // Categorical only: answered from the count index's pre-aggregated profiles.
  {
    name: 'stratified (GRU consent; specimens by material x sex)',
    query: same({ unit: 'specimens', where: { op: 'consent_permits', use: 'DUO:0000042' }, stratify: ['material_type', 'sex'] }),
  },
  // The same with an age bound: answered from the profiles split by age.
  {
    name: 'stratified with an age range (GRU consent, age 18-65; specimens by material x sex)',
    query: same({
      unit: 'specimens',
      where: { op: 'and', args: [{ op: 'consent_permits', use: 'DUO:0000042' }, { op: 'age_range', min: 18, max: 65 }] },
      stratify: ['material_type', 'sex'],
    }),
  },
];
