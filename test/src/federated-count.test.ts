import { FederatedCountResponse, SiteStatus } from '@biospec/protocol';
import { canonicalJson, queryHash, referenceCount, strataCells, type Query } from '@biospec/query';
import { DEMO_QUESTIONS } from '@biospec/cli';
import { startExactFederation, type ExactFederation } from './harness/exact-federation.js';

let net: ExactFederation;

beforeAll(async () => {
  net = await startExactFederation({ donorsPerSite: 400 });
}, 60_000);

afterAll(async () => {
  await net?.stop();
});

/** Ten-plus questions covering every predicate, unit and a stratification. */
const QUESTIONS: Query[] = [
  { unit: 'specimens' },
  { unit: 'donors' },
  { unit: 'aliquots' },
  { unit: 'specimens', where: { op: 'in', field: 'material_type', values: ['tissue-ffpe', 'tissue-frozen'] } },
  // DESIGN.md's example: FFPE breast-cancer tissue, women 40-60, consent for health/medical research.
  DEMO_QUESTIONS[0]!.request.query as Query,
  { unit: 'donors', where: { op: 'diagnosis', codes: ['I21', 'I25', 'E11'] } },
  { unit: 'aliquots', where: { op: 'and', args: [{ op: 'in', field: 'status', values: ['available'] }, { op: 'min_quantity', value: 2 }] } },
  { unit: 'specimens', where: { op: 'collected_between', from: '2015-01-01', to: '2019-12-31' } },
  { unit: 'specimens', where: { op: 'not', arg: { op: 'age_range', min: 18, max: 65 } } },
  {
    unit: 'donors',
    where: { op: 'or', args: [{ op: 'consent_permits', use: 'DUO:0000011' }, { op: 'in', field: 'storage_temperature', values: ['LN'] }] },
  },
  { unit: 'specimens', where: { op: 'consent_permits', use: 'DUO:0000042' }, stratify: ['material_type'] },
  { unit: 'donors', where: { op: 'diagnosis', codes: ['C18', 'C19', 'C20', 'C34'] }, stratify: ['diagnosis_chapter', 'storage_temperature'] },
  { unit: 'aliquots', where: { op: 'in', field: 'sex', values: ['male'] }, stratify: ['sex', 'age_band'] },
  { unit: 'specimens', where: { op: 'anatomical_site', codes: ['C50'] } },
];

function truth(query: Query) {
  return [...net.records.entries()].map(([site, records]) => ({ site, ...referenceCount(query, records) }));
}

test('there are at least ten questions and they are not trivially zero', () => {
  expect(QUESTIONS.length).toBeGreaterThanOrEqual(10);
  const nonZero = QUESTIONS.filter((q) => truth(q).some((t) => t.total > 0));
  expect(nonZero.length).toBeGreaterThanOrEqual(10);
});

test.each(QUESTIONS.map((q, i) => [i, q] as const))('REST question %i matches ground truth at every site', async (_i, query) => {
  const { status, body } = await net.rest('/api/v1/count', { query, purpose: 'DUO:0000006', project: 'integration' });
  expect(status).toBe(200);
  const response = FederatedCountResponse.fromJSON(body);
  expect(response.queryHash).toBe(queryHash(query));
  const expected = truth(query);
  for (const site of expected) {
    const answered = response.sites.find((s) => s.nodeId === site.site);
    expect(answered?.status).toBe(SiteStatus.SITE_STATUS_OK);
    expect(answered?.total?.value ?? 0).toBe(site.total);
    // Every cell of the stratification is released, true zeros included.
    const strata = (answered?.strata ?? []).map((s) => ({ key: s.key, count: s.figure?.value ?? -1 }));
    const countOf = new Map(site.strata.map((s) => [canonicalJson(s.key), s.count]));
    const everyCell = strataCells(query.stratify ?? []).map((key) => ({ key, count: countOf.get(canonicalJson(key)) ?? 0 }));
    expect(sortByKey(strata)).toEqual(sortByKey(everyCell));
  }
  const sum = expected.reduce((n, s) => n + s.total, 0);
  expect(response.total?.releasedSum).toBe(sum);
  expect(response.total?.exact).toBe(true);
});

test('the same question over gRPC gives the same figures as over REST', async () => {
  const query = QUESTIONS[4]!;
  const viaGrpc = await net.grpcCount({ queryJson: JSON.stringify(query), purpose: 'DUO:0000006', project: 'integration' });
  const { body } = await net.rest('/api/v1/count', { query, purpose: 'DUO:0000006', project: 'integration' });
  const viaRest = FederatedCountResponse.fromJSON(body);
  expect(viaGrpc.total?.releasedSum).toBe(viaRest.total?.releasedSum);
  expect(viaGrpc.sites.map((s) => s.total?.value)).toEqual(viaRest.sites.map((s) => s.total?.value));
});

test('a reworded question has the same hash and the same answer', async () => {
  const a: Query = {
    unit: 'donors',
    where: { op: 'and', args: [{ op: 'in', field: 'sex', values: ['female', 'male'] }, { op: 'diagnosis', codes: ['C50', 'C50.9'] }] },
  };
  const b = {
    where: { args: [{ codes: ['c50'], op: 'diagnosis' }, { op: 'not', arg: { op: 'not', arg: { field: 'sex', op: 'in', values: ['male', 'female', 'male'] } } }], op: 'and' },
    unit: 'donors',
  };
  const ra = FederatedCountResponse.fromJSON((await net.rest('/api/v1/count', { query: a, purpose: 'DUO:0000006', project: 'p' })).body);
  const rb = FederatedCountResponse.fromJSON((await net.rest('/api/v1/count', { query: b, purpose: 'DUO:0000006', project: 'p' })).body);
  expect(rb.queryHash).toBe(ra.queryHash);
  expect(rb.total?.releasedSum).toBe(ra.total?.releasedSum);
});

test('withdrawn specimens are never counted, even when asked for by status', async () => {
  const { status, body } = await net.rest('/api/v1/count', {
    query: { unit: 'specimens', where: { op: 'in', field: 'status', values: ['withdrawn'] } },
    purpose: 'DUO:0000006',
    project: 'p',
  });
  expect(status).toBe(400);
  expect(body.error.code).toBe('INVALID_QUERY');
  const all = truth({ unit: 'aliquots' });
  const withdrawnExist = [...net.records.values()].some((rs) => rs.some((r) => r.status === 'withdrawn'));
  expect(withdrawnExist).toBe(true);
  const everything = FederatedCountResponse.fromJSON((await net.rest('/api/v1/count', { query: { unit: 'aliquots' }, purpose: 'DUO:0000006', project: 'p' })).body);
  const rows = [...net.records.values()].reduce((n, rs) => n + rs.filter((r) => r.status !== 'withdrawn').length, 0);
  expect(everything.total?.releasedSum).toBe(rows);
  expect(all.reduce((n, s) => n + s.total, 0)).toBe(rows);
});

function sortByKey<T extends { key: Record<string, string> }>(items: T[]): T[] {
  return [...items].sort((x, y) => JSON.stringify(x.key).localeCompare(JSON.stringify(y.key)));
}
