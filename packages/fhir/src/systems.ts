/**
 * Code systems, extension URLs and identifier systems the importer reads and
 * the writer emits. bbmri.de / German Biobank Alliance (GBA) names come from
 * the bbmri.de FHIR profiles; `urn:biospec:` names are this project's own, used
 * only where bbmri.de has no element for a field we must carry exactly.
 */
export const SYSTEMS = {
  sampleMaterialType: 'https://fhir.bbmri.de/CodeSystem/SampleMaterialType',
  storageTemperature: 'https://fhir.bbmri.de/CodeSystem/StorageTemperature',
  snomed: 'http://snomed.info/sct',
  icd10: 'http://hl7.org/fhir/sid/icd-10',
  icd10GmBfarm: 'http://fhir.de/CodeSystem/bfarm/icd-10-gm',
  icd10GmDimdi: 'http://fhir.de/CodeSystem/dimdi/icd-10-gm',
  icdO3: 'urn:oid:2.16.840.1.113883.6.43.1',
  duo: 'http://purl.obolibrary.org/obo/duo.owl',
  bbmriEric: 'http://www.bbmri-eric.eu/',
  dataAbsentReason: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  /** HL7 v2 table 0487, specimen type (and its older FHIR URL). */
  v2SpecimenType: 'http://terminology.hl7.org/CodeSystem/v2-0487',
  v2SpecimenTypeOld: 'http://hl7.org/fhir/v2/0487',
  /** MII Broad Consent policy codes (MII Modul Consent). */
  miiConsentPolicy: 'urn:oid:2.16.840.1.113883.3.1937.777.24.5.3',
  /** Our own material types, written beside the bbmri.de coding only where bbmri.de has no equivalent (cell lines). */
  biospecMaterialType: 'urn:biospec:fhir:CodeSystem:material-type',
} as const;

/** Every system whose codes are ICD-10 (WHO or the German modification). */
export const ICD10_SYSTEMS: ReadonlySet<string> = new Set([SYSTEMS.icd10, SYSTEMS.icd10GmBfarm, SYSTEMS.icd10GmDimdi]);

export const EXTENSIONS = {
  storageTemperature: 'https://fhir.bbmri.de/StructureDefinition/StorageTemperature',
  sampleDiagnosis: 'https://fhir.bbmri.de/StructureDefinition/SampleDiagnosis',
  custodian: 'https://fhir.bbmri.de/StructureDefinition/Custodian',
  dataAbsentReason: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason',
  /** MII Modul Biobank: the collection (Organization) that manages the specimen. */
  miiCustodian: 'https://www.medizininformatik-initiative.de/fhir/ext/modul-biobank/StructureDefinition/VerwaltendeOrganisation',
  /** MII Modul Biobank: a Condition the specimen's material shows. */
  miiDiagnosis: 'https://www.medizininformatik-initiative.de/fhir/ext/modul-biobank/StructureDefinition/Diagnose',
  /** MII Modul Biobank, on Specimen.processing: the storage temperature range (valueRange in Cel). */
  miiTemperature: 'https://www.medizininformatik-initiative.de/fhir/ext/modul-biobank/StructureDefinition/Temperaturbedingungen',
  /** valueCode `reserved` or `withdrawn`: statuses FHIR's Specimen.status cannot say. */
  specimenStatus: 'urn:biospec:fhir:StructureDefinition:specimen-status',
  /** valueInteger (or valueCode `unknown`): the age at collection when it is not derivable from Patient.birthDate. */
  ageAtCollection: 'urn:biospec:fhir:StructureDefinition:age-at-collection',
} as const;

export const PROFILES = {
  specimen: 'https://fhir.bbmri.de/StructureDefinition/Specimen',
  patient: 'https://fhir.bbmri.de/StructureDefinition/Patient',
  condition: 'https://fhir.bbmri.de/StructureDefinition/Condition',
  collection: 'https://fhir.bbmri.de/StructureDefinition/Collection',
  miiSpecimen: 'https://www.medizininformatik-initiative.de/fhir/ext/modul-biobank/StructureDefinition/Specimen',
} as const;

/** A FHIR `id`: letters, digits, `-` and `.`, at most 64 characters. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
