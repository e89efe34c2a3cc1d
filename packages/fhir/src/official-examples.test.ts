import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceRow } from '@biospec/query';
import { createDonorIndex } from './donor-index.js';
import { patientSchema, specimenSchema } from './fhir-model.js';
import { mapPatient } from './map-donor.js';
import { mapSpecimen } from './map-specimen.js';
import { createFhirReader } from './fhir-parallel.js';
import { SYSTEMS } from './systems.js';
import { testFolder } from './test-folders.js';

// The FHIR R4 (4.0.1) examples, as published with the specification: see fixtures/README.md.
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const load = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(fixtures, name), 'utf8')) as Record<string, unknown>;
const specimen = load('specimen-example.json');
const patient = load('patient-example.json');
const condition = load('condition-example.json');

async function readBundle(resources: Record<string, unknown>[]) {
  const dir = testFolder('fhir-official-');
  const file = path.join(dir, 'bundle.json');
  const bundle = { resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ fullUrl: `http://hl7.org/fhir/${String(resource.resourceType)}/${String(resource.id)}`, resource })) };
  fs.writeFileSync(file, JSON.stringify(bundle, null, 2));
  const reader = createFhirReader(file);
  const rows: SourceRow[] = [];
  for await (const row of reader.rows()) rows.push(row);
  return { rows, stats: reader.stats() };
}

describe('the official FHIR R4 Specimen, Patient and Condition examples', () => {
  test('they import whole: the SNOMED CT diagnosis and body site (no ICD-10, no ICD-O-3) are dropped with warnings naming resource and path', async () => {
    const { rows, stats } = await readBundle([specimen, patient, condition]);
    expect(rows.filter((row) => row.issues)).toEqual([]);
    expect(stats.warnings).toEqual({
      'diagnosis not coded in ICD-10, dropped': {
        count: 1,
        examples: [
          `Condition/example Condition.code.coding[0].code: '39065001' (${SYSTEMS.snomed}) is not an ICD-10 code (expected a coding in ${SYSTEMS.icd10}, ${SYSTEMS.icd10GmBfarm}, ${SYSTEMS.icd10GmDimdi}): dropped (entry[2])`,
        ],
      },
      'body site dropped': {
        count: 1,
        examples: [`Specimen/101 Specimen.collection.bodySite.coding[0].code: body site '49852007' (${SYSTEMS.snomed}) is not ICD-O-3 topography: dropped (anatomical_site left empty) (entry[0])`],
      },
    });
    expect(stats).toMatchObject({
      resources: { Specimen: 1, Patient: 1, Condition: 1 },
      unmapped: {},
      bundles: { collection: 1 },
      specimens: { mapped: 1, withIssues: 0, enteredInError: 0 },
      otherResourcesWithIssues: 0,
    });
  });

  test('everything else in specimen 101 maps: SNOMED venous blood, collection date, the 6 mL left, Peter Chalmers as donor', () => {
    const index = createDonorIndex();
    const donor = mapPatient(patientSchema.parse(patient));
    expect(donor.issues).toEqual([]);
    if (donor.facts === null) throw new Error('the Patient example did not map');
    index.addPatient(['Patient/example'], [], donor.facts, { ref: 'Patient/example', where: 'entry[0]' });
    index.finish();
    const mapping = mapSpecimen(specimenSchema.parse(specimen), index.context('default'), ['Specimen/101']);
    expect(mapping.record).toEqual({
      sample_id: '101',
      donor_id: 'example',
      collection_id: 'default',
      material_type: 'whole-blood',
      collected_on: '2011-05-30',
      diagnosis: [],
      anatomical_site: null,
      sex: 'male',
      age_at_collection: 36,
      storage_temperature: 'other',
      consent: [],
      status: 'available',
      quantity: 6,
      parent_sample_id: null,
    });
    expect(mapping.issues).toEqual([]);
    expect(mapping.warnings.map((i) => i.field)).toEqual(['Specimen.collection.bodySite.coding[0].code']);
  });

  test('without the SNOMED body site the specimen imports as a record', async () => {
    const collection = { ...(specimen.collection as Record<string, unknown>) };
    delete collection.bodySite;
    const { rows } = await readBundle([{ ...specimen, collection }, patient]);
    expect(rows.filter((row) => row.record)).toEqual([
      { ref: 'Specimen/101', record: expect.objectContaining({ sample_id: '101', sex: 'male', age_at_collection: 36, material_type: 'whole-blood' }), linked: { own_diagnosis: [], age_stated: false } },
    ]);
  });
});
