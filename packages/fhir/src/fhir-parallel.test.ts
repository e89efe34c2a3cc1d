import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceRow } from '@biospec/query';
import { createFhirReader } from './fhir-parallel.js';
import type { FhirWarning } from './import-stats.js';
import { createFhirReaderInThread, type FhirReaderOptions } from './read-fhir.js';
import { generatedRecords } from './fixtures/sample-records.js';
import { EXTENSIONS, SYSTEMS } from './systems.js';
import { writeFhirBundle } from './write-fhir.js';

// Several reading threads, each taking chunks of the second pass in turn, must give what one
// reader in this thread gives: the same rows in the same order, the same warnings in the same
// order, the same statistics and the same error. (The workers run from the package's dist/.)

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, 'fixtures');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-parallel-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const write = (name: string, lines: unknown[]): string => {
  const file = path.join(work, name);
  fs.writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
  return file;
};

const specimen = (id: string, subject: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Specimen',
  id,
  type: { coding: [{ system: SYSTEMS.sampleMaterialType, code: 'blood-plasma' }] },
  subject: { reference: subject },
  collection: { collectedDateTime: '2020-01-10' },
  ...extra,
});

/** Every kind of row, warning and problem, with donors whose Specimens fall in several chunks. */
function mixedExport(): string {
  const lines: unknown[] = [
    { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1960' },
    { resourceType: 'Patient', id: 'p2', gender: 'male' },
    // A Patient given twice with different facts blocks its donor's Specimens.
    { resourceType: 'Patient', id: 'p2', gender: 'female' },
    { resourceType: 'Condition', id: 'k1', code: { coding: [{ system: SYSTEMS.icd10, code: 'C34.1' }] }, subject: { reference: 'Patient/p1' } },
    { resourceType: 'Condition', id: 'k2', code: { coding: [{ system: SYSTEMS.snomed, code: '254637007' }] }, subject: { reference: 'Patient/p1' } },
    // A broken Condition of a donor no Specimen names: a warning, not a block.
    { resourceType: 'Condition', id: 'k3', code: { coding: [{ system: SYSTEMS.icd10, code: 'nonsense' }] }, subject: { reference: 'Patient/p9' } },
    { resourceType: 'Consent', id: 'c1', status: 'active', patient: { reference: 'Patient/p1' }, provision: { code: [{ coding: [{ system: SYSTEMS.duo, code: 'DUO:0000006' }] }] } },
    { resourceType: 'Observation', id: 'o1' },
  ];
  for (let i = 0; i < 40; i++) {
    // Donors only Specimens name (x0..x3, each with Specimens far apart), and p1, p2.
    const subject = i % 5 === 4 ? 'Patient/p2' : i % 3 === 0 ? 'Patient/p1' : `Patient/x${i % 4}`;
    const extra: Record<string, unknown> = {};
    if (i % 7 === 1) extra.collection = { collectedDateTime: '2020-01-10', bodySite: { coding: [{ system: SYSTEMS.snomed, code: '76752008' }] } };
    if (i % 11 === 2) extra.type = { coding: [{ system: 'http://example.org/types', code: 'odd' }] };
    if (i % 13 === 3) extra.status = 'entered-in-error';
    if (i % 9 === 5) extra.extension = [{ url: EXTENSIONS.sampleDiagnosis, valueCodeableConcept: { coding: [{ system: SYSTEMS.icd10, code: 'c509' }] } }];
    lines.push(specimen(`s${i}`, subject, extra));
    if (i === 20) lines.push({ resourceType: 'Patient', id: 'p3', gender: 'other' });
  }
  return write('mixed.ndjson', lines);
}

interface Outcome {
  rows?: SourceRow[];
  warnings: FhirWarning[];
  stats?: unknown;
  error?: unknown;
  progress: number;
}

async function outcome(read: (options: FhirReaderOptions) => ReturnType<typeof createFhirReader>): Promise<Outcome> {
  const warnings: FhirWarning[] = [];
  let progress = 0;
  const reader = read({ onWarning: (warning) => warnings.push(warning), onBytes: (done) => (progress = Math.max(progress, done)), today: '2026-01-01' });
  try {
    const rows: SourceRow[] = [];
    for await (const batch of reader.batches()) rows.push(...batch);
    return { rows, warnings, stats: reader.stats(), progress };
  } catch (error) {
    const { code, message, issues } = error as { code?: string; message: string; issues?: unknown };
    return { error: { code, message, issues }, warnings, progress };
  }
}

const exports: [string, () => Promise<string[]> | string[]][] = [
  ['a bbmri.de Bundle', () => [path.join(fixtures, 'bbmri-de', 'bundle.json')]],
  ['an MII transaction', () => [path.join(fixtures, 'mii-biobank', 'bundle.json')]],
  ['a per-type export in several files', () => fs.readdirSync(path.join(fixtures, 'split-export')).sort().map((name) => path.join(fixtures, 'split-export', name))],
  ['rows of every kind, donors across chunks', () => [mixedExport()]],
  [
    'a generated Bundle',
    async () => {
      const file = path.join(work, 'generated.json');
      await writeFhirBundle(generatedRecords(300), file);
      return [file];
    },
  ],
  [
    'malformed JSON in a late Specimen',
    () => {
      const file = mixedExport();
      const text = fs.readFileSync(file, 'utf8').replace('"id":"s33"', '"id":"s33" "x":1');
      const broken = path.join(work, 'broken.ndjson');
      fs.writeFileSync(broken, text);
      return [broken];
    },
  ],
];

test.each(exports)('%s reads the same on several threads as in one', async (_name, files) => {
  const paths = await files();
  const one = await outcome((options) => createFhirReaderInThread(paths, options));
  expect(one.rows?.length ?? one.error).toBeTruthy();
  for (const [readers, chunkSpecimens] of [
    [1, 1000],
    [2, 1],
    [2, 4],
    [3, 2],
  ] as const) {
    expect(await outcome((options) => createFhirReader(paths, { ...options, readers, chunkSpecimens }))).toEqual(one);
  }
}, 120_000);
