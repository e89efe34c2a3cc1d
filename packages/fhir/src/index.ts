export { createFhirReaderInThread, type FhirReader, type FhirReaderOptions } from './read-fhir.js';
export { createFhirReader, readFhir } from './fhir-parallel.js';
export type { FhirImportStats, FhirWarning } from './import-stats.js';
export {
  loadConsentTable,
  loadMaterialTable,
  MAPPINGS_DIR,
  SNOMED_TABLE,
  HL7_V2_0487_TABLE,
  type ConsentTable,
  type MaterialTable,
} from './mapping-tables.js';
export {
  toFhirBundle,
  writeFhirBundle,
  writeFhirNdjson,
  type FhirBundle,
  type FhirBundleType,
  type FhirResource,
  type RecordSource,
} from './write-fhir.js';
export {
  mapSpecimen,
  mapMaterialType,
  mapStorageTemperature,
  mapStatus,
  mapBodySite,
  BBMRI_MATERIAL_TYPES,
  SNOMED_MATERIAL_TYPES,
  V2_0487_MATERIAL_TYPES,
  BBMRI_STORAGE_TEMPERATURES,
  FHIR_STATUSES,
  type DonorFacts,
  type SpecimenContext,
  type SpecimenMapping,
} from './map-specimen.js';
export { mapPatient, mapCondition, mapConsent, type PatientFacts, type ConditionFacts, type ConsentFacts, type ConsentOptions, type UnmappedConsent } from './map-donor.js';
export { ageInYears, toPartialDate } from './partial-dates.js';
export { EXTENSIONS, SYSTEMS, PROFILES } from './systems.js';
