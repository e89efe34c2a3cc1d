import { z } from 'zod';

/**
 * The parts of FHIR R4 resources this package reads, validated at the file
 * boundary. Objects are loose: every element we do not read passes through
 * untouched, so a valid resource is never rejected for carrying more.
 */
export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
  extension?: Extension[];
}

export interface Reference {
  reference?: string;
  /** A logical reference: the target named by its identifier (e.g. a collection's BBMRI-ERIC id). */
  identifier?: Identifier;
  display?: string;
}

export interface Quantity {
  value?: number;
  unit?: string;
}

export interface Range {
  low?: Quantity & { code?: string };
  high?: Quantity & { code?: string };
}

export interface Extension {
  url: string;
  valueRange?: Range;
  valueCodeableConcept?: CodeableConcept;
  valueReference?: Reference;
  valueCode?: string;
  valueInteger?: number;
}

export interface Identifier {
  system?: string;
  value?: string;
}

const coding: z.ZodType<Coding> = z.looseObject({
  system: z.string().optional(),
  code: z.string().optional(),
  display: z.string().optional(),
});

const identifier: z.ZodType<Identifier> = z.looseObject({
  system: z.string().optional(),
  value: z.string().optional(),
});

const reference: z.ZodType<Reference> = z.looseObject({
  reference: z.string().optional(),
  identifier: identifier.optional(),
  display: z.string().optional(),
});

const quantity: z.ZodType<Quantity> = z.looseObject({
  value: z.number().optional(),
  unit: z.string().optional(),
});

const range: z.ZodType<Range> = z.looseObject({
  low: z.looseObject({ value: z.number().optional(), unit: z.string().optional(), code: z.string().optional() }).optional(),
  high: z.looseObject({ value: z.number().optional(), unit: z.string().optional(), code: z.string().optional() }).optional(),
});

const extension: z.ZodType<Extension> = z.looseObject({
  url: z.string(),
  valueRange: range.optional(),
  get valueCodeableConcept() {
    return codeableConcept.optional();
  },
  valueReference: reference.optional(),
  valueCode: z.string().optional(),
  valueInteger: z.number().int().optional(),
});

const codeableConcept: z.ZodType<CodeableConcept> = z.looseObject({
  coding: z.array(coding).optional(),
  text: z.string().optional(),
  get extension() {
    return z.array(extension).optional();
  },
});

/** A contained resource: only its type and id are read here; it is parsed by its own schema when used. */
const contained = z.array(z.looseObject({ resourceType: z.string(), id: z.string().optional() }));

export const specimenSchema = z.looseObject({
  resourceType: z.literal('Specimen'),
  id: z.string().optional(),
  identifier: z.array(identifier).optional(),
  extension: z.array(extension).optional(),
  status: z.string().optional(),
  type: codeableConcept.optional(),
  subject: reference.optional(),
  parent: z.array(reference).optional(),
  collection: z
    .looseObject({
      collectedDateTime: z.string().optional(),
      collectedPeriod: z.looseObject({ start: z.string().optional(), end: z.string().optional() }).optional(),
      quantity: quantity.optional(),
      bodySite: codeableConcept.optional(),
    })
    .optional(),
  container: z.array(z.looseObject({ specimenQuantity: quantity.optional() })).optional(),
  processing: z.array(z.looseObject({ extension: z.array(extension).optional() })).optional(),
  contained: contained.optional(),
});
export type FhirSpecimen = z.infer<typeof specimenSchema>;

export const patientSchema = z.looseObject({
  resourceType: z.literal('Patient'),
  id: z.string().optional(),
  identifier: z.array(identifier).optional(),
  gender: z.string().optional(),
  birthDate: z.string().optional(),
});
export type FhirPatient = z.infer<typeof patientSchema>;

export const conditionSchema = z.looseObject({
  resourceType: z.literal('Condition'),
  id: z.string().optional(),
  clinicalStatus: codeableConcept.optional(),
  verificationStatus: codeableConcept.optional(),
  code: codeableConcept.optional(),
  subject: reference.optional(),
  evidence: z.array(z.looseObject({ detail: z.array(reference).optional() })).optional(),
});
export type FhirCondition = z.infer<typeof conditionSchema>;

export interface ConsentProvision {
  type?: string;
  period?: { start?: string; end?: string };
  code?: CodeableConcept[];
  purpose?: Coding[];
  provision?: ConsentProvision[];
}

const provision: z.ZodType<ConsentProvision> = z.looseObject({
  type: z.string().optional(),
  period: z.looseObject({ start: z.string().optional(), end: z.string().optional() }).optional(),
  code: z.array(codeableConcept).optional(),
  purpose: z.array(coding).optional(),
  get provision() {
    return z.array(provision).optional();
  },
});

export const consentSchema = z.looseObject({
  resourceType: z.literal('Consent'),
  id: z.string().optional(),
  status: z.string().optional(),
  patient: reference.optional(),
  provision: provision.optional(),
});
export type FhirConsent = z.infer<typeof consentSchema>;

export const organizationSchema = z.looseObject({
  resourceType: z.literal('Organization'),
  id: z.string().optional(),
  identifier: z.array(identifier).optional(),
});
export type FhirOrganization = z.infer<typeof organizationSchema>;

/** A problem located by a FHIRPath-like path such as `Specimen.type.coding[0].code`. */
export interface LocatedIssue {
  field?: string;
  message: string;
}

/** `['type', 'coding', 0, 'code']` under `Specimen` → `Specimen.type.coding[0].code`. */
export function fhirPath(resourceType: string, path: readonly PropertyKey[]): string {
  let text = resourceType;
  for (const step of path) text += typeof step === 'number' ? `[${step}]` : `.${String(step)}`;
  return text;
}

/** Validates `value` against `schema`, turning zod's issues into located issues. */
export function parseResource<T>(
  schema: z.ZodType<T>,
  resourceType: string,
  value: unknown,
): { ok: true; resource: T } | { ok: false; issues: LocatedIssue[] } {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, resource: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => ({ field: fhirPath(resourceType, issue.path), message: issue.message })),
  };
}
