import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BiospecError } from '@biospec/protocol';
import type { SourceRow } from '@biospec/query';
import { createFhirReader, readFhir } from './fhir-parallel.js';
import { EXTENSIONS, SYSTEMS } from './systems.js';
import { testFolder } from './test-folders.js';

const tempFile = (name: string, text: string): string => {
  const file = path.join(testFolder('fhir-read-'), name);
  fs.writeFileSync(file, text);
  return file;
};

async function collect(rows: AsyncIterable<SourceRow>): Promise<SourceRow[]> {
  const all: SourceRow[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

/** The specimen and problem rows, without the donor updates that come first. */
async function specimenRows(rows: AsyncIterable<SourceRow>): Promise<SourceRow[]> {
  return (await collect(rows)).filter((row) => row.donor === undefined);
}

const specimen = (id: string, subject: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Specimen',
  id,
  type: { coding: [{ system: SYSTEMS.sampleMaterialType, code: 'blood-plasma' }] },
  subject: { reference: subject },
  collection: { collectedDateTime: '2020-01-10' },
  ...extra,
});

describe('readFhir', () => {
  test('NDJSON with any mix of types, in any order, resolves references across lines', async () => {
    const lines = [
      specimen('s1', 'Patient/p1', { parent: [{ reference: 'Specimen/s0' }] }),
      { resourceType: 'Observation', id: 'o1', status: 'final' },
      { resourceType: 'Consent', id: 'c1', status: 'active', patient: { reference: 'Patient/p1' }, provision: { code: [{ coding: [{ system: SYSTEMS.duo, code: 'DUO:0000006' }] }] } },
      { resourceType: 'Consent', id: 'c2', status: 'rejected', patient: { reference: 'Patient/p1' } },
      { resourceType: 'Condition', id: 'k1', code: { coding: [{ system: SYSTEMS.icd10, code: 'C34.1' }] }, subject: { reference: 'Patient/p1' } },
      { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1960' },
      { resourceType: 'Encounter', id: 'e1' },
      { resourceType: 'Observation', id: 'o2' },
    ];
    const reader = createFhirReader(tempFile('mixed.ndjson', lines.map((l) => JSON.stringify(l)).join('\n') + '\n'));
    expect(await collect(reader.rows())).toEqual([
      { ref: 'Patient/p1', donor: { donor_id: 'p1', sex: 'female', birth_date: '1960', conditions: ['C34.1'], consent: ['DUO:0000006'] } },
      {
        ref: 'Specimen/s1',
        record: {
          sample_id: 's1',
          donor_id: 'p1',
          collection_id: 'default',
          material_type: 'plasma',
          collected_on: '2020-01-10',
          diagnosis: ['C34.1'],
          anatomical_site: null,
          sex: 'female',
          age_at_collection: 60,
          storage_temperature: 'other',
          consent: ['DUO:0000006'],
          status: 'available',
          quantity: 1,
          parent_sample_id: 's0',
        },
        linked: { own_diagnosis: [], age_stated: false },
      },
    ]);
    expect(reader.stats()).toEqual({
      files: 1,
      donors: { updated: 1 },
      warnings: {},
      unmappedConsents: { count: 0, examples: [] },
      resources: { Specimen: 1, Observation: 2, Consent: 2, Condition: 1, Patient: 1, Encounter: 1 },
      unmapped: { Observation: { count: 2, examples: ['Observation/o1', 'Observation/o2'] }, Encounter: { count: 1, examples: ['Encounter/e1'] } },
      bundles: {},
      specimens: { mapped: 1, withIssues: 0, enteredInError: 0 },
      ignoredConsents: { count: 1, byStatus: { rejected: 1 }, examples: ['Consent/c2'] },
      ignoredConditions: 0,
      entriesWithoutResource: 0,
      otherResourcesWithIssues: 0,
    });
  });

  test("a transaction Bundle with urn:uuid references, a Custodian, and a Condition naming one specimen (every specimen of the donor counts under it)", async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:spec-2', resource: specimen('s2', 'urn:uuid:pat', { parent: [{ reference: 'urn:uuid:spec-1' }], extension: [{ url: EXTENSIONS.custodian, valueReference: { reference: 'urn:uuid:org' } }] }), request: { method: 'POST', url: 'Specimen' } },
        { fullUrl: 'urn:uuid:spec-1', resource: specimen('s1', 'urn:uuid:pat'), request: { method: 'POST', url: 'Specimen' } },
        { fullUrl: 'urn:uuid:pat', resource: { resourceType: 'Patient', id: 'p9', gender: 'male', birthDate: '1950-01-11' }, request: { method: 'POST', url: 'Patient' } },
        { fullUrl: 'urn:uuid:org', resource: { resourceType: 'Organization', identifier: [{ system: SYSTEMS.bbmriEric, value: 'bbmri-eric:ID:DE_Z:collection:lung' }] } },
        {
          fullUrl: 'urn:uuid:cond',
          resource: { resourceType: 'Condition', code: { coding: [{ system: SYSTEMS.icd10GmBfarm, code: 'C34.9' }] }, subject: { reference: 'urn:uuid:pat' }, evidence: [{ detail: [{ reference: 'urn:uuid:spec-2' }] }] },
        },
        { request: { method: 'DELETE', url: 'Specimen/old' } },
      ],
    };
    const reader = createFhirReader(tempFile('tx.json', JSON.stringify(bundle)));
    const rows = await specimenRows(reader.rows());
    expect(rows.map((r) => r.record && [r.record.sample_id, r.record.donor_id, r.record.collection_id, r.record.parent_sample_id, r.record.diagnosis, r.record.age_at_collection])).toEqual([
      ['s2', 'p9', 'bbmri-eric:ID:DE_Z:collection:lung', 's1', ['C34.9'], 69],
      ['s1', 'p9', 'default', null, ['C34.9'], 69],
    ]);
    expect(reader.stats()).toMatchObject({ bundles: { transaction: 1 }, entriesWithoutResource: 1 });
  });

  test('entered-in-error specimens are skipped and counted; a bad specimen is a row with its location; what no specimen needs only warns', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: specimen('gone', 'Patient/p', { status: 'entered-in-error' }) },
        { resource: { id: 'no-type' } },
        { resource: specimen('bad', 'Patient/p', { collection: { collectedDateTime: 20200110 } }) },
        { resource: { resourceType: 'Condition', id: 'orphan', code: { coding: [{ system: SYSTEMS.icd10, code: 'C61' }] }, subject: { reference: 'urn:uuid:nobody' } } },
      ],
    };
    const reader = createFhirReader(tempFile('bad.json', JSON.stringify(bundle)));
    expect(await specimenRows(reader.rows())).toEqual([
      { ref: 'Specimen/bad', issues: [{ field: 'Specimen.collection.collectedDateTime', message: expect.stringMatching(/string.*\(entry\[2\]\)$/) }] },
    ]);
    const stats = reader.stats();
    expect(stats.specimens).toEqual({ mapped: 0, withIssues: 1, enteredInError: 1 });
    expect(stats.warnings['not imported, no imported specimen depends on it']).toEqual({
      count: 2,
      examples: [
        'bad.json entry[1]: not a FHIR resource: no resourceType',
        "Condition/orphan Condition.subject: 'urn:uuid:nobody' does not resolve to a Patient in the import (Condition/orphan)",
      ],
    });
  });

  test('a List has an entry array too, and a Bundle may name its type after its entries', async () => {
    const list = { resourceType: 'List', id: 'l1', status: 'current', mode: 'working', entry: [{ item: { reference: 'Specimen/s1' } }] };
    const late = { entry: [{ resource: specimen('s1', 'Patient/p') }], type: 'collection', resourceType: 'Bundle' };
    const reader = createFhirReader(tempFile('late.ndjson', `${JSON.stringify(list)}\n${JSON.stringify(late)}\n`));
    const rows = await specimenRows(reader.rows());
    expect(rows.map((r) => r.record?.sample_id)).toEqual(['s1']);
    expect(reader.stats()).toMatchObject({ resources: { List: 1, Specimen: 1 }, unmapped: { List: { count: 1 } }, bundles: { collection: 1 } });
  });

  test('malformed JSON is one INVALID_DATA error with its line and column', async () => {
    const file = tempFile('broken.json', '{\n  "resourceType": "Bundle",\n  "type": "collection",\n  "entry": [\n    { "resource": { "resourceType": "Patient", "id": "p" } },\n    { "resource": { "resourceType": "Patient" "id": "q" } }\n  ]\n}\n');
    const error = await collect(readFhir(file)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BiospecError);
    expect(error).toMatchObject({ code: 'INVALID_DATA', issues: [{ line: 6, field: 'column 47', message: "expected ','" }] });
    expect((error as BiospecError).message).toBe(`malformed JSON in ${file} at line 6, column 47 (byte 175): expected ','`);
  });

  test('a Bundle type that is not for import, an empty file and a missing file are refused', async () => {
    const searchResponse = tempFile('history.json', JSON.stringify({ resourceType: 'Bundle', type: 'history', entry: [{ resource: specimen('s', 'Patient/p') }] }));
    await expect(collect(readFhir(searchResponse))).rejects.toMatchObject({ code: 'INVALID_DATA', message: expect.stringMatching(/Bundle.type 'history'/) });
    await expect(collect(readFhir(tempFile('empty.json', '  \n')))).rejects.toMatchObject({ code: 'INVALID_DATA' });
    await expect(collect(readFhir(path.join(os.tmpdir(), 'no-such-dir-x', 'f.json')))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(collect(readFhir(tempFile('array.json', '[1, 2]')))).rejects.toMatchObject({ code: 'INVALID_DATA', message: expect.stringMatching(/not a FHIR resource/) });
  });

  test('progress covers both passes', async () => {
    const text = JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: specimen('s', 'Patient/p') }] });
    const seen: [number, number][] = [];
    await collect(readFhir(tempFile('p.json', text), { onBytes: (read, total) => seen.push([read, total]) }));
    const size = Buffer.byteLength(text);
    expect(seen.at(-1)).toEqual([2 * size, 2 * size]);
    expect(seen.some(([read]) => read === size)).toBe(true);
  });

  test('a transaction without resource ids: the urn:uuid full URLs name the donor, the specimens and their parents', async () => {
    const post = (uuid: string, resource: Record<string, unknown>) => ({ fullUrl: `urn:uuid:${uuid}`, resource, request: { method: 'POST', url: String(resource.resourceType) } });
    const noId = (id: string, subject: string, extra: Record<string, unknown> = {}) => {
      const { id: _drop, ...rest } = specimen(id, subject, extra);
      return rest;
    };
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        post('0a1b2c3d-0000-4000-8000-000000000001', { resourceType: 'Patient', gender: 'female', birthDate: '1970' }),
        post('0a1b2c3d-0000-4000-8000-000000000002', noId('x', 'urn:uuid:0a1b2c3d-0000-4000-8000-000000000001')),
        post('0a1b2c3d-0000-4000-8000-000000000003', noId('y', 'urn:uuid:0a1b2c3d-0000-4000-8000-000000000001', { parent: [{ reference: 'urn:uuid:0a1b2c3d-0000-4000-8000-000000000002' }] })),
      ],
    };
    const rows = await specimenRows(readFhir(tempFile('post.json', JSON.stringify(bundle))));
    expect(rows.map((r) => [r.ref, r.record?.sample_id, r.record?.donor_id, r.record?.sex, r.record?.parent_sample_id])).toEqual([
      ['Specimen/0a1b2c3d-0000-4000-8000-000000000002', '0a1b2c3d-0000-4000-8000-000000000002', '0a1b2c3d-0000-4000-8000-000000000001', 'female', null],
      ['Specimen/0a1b2c3d-0000-4000-8000-000000000003', '0a1b2c3d-0000-4000-8000-000000000003', '0a1b2c3d-0000-4000-8000-000000000001', 'female', '0a1b2c3d-0000-4000-8000-000000000002'],
    ]);
  });

  test('logical references by identifier, contained resources and absolute URLs resolve', async () => {
    const lines = [
      { resourceType: 'Patient', id: 'p1', gender: 'male', identifier: [{ system: 'https://hospital.example.org/pid', value: '42' }] },
      specimen('s1', 'unused', {
        subject: { identifier: { system: 'https://hospital.example.org/pid', value: '42' } },
        extension: [{ url: EXTENSIONS.custodian, valueReference: { identifier: { system: SYSTEMS.bbmriEric, value: 'bbmri-eric:ID:DE_X:collection:A' } } }],
      }),
      specimen('s2', 'https://fhir.example.org/fhir/Patient/p1', {
        contained: [
          { resourceType: 'Organization', id: 'org', identifier: [{ system: SYSTEMS.bbmriEric, value: 'bbmri-eric:ID:DE_X:collection:B' }] },
          { resourceType: 'Condition', id: 'dx', code: { coding: [{ system: SYSTEMS.icd10, code: 'C20' }] } },
        ],
        extension: [
          { url: EXTENSIONS.miiCustodian, valueReference: { reference: '#org' } },
          { url: EXTENSIONS.miiDiagnosis, valueReference: { reference: '#dx' } },
        ],
      }),
    ];
    const rows = await specimenRows(readFhir(tempFile('refs.ndjson', lines.map((l) => JSON.stringify(l)).join('\n'))));
    expect(rows.map((r) => [r.record?.sample_id, r.record?.donor_id, r.record?.sex, r.record?.collection_id, r.record?.diagnosis])).toEqual([
      ['s1', 'p1', 'male', 'bbmri-eric:ID:DE_X:collection:A', []],
      ['s2', 'p1', 'male', 'bbmri-eric:ID:DE_X:collection:B', ['C20']],
    ]);
  });

  test('one export in several files, in any order; a Patient given twice is reported with both places', async () => {
    const dir = testFolder('fhir-split-');
    const write = (name: string, resources: object[]) => {
      fs.writeFileSync(path.join(dir, name), resources.map((r) => JSON.stringify(r)).join('\n'));
      return path.join(dir, name);
    };
    const specimens = write('specimens.ndjson', [specimen('s1', 'Patient/p1')]);
    const patients = write('patients.ndjson', [{ resourceType: 'Patient', id: 'p1', gender: 'female' }]);
    const conditions = write('conditions.ndjson', [{ resourceType: 'Condition', id: 'c1', code: { coding: [{ system: SYSTEMS.icd10, code: 'C50.1' }] }, subject: { reference: 'Patient/p1' } }]);
    const again = write('more-patients.ndjson', [{ resourceType: 'Patient', id: 'p1', gender: 'female' }]);
    const reader = createFhirReader([specimens, conditions, patients, again]);
    const rows = await specimenRows(reader.rows());
    expect(rows.map((r) => [r.record?.sex, r.record?.diagnosis])).toEqual([['female', ['C50.1']]]);
    expect(reader.stats().warnings['duplicate id']).toEqual({ count: 1, examples: ['Patient/p1: appears twice: at patients.ndjson resource[0] and at more-patients.ndjson resource[0]'] });

    const disagrees = write('other-patients.ndjson', [{ resourceType: 'Patient', id: 'p1', gender: 'male' }]);
    const blocked = await specimenRows(readFhir([specimens, patients, disagrees]));
    expect(blocked.filter((r) => r.issues)).toEqual([
      {
        ref: 'Patient/p1',
        issues: [{ field: 'Patient', message: 'Patient/p1 appears twice with different gender or birthDate: at patients.ndjson resource[0] and at other-patients.ndjson resource[0] (other-patients.ndjson resource[0])' }],
      },
    ]);
  });
});
