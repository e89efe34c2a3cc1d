import type { CountRequestBody } from '../rest-client.js';

/** The example questions the demo asks, each a realistic feasibility question. */
export const DEMO_QUESTIONS: readonly { title: string; request: CountRequestBody }[] = [
  {
    title: 'FFPE breast-cancer (C50) tissue from women aged 40-60 whose consent permits health/medical research',
    request: {
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
      purpose: 'DUO:0000006',
      project: 'demo-breast-cancer',
    },
  },
  {
    title: 'Donors with myocardial infarction or chronic ischaemic heart disease (I21, I25) and serum or plasma, by sex',
    request: {
      query: {
        unit: 'donors',
        where: {
          op: 'and',
          args: [
            { op: 'diagnosis', codes: ['I21', 'I25'] },
            { op: 'in', field: 'material_type', values: ['serum', 'plasma'] },
          ],
        },
        stratify: ['sex'],
      },
      purpose: 'DUO:0000006',
      project: 'demo-cardio',
    },
  },
  {
    title: 'Available DNA aliquots, any diagnosis, by storage temperature',
    request: {
      query: {
        unit: 'aliquots',
        where: { op: 'and', args: [{ op: 'in', field: 'material_type', values: ['dna'] }, { op: 'in', field: 'status', values: ['available'] }] },
        stratify: ['storage_temperature'],
      },
      purpose: 'DUO:0000042',
      project: 'demo-genomics',
    },
  },
];
