import type { FhirSpecimen } from './fhir-model.js';
import {
  mapBodySite,
  mapMaterialType,
  mapSpecimen,
  mapStatus,
  mapStorageTemperature,
  type DonorFacts,
  type SpecimenContext,
} from './map-specimen.js';
import { EXTENSIONS, SYSTEMS } from './systems.js';

const bbmri = (code: string) => ({ coding: [{ system: SYSTEMS.sampleMaterialType, code }] });
const temperature = (code: string) => [
  { url: EXTENSIONS.storageTemperature, valueCodeableConcept: { coding: [{ system: SYSTEMS.storageTemperature, code }] } },
];

describe('mapMaterialType', () => {
  test.each([
    ['whole-blood', 'whole-blood'],
    ['blood-serum', 'serum'],
    ['blood-plasma', 'plasma'],
    ['plasma-edta', 'plasma'],
    ['buffy-coat', 'buffy-coat'],
    ['peripheral-blood-cells-vital', 'pbmc'],
    ['dna', 'dna'],
    ['rna', 'rna'],
    ['tissue-frozen', 'tissue-frozen'],
    ['tumor-tissue-ffpe', 'tissue-ffpe'],
    ['urine', 'urine'],
    ['saliva', 'saliva'],
    ['csf-liquor', 'csf'],
    ['liquor', 'csf'],
    ['stool-faeces', 'feces'],
    ['cell-line', 'cell-line'],
    ['tissue-other', 'other'],
    ['derivative-other', 'other'],
    ['liquid-other', 'other'],
    ['bone-marrow', 'other'],
  ])('bbmri.de %s → %s', (code, expected) => {
    expect(mapMaterialType(bbmri(code))).toEqual({ value: expected });
  });

  test.each([
    ['122555007', 'whole-blood'],
    ['119364003', 'serum'],
    ['119361006', 'plasma'],
    ['122575003', 'urine'],
    ['258450006', 'csf'],
  ])('SNOMED CT %s → %s', (code, expected) => {
    expect(mapMaterialType({ coding: [{ system: SYSTEMS.snomed, code }] })).toEqual({ value: expected });
  });

  test('prefers our own coding, then bbmri.de, whatever the order of codings', () => {
    const type = {
      coding: [
        { system: SYSTEMS.snomed, code: '119364003' },
        { system: SYSTEMS.sampleMaterialType, code: 'derivative-other' },
        { system: SYSTEMS.biospecMaterialType, code: 'cell-line' },
      ],
    };
    expect(mapMaterialType(type)).toEqual({ value: 'cell-line' });
  });

  test('an unknown code is an issue naming the code and its path', () => {
    expect(mapMaterialType({ coding: [{ system: 'http://example.org/local', code: 'x' }, { system: SYSTEMS.sampleMaterialType, code: 'plasma-goo' }] })).toEqual({
      issue: { field: 'Specimen.type.coding[1].code', message: `unknown material type 'plasma-goo' (${SYSTEMS.sampleMaterialType})` },
    });
    expect(mapMaterialType(undefined)).toEqual({ issue: { field: 'Specimen.type', message: 'a Specimen needs a type' } });
  });
});

describe('mapStorageTemperature', () => {
  test.each([
    ['temperature2to10', '2to10'],
    ['temperature-18to-35', '-18to-35'],
    ['temperature-60to-85', '-60to-85'],
    ['temperatureGN', 'LN'],
    ['temperatureLN', 'LN'],
    ['temperatureRoom', 'RT'],
    ['temperatureOther', 'other'],
  ])('%s → %s', (code, expected) => {
    expect(mapStorageTemperature(temperature(code))).toEqual({ value: expected });
  });

  test('absent is other; an unknown code is an issue', () => {
    expect(mapStorageTemperature([])).toEqual({ value: 'other' });
    expect(mapStorageTemperature(temperature('temperature-196'))).toEqual({
      issue: {
        field: 'Specimen.extension[0].valueCodeableConcept.coding[0].code',
        message: `unknown storage temperature 'temperature-196' (${SYSTEMS.storageTemperature})`,
      },
    });
  });
});

describe('mapStatus', () => {
  test('FHIR statuses, our extension, and entered-in-error skipped', () => {
    expect(mapStatus({ status: 'available' })).toEqual({ value: 'available' });
    expect(mapStatus({})).toEqual({ value: 'available' });
    expect(mapStatus({ status: 'unavailable' })).toEqual({ value: 'depleted' });
    expect(mapStatus({ status: 'unsatisfactory' })).toEqual({ value: 'depleted' });
    expect(mapStatus({ status: 'entered-in-error' })).toEqual({ value: 'skip' });
    expect(mapStatus({ status: 'available', extension: [{ url: EXTENSIONS.specimenStatus, valueCode: 'reserved' }] })).toEqual({ value: 'reserved' });
    expect(mapStatus({ status: 'lost' }).issue?.field).toBe('Specimen.status');
  });
});

describe('mapBodySite', () => {
  test('ICD-O-3 topography, with or without the dot', () => {
    expect(mapBodySite({ coding: [{ system: SYSTEMS.icdO3, code: 'C50.4' }] })).toEqual({ value: 'C50.4' });
    expect(mapBodySite({ coding: [{ system: SYSTEMS.icdO3, code: 'c504' }] })).toEqual({ value: 'C50.4' });
    expect(mapBodySite(undefined)).toEqual({ value: null });
  });

  test('a body site in another system is dropped with a warning; a malformed ICD-O-3 code is an issue', () => {
    const snomed = mapBodySite({ coding: [{ system: SYSTEMS.snomed, code: '49852007' }] });
    expect(snomed.value).toBeNull();
    expect(snomed.warning?.field).toBe('Specimen.collection.bodySite.coding[0].code');
    expect(mapBodySite({ coding: [{ system: SYSTEMS.icdO3, code: '8500/3' }] }).issue?.message).toMatch(/not an ICD-O-3 topography code/);
  });
});

describe('mapSpecimen', () => {
  const donor: DonorFacts = { donorId: 'p1', sex: 'female', birthDate: '1970-03-10', conditions: ['C50.9'], consent: ['DUO:0000042'] };
  const context = (overrides: Partial<SpecimenContext> = {}): SpecimenContext => ({
    donor: (key) => (key === 'Patient/p1' || key === 'urn:uuid:p1' ? donor : undefined),
    condition: (key) => (key === 'Condition/c9' ? ['D05.1'] : undefined),
    specimenConditions: () => [],
    collection: (key) => (key === 'Organization/col' ? 'bbmri-eric:ID:DE_X:collection:col' : undefined),
    patientByIdentifier: () => undefined,
    specimenId: (key) => (key === 'urn:uuid:parent' ? 'parent-1' : undefined),
    defaultCollection: 'default',
    ...overrides,
  });
  const base: FhirSpecimen = {
    resourceType: 'Specimen',
    id: 's1',
    type: bbmri('blood-serum'),
    subject: { reference: 'Patient/p1' },
    collection: { collectedDateTime: '2020-03-09T10:00:00+01:00' },
  };

  test('a minimal bbmri.de specimen takes the donor facts and the documented defaults', () => {
    expect(mapSpecimen(base, context())).toEqual({
      skipped: false,
      issues: [],
      warnings: [],
      linked: { own_diagnosis: [], age_stated: false },
      record: {
        sample_id: 's1',
        donor_id: 'p1',
        collection_id: 'default',
        material_type: 'serum',
        collected_on: '2020-03-09',
        diagnosis: ['C50.9'],
        anatomical_site: null,
        sex: 'female',
        age_at_collection: 49,
        storage_temperature: 'other',
        consent: ['DUO:0000042'],
        status: 'available',
        quantity: 1,
        parent_sample_id: null,
      },
    });
  });

  test('extensions, parent, container quantity and a period', () => {
    const specimen: FhirSpecimen = {
      ...base,
      status: 'unavailable',
      extension: [
        { url: EXTENSIONS.custodian, valueReference: { reference: 'Organization/col' } },
        ...temperature('temperatureGN'),
        { url: EXTENSIONS.sampleDiagnosis, valueCodeableConcept: { coding: [{ system: SYSTEMS.icd10GmBfarm, code: 'c18.2' }] } },
      ],
      parent: [{ reference: 'urn:uuid:parent' }],
      collection: { collectedPeriod: { start: '2020-05', end: '2020-06' }, quantity: { value: 10 } },
      container: [{ specimenQuantity: { value: 4 } }],
    };
    expect(mapSpecimen(specimen, context()).record).toMatchObject({
      collection_id: 'bbmri-eric:ID:DE_X:collection:col',
      storage_temperature: 'LN',
      diagnosis: ['C18.2', 'C50.9'],
      parent_sample_id: 'parent-1',
      collected_on: '2020-05',
      age_at_collection: 50,
      quantity: 4,
      status: 'depleted',
    });
  });

  test("diagnosis: the specimen's own first (sample extension, referenced Conditions, Conditions naming it), then every Condition of its donor", () => {
    const linked = context({ specimenConditions: (keys) => (keys.includes('Specimen/s1') ? ['C61'] : []) });
    const named = mapSpecimen(base, linked, ['Specimen/s1']);
    expect(named.record?.diagnosis).toEqual(['C61', 'C50.9']);
    expect(named.linked).toEqual({ own_diagnosis: ['C61'], age_stated: false });
    const byReference = { ...base, extension: [{ url: EXTENSIONS.miiDiagnosis, valueReference: { reference: 'Condition/c9' } }] };
    expect(mapSpecimen(byReference, linked, ['Specimen/s1']).record?.diagnosis).toEqual(['D05.1', 'C61', 'C50.9']);
    const none = {
      ...base,
      extension: [{ url: EXTENSIONS.sampleDiagnosis, valueCodeableConcept: { extension: [{ url: EXTENSIONS.dataAbsentReason, valueCode: 'not-applicable' }] } }],
    };
    // No diagnosis of its own: the donor's Conditions still apply, as in the Sample Locator.
    expect(mapSpecimen(none, context()).record?.diagnosis).toEqual(['C50.9']);
  });

  test('every problem is reported with its path, the record kept only for inspection', () => {
    const specimen: FhirSpecimen = {
      resourceType: 'Specimen',
      type: { coding: [{ system: SYSTEMS.snomed, code: '1234' }] },
      subject: { reference: 'Group/g1' },
      extension: [{ url: EXTENSIONS.sampleDiagnosis, valueCodeableConcept: { coding: [{ system: SYSTEMS.icd10, code: 'breast' }] } }],
      collection: { collectedDateTime: 'yesterday' },
      container: [{ specimenQuantity: { value: -1 } }],
      parent: [{ reference: 'Specimen/a' }, { reference: 'Specimen/b' }],
    };
    const mapping = mapSpecimen(specimen, context());
    expect(mapping.issues.map((i) => i.field)).toEqual([
      'Specimen.id',
      'Specimen.type.coding[0].code',
      'Specimen.collection.collectedDateTime',
      'Specimen.subject.reference',
      'Specimen.extension[0].valueCodeableConcept.coding[0].code',
      'Specimen.container[0].specimenQuantity.value',
      'Specimen.parent',
    ]);
  });

  test('an entered-in-error specimen is skipped without issues', () => {
    expect(mapSpecimen({ ...base, status: 'entered-in-error' }, context())).toEqual({ record: null, linked: null, skipped: true, issues: [], warnings: [] });
  });

  test('a Patient outside the file still gives the donor id, with nothing known about the donor', () => {
    const record = mapSpecimen({ ...base, subject: { reference: 'https://fhir.example.org/Patient/elsewhere/_history/3' } }, context()).record;
    expect(record).toMatchObject({ donor_id: 'elsewhere', sex: 'unknown', age_at_collection: null, consent: [], diagnosis: [] });
  });

  test('the age extension wins over the derived age', () => {
    const ext = (value: object) => ({ ...base, extension: [{ url: EXTENSIONS.ageAtCollection, ...value }] });
    expect(mapSpecimen(ext({ valueInteger: 12 }), context()).record?.age_at_collection).toBe(12);
    expect(mapSpecimen(ext({ valueCode: 'unknown' }), context()).record?.age_at_collection).toBeNull();
  });
});
