export { createFhirReader, readFhir, type FhirReader, type FhirReaderOptions } from './read-fhir.js';
export type { FhirImportStats } from './import-stats.js';
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
  BBMRI_STORAGE_TEMPERATURES,
  FHIR_STATUSES,
  type DonorFacts,
  type SpecimenContext,
  type SpecimenMapping,
} from './map-specimen.js';
export { mapPatient, mapCondition, mapConsent, type PatientFacts, type ConditionFacts, type ConsentFacts } from './map-donor.js';
export { ageInYears, toPartialDate } from './partial-dates.js';
export { EXTENSIONS, SYSTEMS, PROFILES } from './systems.js';
