import type { SpecimenRecord } from '@biospec/query';

/** A valid specimen with sensible defaults; tests override what they are about. */
export function specimen(overrides: Partial<SpecimenRecord> & Pick<SpecimenRecord, 'sample_id' | 'donor_id'>): SpecimenRecord {
  return {
    collection_id: 'TEST-COLLECTION',
    material_type: 'serum',
    collected_on: '2020-03-14',
    diagnosis: [],
    anatomical_site: null,
    sex: 'female',
    age_at_collection: 50,
    storage_temperature: '-60to-85',
    consent: ['DUO:0000042'],
    status: 'available',
    quantity: 1,
    parent_sample_id: null,
    ...overrides,
  };
}
