import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCatalogue } from '@biospec/catalogue';
import { referenceCount, type Query } from '@biospec/query';
import { generateCatalogue } from '@biospec/synthetic';
import { biospec } from './harness/cli.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../../packages/fhir/src/fixtures');
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-fhir-'));
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

const QUERIES: Query[] = [
  { unit: 'aliquots' },
  { unit: 'donors', where: { op: 'diagnosis', codes: ['I21', 'I25'] } },
  { unit: 'specimens', where: { op: 'consent_permits', use: 'DUO:0000006' }, stratify: ['material_type', 'sex'] },
  { unit: 'aliquots', where: { op: 'collected_between', from: '2010-01-01', to: '2015-12-31' }, stratify: ['storage_temperature'] },
  { unit: 'donors', where: { op: 'age_range', min: 60 } },
];

test.each(['fhir-bundle', 'fhir-ndjson'])('a generated bbmri.de-style %s imports through the CLI with counts equal to the source', async (format) => {
  const file = path.join(work, `export.${format === 'fhir-bundle' ? 'json' : 'ndjson'}`);
  const nodeDir = path.join(work, format);
  const generated = await biospec(['generate', '--format', format, '--out', file, '--donors', '250', '--seed', '11', '--profile', 'cardiology-centre', '--prefix', 'FH']);
  expect(generated.code).toBe(0);
  expect((await biospec(['node', 'init', '--dir', nodeDir, '--id', 'fhir-node', '--name', 'FHIR Node'])).code).toBe(0);
  const imported = await biospec(['node', 'import', file, '--dir', nodeDir]);
  expect(imported.stderr).toBe('');
  const source = [...generateCatalogue({ seed: '11', donors: 250, profile: 'cardiology-centre', idPrefix: 'FH' })];
  expect(imported.stdout).toContain(`added ${source.length},`);

  const catalogue = openCatalogue(path.join(nodeDir, 'catalogue.db'));
  try {
    for (const query of QUERIES) {
      const { epoch, ...figures } = await catalogue.count(query);
      expect(epoch).toBe(1);
      expect(figures).toEqual(referenceCount(query, source));
    }
  } finally {
    catalogue.close();
  }
});

test('the official FHIR R4 examples import, with what could not be mapped reported by resource id and path', async () => {
  const read = (name: string) => JSON.parse(fs.readFileSync(path.join(fixtures, name), 'utf8'));
  const bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: ['patient-example.json', 'condition-example.json', 'specimen-example.json'].map((name) => ({ resource: read(name) })),
  };
  const file = path.join(work, 'official.json');
  fs.writeFileSync(file, JSON.stringify(bundle));
  const nodeDir = path.join(work, 'official');
  await biospec(['node', 'init', '--dir', nodeDir, '--id', 'official', '--name', 'Official Examples']);
  const quarantine = path.join(work, 'official-report.ndjson');
  const result = await biospec(['node', 'import', file, '--dir', nodeDir, '--quarantine', quarantine]);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('added 1,');
  expect(result.stdout).toMatch(/warning: 1 diagnosis not coded in ICD-10, dropped \(e\.g\. Condition\/example Condition\.code\.coding\[0\]\.code/);
  expect(result.stdout).toMatch(/warning: 1 body site dropped \(e\.g\. Specimen\/101 Specimen\.collection\.bodySite\.coding\[0\]\.code/);
  const lines = fs.readFileSync(quarantine, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { kind: string; id: string; path: string });
  expect(lines.map(({ kind, id, path: at }) => [kind, id, at])).toEqual([
    ['warning', 'Condition/example', 'Condition.code.coding[0].code'],
    ['warning', 'Specimen/101', 'Specimen.collection.bodySite.coding[0].code'],
  ]);
  const catalogue = openCatalogue(path.join(nodeDir, 'catalogue.db'));
  try {
    expect(catalogue.size()).toBe(1);
  } finally {
    catalogue.close();
  }
});

test('malformed FHIR JSON is one clear error with its position', async () => {
  const file = path.join(work, 'broken.json');
  fs.writeFileSync(file, '{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient",}}]}');
  const nodeDir = path.join(work, 'broken');
  await biospec(['node', 'init', '--dir', nodeDir, '--id', 'broken', '--name', 'Broken']);
  const result = await biospec(['node', 'import', file, '--dir', nodeDir]);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/INVALID_DATA/);
  expect(result.stderr).toMatch(/line 1|column|offset/);
});

test('resources the importer does not map are reported with their ids, not silently dropped', async () => {
  const file = path.join(work, 'mixed.ndjson');
  const resources = [
    { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1970-01-01' },
    { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'haemoglobin' } },
    {
      resourceType: 'Specimen',
      id: 's1',
      subject: { reference: 'Patient/p1' },
      type: { coding: [{ system: 'https://fhir.bbmri.de/CodeSystem/SampleMaterialType', code: 'blood-serum' }] },
      collection: { collectedDateTime: '2020-01-02' },
    },
  ];
  fs.writeFileSync(file, resources.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const nodeDir = path.join(work, 'mixed');
  await biospec(['node', 'init', '--dir', nodeDir, '--id', 'mixed', '--name', 'Mixed']);
  const result = await biospec(['node', 'import', file, '--dir', nodeDir]);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('added 1,');
  expect(result.stdout).toContain('not mapped: 1 Observation (e.g. Observation/o1)');
});
