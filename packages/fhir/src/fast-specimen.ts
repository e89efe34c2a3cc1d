/**
 * A fast check that a parsed Specimen has the shape `specimenSchema` (zod)
 * accepts, for the hot path of an import: validating every Specimen with zod
 * cost about as much as parsing its JSON. It checks every element the schema
 * declares, with the same types, and answers only "certainly valid" (the value
 * can be used as the schema's output: loose objects pass through unchanged) or
 * "not sure": then the caller runs zod, which reports the issues with their paths.
 */
import type { FhirSpecimen } from './fhir-model.js';

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
