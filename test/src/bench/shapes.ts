import type { Query } from '@biospec/query';

/** The query shapes every latency figure is measured for. */
export const QUERY_SHAPES: readonly { name: string; query: Query }[] = [
  {
    name: 'selective (FFPE, C50, female, 40-60, HMB; specimens)',
    query: {
      unit: 'specimens',
      where: {
        op: 'and',
        args: [
          { op: 'in', field: 'material_type', values: ['tissue-ffpe'] },
          { op: 'diagnosis', codes: ['C50'] },
          { op: 'in', field: 'sex', values: ['female'] },
          { op: 'age_range', min: 40, max: 60 },
          { op: 'consent_permits', use: 'DUO:0000006' },
        ],
      },
    },
  },
  { name: 'broad (available; donors)', query: { unit: 'donors', where: { op: 'in', field: 'status', values: ['available'] } } },
  {
    name: 'stratified (GRU consent; specimens by material x sex)',
    query: { unit: 'specimens', where: { op: 'consent_permits', use: 'DUO:0000042' }, stratify: ['material_type', 'sex'] },
  },
];
