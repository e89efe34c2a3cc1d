import { strataCellCount } from '@biospec/query';
import { buildQuery, canonicalPreview, cellCount, EMPTY_FORM, fieldOfIssue, type QueryForm } from './query-form.js';

/** The demo's first question (packages/cli/src/demo/demo-questions.ts) as the builder holds it. */
const DEMO_FIRST: QueryForm = {
  ...EMPTY_FORM,
  unit: 'specimens',
  diagnoses: ['C50'],
  materialTypes: ['tissue-ffpe'],
  sexes: ['female'],
  ageMin: '40',
  ageMax: '60',
  purpose: 'DUO:0000006',
  consentMustPermit: true,
  project: 'demo-breast-cancer',
};

describe('buildQuery', () => {
  test("builds the demo's first question, argument by argument with the field each came from", () => {
    const built = buildQuery(DEMO_FIRST);
    expect(built.query).toEqual({
      unit: 'specimens',
      where: {
        op: 'and',
        args: [
          { op: 'diagnosis', codes: ['C50'] },
          { op: 'in', field: 'material_type', values: ['tissue-ffpe'] },
          { op: 'in', field: 'sex', values: ['female'] },
          { op: 'age_range', min: 40, max: 60 },
          { op: 'consent_permits', use: 'DUO:0000006' },
        ],
      },
    });
    expect(built.sources).toEqual(['diagnoses', 'materialTypes', 'sexes', 'age', 'consent']);
  });

  test('covers every criterion of the query model', () => {
    const built = buildQuery({
      ...EMPTY_FORM,
      unit: 'donors',
      diagnoses: ['C00-C97', 'II'],
      materialTypes: ['serum'],
      sexes: ['male'],
      ageMin: '18',
      collectedFrom: '2015-01-01',
      collectedTo: '2019-12-31',
      storageTemperatures: ['LN'],
      purpose: 'DUO:0000042',
      minQuantity: '2',
      statuses: ['available'],
      anatomicalSites: 'C50, C34.1',
      collections: 'col-a, col b',
      stratify: ['sex', 'age_band'],
    });
    expect(built.query.stratify).toEqual(['sex', 'age_band']);
    expect(built.query.where).toEqual({
      op: 'and',
      args: [
        { op: 'diagnosis', codes: ['C00-C97', 'II'] },
        { op: 'in', field: 'material_type', values: ['serum'] },
        { op: 'in', field: 'sex', values: ['male'] },
        { op: 'age_range', min: 18 },
        { op: 'collected_between', from: '2015-01-01', to: '2019-12-31' },
        { op: 'in', field: 'storage_temperature', values: ['LN'] },
        { op: 'consent_permits', use: 'DUO:0000042' },
        { op: 'min_quantity', value: 2 },
        { op: 'in', field: 'status', values: ['available'] },
        { op: 'anatomical_site', codes: ['C50', 'C34.1'] },
        { op: 'in', field: 'collection_id', values: ['col-a', 'col b'] },
      ],
    });
  });

  test('no criteria is a count of everything; one criterion is not wrapped in and', () => {
    expect(buildQuery(EMPTY_FORM).query).toEqual({ unit: 'specimens' });
    expect(buildQuery({ ...EMPTY_FORM, ageMax: '30' }).query).toEqual({ unit: 'specimens', where: { op: 'age_range', max: 30 } });
  });

  test('a purpose without the consent box sends no consent criterion', () => {
    expect(buildQuery({ ...EMPTY_FORM, purpose: 'DUO:0000006', consentMustPermit: false }).query).toEqual({ unit: 'specimens' });
  });

  test('text that is not a number is sent as typed, for the API to name', () => {
    expect(buildQuery({ ...EMPTY_FORM, minQuantity: 'two' }).query.where).toEqual({ op: 'min_quantity', value: 'two' });
  });
});

describe('canonicalPreview', () => {
  test('is the canonical form: sorted arguments and keys', () => {
    const preview = canonicalPreview(buildQuery(DEMO_FIRST).query) as string;
    const parsed = JSON.parse(preview) as { where: { args: { op: string }[] } };
    expect(parsed.where.args.map((a) => a.op)).toEqual(['diagnosis', 'in', 'in', 'age_range', 'consent_permits']);
    expect(preview.indexOf('"unit"')).toBeLessThan(preview.indexOf('"where"'));
  });
});

describe('fieldOfIssue', () => {
  const built = buildQuery(DEMO_FIRST);
  test('maps a JSON path of the query sent to the form field it came from', () => {
    expect(fieldOfIssue('where.args[0].codes[0]', built)).toBe('diagnoses');
    expect(fieldOfIssue('where.args[3].min', built)).toBe('age');
    expect(fieldOfIssue('project', built)).toBe('project');
    expect(fieldOfIssue('purpose', built)).toBe('purpose');
    expect(fieldOfIssue('stratify', built)).toBe('stratify');
    expect(fieldOfIssue('where.args[9]', built)).toBe('general');
    expect(fieldOfIssue(undefined, built)).toBe('general');
  });

  test('a lone criterion is addressed as where itself', () => {
    expect(fieldOfIssue('where.min', buildQuery({ ...EMPTY_FORM, ageMin: '70', ageMax: '40' }))).toBe('age');
  });
});

describe('cellCount', () => {
  test("is the query model's own count of cells", () => {
    for (const dims of [[], ['sex'], ['material_type', 'sex'], ['material_type', 'diagnosis_chapter', 'sex']] as const) {
      expect(cellCount(dims)).toBe(strataCellCount(dims));
    }
  });
});
