import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { referenceCount, type Query, type SpecimenRecord } from '@biospec/query';
import { signQuery } from '@biospec/trust';
import { biospec } from './harness/cli.js';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';

// Real exports in the German biobank profiles, imported through the CLI into a real node and
// counted through its signed gRPC call. The fixtures are small exports written for this
// project in the shapes of the MII Modul Biobank, bbmri.de and a per-type split export
// (packages/fhir/src/fixtures/README.md). What each should count is written out below by
// reading the fixtures, with the documented rules (docs/QUERY.md, packages/fhir/README.md),
// and counted with the reference evaluator: never through the importer.

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../../packages/fhir/src/fixtures');

const record = (fields: Partial<SpecimenRecord> & Pick<SpecimenRecord, 'sample_id' | 'donor_id'>): SpecimenRecord => ({
  collection_id: 'default',
  material_type: 'other',
  collected_on: null,
  diagnosis: [],
  anatomical_site: null,
  sex: 'unknown',
  age_at_collection: null,
  storage_temperature: 'other',
  consent: [],
  status: 'available',
  quantity: 1,
  parent_sample_id: null,
  ...fields,
});

const LIQUID = 'bbmri-eric:ID:DE_EXAMPLE:collection:LIQUID';
const HMB = 'DUO:0000006';

/**
 * mii-biobank/bundle.json, read by hand. Diagnoses: the specimen's own (Diagnose extension)
 * first, then every Condition of the donor whatever its clinical status or dates; the refuted
 * I10 and the SNOMED-only hypertension of mii-pat-3 count for nothing. Consent: only the
 * Broad Consent permit "BIOMAT wissenschaftlich nutzen" (.22, or .52 retrospective) within
 * its period gives HMB; mii-pat-2 permitted data only, mii-pat-4's permits ended in 2020.
 */
const MII: SpecimenRecord[] = [
  record({ sample_id: 'mii-spec-1', donor_id: 'mii-pat-1', collection_id: LIQUID, material_type: 'whole-blood', collected_on: '2024-02-15', diagnosis: ['C18.9', 'E11.9'], sex: 'female', age_at_collection: 48, storage_temperature: 'RT', consent: [HMB], quantity: 10 }),
  record({ sample_id: 'mii-spec-2', donor_id: 'mii-pat-1', collection_id: LIQUID, material_type: 'serum', collected_on: '2024-02-15', diagnosis: ['C18.9', 'E11.9'], sex: 'female', age_at_collection: 48, storage_temperature: '-60to-85', consent: [HMB], quantity: 2, parent_sample_id: 'mii-spec-1' }),
  record({ sample_id: 'mii-spec-3', donor_id: 'mii-pat-2', collection_id: LIQUID, material_type: 'tissue-ffpe', collected_on: '2023-06-01', diagnosis: ['C61'], sex: 'male', age_at_collection: 63 }),
  record({ sample_id: 'mii-spec-4', donor_id: 'mii-pat-3', collection_id: LIQUID, collected_on: '2022-09-30', diagnosis: ['C50.4'], sex: 'female', age_at_collection: 32, storage_temperature: '-18to-35', consent: [HMB], status: 'depleted' }),
  record({ sample_id: 'mii-spec-5', donor_id: 'mii-pat-3', material_type: 'serum', collected_on: '2021', diagnosis: ['C50.4'], sex: 'female', age_at_collection: 31, consent: [HMB] }),
  record({ sample_id: 'mii-spec-6', donor_id: 'mii-pat-4', collection_id: LIQUID, material_type: 'dna', collected_on: '2020-01-20', sex: 'male', age_at_collection: 71, storage_temperature: 'LN' }),
];

/**
 * bbmri-de/bundle.json (entries written before the Bundle's type): b-spec-2's own SampleDiagnosis
 * D05.1 comes first and its donor's Condition C50.9 still counts, as in the Sample Locator.
 */
const BBMRI: SpecimenRecord[] = [
  record({ sample_id: 'b-spec-1', donor_id: 'b-pat-1', collection_id: 'bbmri-eric:ID:DE_BB:collection:BREAST', material_type: 'serum', collected_on: '2019-03-01', diagnosis: ['C50.9'], sex: 'female', age_at_collection: 38, storage_temperature: '-60to-85', consent: ['DUO:0000042'] }),
  record({ sample_id: 'b-spec-2', donor_id: 'b-pat-1', collection_id: 'bbmri-eric:ID:DE_BB:collection:BREAST', material_type: 'tissue-ffpe', collected_on: '2019-03-01', diagnosis: ['D05.1', 'C50.9'], sex: 'female', age_at_collection: 38, storage_temperature: 'RT', consent: ['DUO:0000042'] }),
  record({ sample_id: 'b-spec-3', donor_id: 'b-pat-2', collection_id: 'bbmri-eric:ID:DE_BB:collection:HEART', material_type: 'whole-blood', collected_on: '2020-11-11', diagnosis: ['I21.0'], sex: 'male', age_at_collection: 64, storage_temperature: 'LN', consent: [HMB] }),
  record({ sample_id: 'b-spec-4', donor_id: 'b-pat-2', collection_id: 'bbmri-eric:ID:DE_BB:collection:HEART', material_type: 'plasma', collected_on: '2020-11-11', diagnosis: ['I21.0'], sex: 'male', age_at_collection: 64, storage_temperature: 'LN', consent: [HMB] }),
];

const MAIN = 'bbmri-eric:ID:DE_SPLIT:collection:MAIN';
/** split-export/*.ndjson: one file per resource type, joined as one export. */
const SPLIT: SpecimenRecord[] = [
  record({ sample_id: 's-spec-1', donor_id: 's-pat-1', collection_id: MAIN, material_type: 'plasma', collected_on: '2019-06-30', diagnosis: ['C50.1'], sex: 'female', age_at_collection: 48, consent: [HMB] }),
  record({ sample_id: 's-spec-2', donor_id: 's-pat-1', collection_id: MAIN, material_type: 'tissue-frozen', collected_on: '2019-06-30', diagnosis: ['C50.1'], sex: 'female', age_at_collection: 48, consent: [HMB], parent_sample_id: 's-spec-1' }),
  record({ sample_id: 's-spec-3', donor_id: 's-pat-2', collection_id: MAIN, material_type: 'dna', collected_on: '2015-01-15', diagnosis: ['C34.1'], sex: 'male', age_at_collection: 57 }),
  record({ sample_id: 's-spec-4', donor_id: 's-pat-3', collection_id: MAIN, material_type: 'saliva', collected_on: '2022', diagnosis: ['J45.9'], sex: 'other', age_at_collection: 21, consent: ['DUO:0000042'] }),
];

const QUERIES: Query[] = [
  { unit: 'aliquots' },
  { unit: 'specimens' },
  { unit: 'donors' },
  { unit: 'aliquots', where: { op: 'diagnosis', codes: ['C50'] } },
  { unit: 'aliquots', where: { op: 'diagnosis', codes: ['C18', 'C61'] } },
  { unit: 'aliquots', where: { op: 'diagnosis', codes: ['E11', 'D05', 'I21', 'J45', 'C34'] } },
  { unit: 'aliquots', where: { op: 'diagnosis', codes: ['I10'] } },
  { unit: 'specimens', where: { op: 'consent_permits', use: HMB }, stratify: ['material_type'] },
  { unit: 'aliquots', where: { op: 'consent_permits', use: 'DUO:0000042' } },
  { unit: 'donors', where: { op: 'in', field: 'sex', values: ['female'] } },
  { unit: 'aliquots', where: { op: 'age_range', min: 40, max: 65 }, stratify: ['storage_temperature'] },
  { unit: 'aliquots', where: { op: 'in', field: 'status', values: ['depleted'] } },
  { unit: 'aliquots', stratify: ['sex', 'diagnosis_chapter'] },
  { unit: 'aliquots', where: { op: 'in', field: 'collection_id', values: [LIQUID, MAIN, 'bbmri-eric:ID:DE_BB:collection:HEART'] } },
];

let node: SingleNode;
let work: string;

beforeEach(async () => {
  node = await startSingleNode({ records: [] });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-profiles-'));
}, 60_000);

afterEach(async () => {
  await node?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The node's answer to one signed question (the exact policy of the test node releases true figures). */
async function ask(query: Query) {
  const token = await signQuery(
    { query, purpose: HMB, researcher: 'r-fhir', project: 'profiles', audience: NODE_ID, issuer: 'coordinator' },
    node.coordinatorKey,
  );
  const result = (await node.count(token)).result;
  return {
    total: result?.total?.value,
    strata: (result?.strata ?? []).map((cell) => ({ key: cell.key, count: cell.figure?.value })),
  };
}

/** Every question, asked through the node, against the counts of the expected records. */
async function expectCounts(expected: readonly SpecimenRecord[]): Promise<void> {
  for (const query of QUERIES) {
    const truth = referenceCount(query, expected);
    const answer = await ask(query);
    expect({ query, total: answer.total }).toEqual({ query, total: truth.total });
    const sortKey = (k: Record<string, string>) => JSON.stringify(Object.entries(k).sort());
    const cells = new Map(answer.strata.map((cell) => [sortKey(cell.key), cell.count]));
    for (const stratum of truth.strata) expect({ query, key: stratum.key, count: cells.get(sortKey(stratum.key)) ?? 0 }).toEqual({ query, key: stratum.key, count: stratum.count });
  }
}

/**
 * `biospec node import` into the node's folder, then a node restart: a node that stays up
 * while another process imports answers from a code table it loaded at start until its
 * count index is rebuilt (reported to the count path's owners), so each question here
 * goes to a node that opened the catalogue after the import.
 */
async function importInto(files: string[], ...flags: string[]) {
  const result = await biospec(['node', 'import', ...files, '--dir', node.dir, ...flags]);
  await node.restart();
  return result;
}

test('an MII Modul Biobank transaction imports whole, with every figure the profile rules give', async () => {
  const imported = await importInto([path.join(fixtures, 'mii-biobank/bundle.json')]);
  expect(imported.stderr).toBe('');
  expect(imported.code).toBe(0);
  expect(imported.stdout).toContain('added 6,');
  expect(imported.stdout).toContain('skipped: 1 Specimen with status entered-in-error');
  expect(imported.stdout).toMatch(/warning: 1 body site dropped/);
  expect(imported.stdout).toMatch(/warning: 1 specimen type not in the mapping table, imported as other/);
  expect(imported.stdout).toMatch(/warning: 2 consent granting no DUO use/);
  expect(imported.stdout).toMatch(/not mapped: 1 Encounter/);
  expect(imported.stdout).toMatch(/quarantine report: .*\.ndjson \(0 resources not imported, 5 warnings\)/);
  await expectCounts(MII);
}, 60_000);

test('a bbmri.de Bundle whose entries come before its type: own diagnosis or a Condition of the donor matches', async () => {
  const imported = await importInto([path.join(fixtures, 'bbmri-de/bundle.json')]);
  expect(imported.code).toBe(0);
  expect(imported.stdout).toContain('added 4,');
  await expectCounts(BBMRI);
  // The Sample Locator counts b-spec-2 for C50 through its donor's Condition, and for D05 by its own.
  expect((await ask({ unit: 'aliquots', where: { op: 'diagnosis', codes: ['C50'] } })).total).toBe(2);
  expect((await ask({ unit: 'aliquots', where: { op: 'diagnosis', codes: ['D05'] } })).total).toBe(1);
}, 60_000);

test('a per-type export in several files, given as a folder, imports as one export', async () => {
  const imported = await importInto([path.join(fixtures, 'split-export')]);
  expect(imported.code).toBe(0);
  expect(imported.stdout).toContain('added 4,');
  expect(imported.stdout).toMatch(/from 5 files/);
  await expectCounts(SPLIT);
}, 60_000);

test('Specimens first, then Conditions, Patients and Consents alone: each updates the donors it names, and the data epoch moves', async () => {
  const dir = path.join(fixtures, 'split-export');
  const epochs: number[] = [];
  const epochOf = (stdout: string) => Number(/data epoch (\d+)/.exec(stdout)?.[1]);
  const specimensOnly = await importInto([path.join(dir, 'Specimen.ndjson'), path.join(dir, 'Organization.ndjson')]);
  expect(specimensOnly.code).toBe(0);
  epochs.push(epochOf(specimensOnly.stdout));
  // Nothing is known of the donors yet.
  expect((await ask({ unit: 'aliquots', where: { op: 'diagnosis', codes: ['C50'] } })).total).toBe(0);
  expect((await ask({ unit: 'donors', where: { op: 'in', field: 'sex', values: ['unknown'] } })).total).toBe(3);

  const conditions = await importInto([path.join(dir, 'Condition.ndjson'), path.join(dir, 'Patient.ndjson')]);
  expect(conditions.code).toBe(0);
  expect(conditions.stdout).toMatch(/added 0, changed 4, unchanged 0, removed 0, rejected 0, donors updated 3/);
  epochs.push(epochOf(conditions.stdout));
  expect((await ask({ unit: 'aliquots', where: { op: 'diagnosis', codes: ['C50'] } })).total).toBe(2);

  const consents = await importInto([path.join(dir, 'Consent.ndjson')]);
  expect(consents.stdout).toMatch(/added 0, changed 3, unchanged 0, removed 0, rejected 0, donors updated 2;/);
  epochs.push(epochOf(consents.stdout));
  await expectCounts(SPLIT);

  // A newer Conditions export in which s-pat-1 no longer has C50.1: its two specimens are recomputed.
  const newer = path.join(work, 'Condition.ndjson');
  fs.writeFileSync(
    newer,
    fs
      .readFileSync(path.join(dir, 'Condition.ndjson'), 'utf8')
      .split('\n')
      .filter((line) => !line.includes('s-cond-1'))
      .join('\n'),
  );
  // With the Patients (s-cond-2 names its Patient by identifier only), every donor is named again.
  const cleared = await importInto([newer, path.join(dir, 'Patient.ndjson')]);
  expect(cleared.stdout).toMatch(/added 0, changed 2, unchanged 2, removed 0, rejected 0, donors updated 3;/);
  epochs.push(epochOf(cleared.stdout));
  expect((await ask({ unit: 'aliquots', where: { op: 'diagnosis', codes: ['C50'] } })).total).toBe(0);
  expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
  expect(new Set(epochs).size).toBe(epochs.length);
}, 120_000);

test('lenient import: what maps is imported, what does not is quarantined with id, FHIRPath and reason', async () => {
  const bundle = JSON.parse(fs.readFileSync(path.join(fixtures, 'bbmri-de/bundle.json'), 'utf8')) as { entry: { resource: Record<string, unknown> }[] };
  const bad = bundle.entry.find((e) => e.resource.id === 'b-spec-3') as { resource: Record<string, unknown> };
  bad.resource.type = { coding: [{ system: 'https://fhir.bbmri.de/CodeSystem/SampleMaterialType', code: 'moon-rock' }] };
  const file = path.join(work, 'one-bad.json');
  fs.writeFileSync(file, JSON.stringify(bundle));

  const strict = await importInto([file]);
  expect(strict.code).toBe(1);
  expect(strict.stderr).toMatch(/Specimen\/b-spec-3/);
  expect((await ask({ unit: 'aliquots' })).total).toBe(0);

  const quarantine = path.join(work, 'quarantine.ndjson');
  const lenient = await importInto([file], '--lenient', '--quarantine', quarantine);
  expect(lenient.code).toBe(0);
  expect(lenient.stdout).toContain('added 3, changed 0, unchanged 0, removed 0, rejected 1');
  expect(lenient.stdout).toContain(`quarantine report: ${quarantine} (1 resources not imported, 0 warnings)`);
  const lines = fs.readFileSync(quarantine, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
  expect(lines).toEqual([{ kind: 'rejected', id: 'Specimen/b-spec-3', path: 'Specimen.type.coding[0].code', reason: expect.stringMatching(/unknown material type 'moon-rock'/) }]);
  await expectCounts(BBMRI.filter((r) => r.sample_id !== 'b-spec-3'));
}, 60_000);

test('the node default for lenient imports lives in node.json', async () => {
  const configFile = path.join(node.dir, 'node.json');
  fs.writeFileSync(configFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(configFile, 'utf8')), fhirLenient: true }));
  const file = path.join(work, 'bad-patient.ndjson');
  fs.writeFileSync(
    file,
    [
      { resourceType: 'Patient', id: 'p1', gender: 'female' },
      { resourceType: 'Specimen', id: 'ok', subject: { reference: 'Patient/p1' }, type: { coding: [{ system: 'https://fhir.bbmri.de/CodeSystem/SampleMaterialType', code: 'urine' }] } },
      { resourceType: 'Specimen', id: 'bad', subject: { reference: 'Patient/p1' } },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  const imported = await importInto([file]);
  expect(imported.code).toBe(0);
  expect(imported.stdout).toContain('added 1,');
  expect(imported.stdout).toContain('rejected 1');
  const strict = await importInto([file], '--strict');
  expect(strict.code).toBe(1);
}, 60_000);
