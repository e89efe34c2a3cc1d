/**
 * Fast checks that a parsed resource has the shape its zod schema in
 * fhir-model.ts accepts, for the hot path of an import: validating every
 * resource with zod cost about as much as parsing its JSON. Each checks every
 * element the schema declares, with the same types, and answers only
 * "certainly valid" (the value can be used as the schema's output: loose
 * objects pass through unchanged) or "not sure": then the caller runs zod,
 * which reports the issues with their paths.
 */
import type { ConsentProvision, FhirCondition, FhirConsent, FhirOrganization, FhirPatient, FhirSpecimen } from './fhir-model.js';

type Check = (value: unknown) => boolean;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): boolean => typeof value === 'string';
const isNumber = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);
const optional = (value: unknown, check: Check): boolean => value === undefined || check(value);
const arrayOf =
  (check: Check): Check =>
  (value) => {
    if (!Array.isArray(value)) return false;
    for (const item of value) if (!check(item)) return false;
    return true;
  };

const isCoding: Check = (v) => isObject(v) && optional(v.system, isString) && optional(v.code, isString) && optional(v.display, isString);
const isIdentifier: Check = (v) => isObject(v) && optional(v.system, isString) && optional(v.value, isString);
const isReference: Check = (v) => isObject(v) && optional(v.reference, isString) && optional(v.identifier, isIdentifier) && optional(v.display, isString);
const isQuantity: Check = (v) => isObject(v) && optional(v.value, isNumber) && optional(v.unit, isString);
const isRangeEnd: Check = (v) => isObject(v) && optional(v.value, isNumber) && optional(v.unit, isString) && optional(v.code, isString);
const isRange: Check = (v) => isObject(v) && optional(v.low, isRangeEnd) && optional(v.high, isRangeEnd);
const isCodeableConcept: Check = (v) =>
  isObject(v) && optional(v.coding, arrayOf(isCoding)) && optional(v.text, isString) && optional(v.extension, arrayOf(isExtension));
function isExtension(v: unknown): boolean {
  return (
    isObject(v) &&
    isString(v.url) &&
    optional(v.valueRange, isRange) &&
    optional(v.valueCodeableConcept, isCodeableConcept) &&
    optional(v.valueReference, isReference) &&
    optional(v.valueCode, isString) &&
    optional(v.valueInteger, (x) => Number.isSafeInteger(x))
  );
}
const isExtensions = arrayOf(isExtension);
const isPeriod: Check = (v) => isObject(v) && optional(v.start, isString) && optional(v.end, isString);
const isCollection: Check = (v) =>
  isObject(v) &&
  optional(v.collectedDateTime, isString) &&
  optional(v.collectedPeriod, isPeriod) &&
  optional(v.quantity, isQuantity) &&
  optional(v.bodySite, isCodeableConcept);
const isContainer: Check = (v) => isObject(v) && optional(v.specimenQuantity, isQuantity);
const isProcessing: Check = (v) => isObject(v) && optional(v.extension, isExtensions);
const isContained: Check = (v) => isObject(v) && isString(v.resourceType) && optional(v.id, isString);

/** The Specimen when it certainly has the schema's shape; null when zod must tell. */
export function fastSpecimen(value: unknown): FhirSpecimen | null {
  if (!isObject(value) || value.resourceType !== 'Specimen') return null;
  const ok =
    optional(value.id, isString) &&
    optional(value.identifier, arrayOf(isIdentifier)) &&
    optional(value.extension, isExtensions) &&
    optional(value.status, isString) &&
    optional(value.type, isCodeableConcept) &&
    optional(value.subject, isReference) &&
    optional(value.parent, arrayOf(isReference)) &&
    optional(value.collection, isCollection) &&
    optional(value.container, arrayOf(isContainer)) &&
    optional(value.processing, arrayOf(isProcessing)) &&
    optional(value.contained, arrayOf(isContained));
  return ok ? (value as FhirSpecimen) : null;
}

const isIdentifiers = arrayOf(isIdentifier);

/** The Patient when it certainly has `patientSchema`'s shape; null when zod must tell. */
export function fastPatient(value: unknown): FhirPatient | null {
  if (!isObject(value) || value.resourceType !== 'Patient') return null;
  const ok = optional(value.id, isString) && optional(value.identifier, isIdentifiers) && optional(value.gender, isString) && optional(value.birthDate, isString);
  return ok ? (value as FhirPatient) : null;
}

const isEvidence: Check = (v) => isObject(v) && optional(v.detail, arrayOf(isReference));

/** The Condition when it certainly has `conditionSchema`'s shape; null when zod must tell. */
export function fastCondition(value: unknown): FhirCondition | null {
  if (!isObject(value) || value.resourceType !== 'Condition') return null;
  const ok =
    optional(value.id, isString) &&
    optional(value.clinicalStatus, isCodeableConcept) &&
    optional(value.verificationStatus, isCodeableConcept) &&
    optional(value.code, isCodeableConcept) &&
    optional(value.subject, isReference) &&
    optional(value.evidence, arrayOf(isEvidence));
  return ok ? (value as FhirCondition) : null;
}

/** Provisions nest; deeper than this is left to zod. */
const MAX_PROVISION_DEPTH = 16;

function isProvision(v: unknown, depth: number): boolean {
  return (
    depth < MAX_PROVISION_DEPTH &&
    isObject(v) &&
    optional(v.type, isString) &&
    optional(v.period, isPeriod) &&
    optional(v.code, arrayOf(isCodeableConcept)) &&
    optional(v.purpose, arrayOf(isCoding)) &&
    optional(v.provision, arrayOf((p) => isProvision(p, depth + 1)))
  );
}

/** The Consent when it certainly has `consentSchema`'s shape; null when zod must tell. */
export function fastConsent(value: unknown): FhirConsent | null {
  if (!isObject(value) || value.resourceType !== 'Consent') return null;
  const ok = optional(value.id, isString) && optional(value.status, isString) && optional(value.patient, isReference) && optional(value.provision, (p) => isProvision(p, 0));
  return ok ? (value as FhirConsent & { provision?: ConsentProvision }) : null;
}

/** The Organization when it certainly has `organizationSchema`'s shape; null when zod must tell. */
export function fastOrganization(value: unknown): FhirOrganization | null {
  if (!isObject(value) || value.resourceType !== 'Organization') return null;
  return optional(value.id, isString) && optional(value.identifier, isIdentifiers) ? (value as FhirOrganization) : null;
}
