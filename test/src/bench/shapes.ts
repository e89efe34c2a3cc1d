import type { Query } from '@biospec/query';
import { DEMO_QUESTIONS } from '@biospec/cli';

/** The query shapes every latency figure is measured for. */
export const QUERY_SHAPES: readonly { name: string; query: Query }[] = [
  // The demo's first question: the feasibility question of DESIGN.md.
  { name: 'selective (FFPE, C50, female, 40-60, HMB; specimens)', query: DEMO_QUESTIONS[0]!.request.query as Query },
  { name: 'broad (available; donors)', query: { unit: 'donors', where: { op: 'in', field: 'status', values: ['available'] } } },
  // Categorical only: answered from the count index's pre-aggregated profiles.
  {
    name: 'stratified (GRU consent; specimens by material x sex)',
    query: { unit: 'specimens', where: { op: 'consent_permits', use: 'DUO:0000042' }, stratify: ['material_type', 'sex'] },
  },
  // The same with an age bound, which profiles do not hold: answered from the rows.
  {
    name: 'stratified by rows (GRU consent, age 18-65; specimens by material x sex)',
    query: {
      unit: 'specimens',
      where: { op: 'and', args: [{ op: 'consent_permits', use: 'DUO:0000042' }, { op: 'age_range', min: 18, max: 65 }] },
      stratify: ['material_type', 'sex'],
    },
  },
];
