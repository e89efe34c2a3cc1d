import fc from 'fast-check';
import { fastCondition, fastConsent, fastOrganization, fastPatient, fastSpecimen } from './fast-shapes.js';
import { conditionSchema, consentSchema, organizationSchema, patientSchema, specimenSchema } from './fhir-model.js';
import { EXTENSIONS, SYSTEMS } from './systems.js';

// The fast check may only ever say "valid" where zod says valid, and hand back the same value.
const scalar = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
// Mostly absent or well-formed, now and then the wrong kind of value, so both answers are exercised.
const maybe = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 8 }, { arbitrary: arb, weight: 40 }, { arbitrary: scalar, weight: 1 }, { arbitrary: fc.constantFrom([], {}), weight: 1 });
const coding = fc.record({ system: maybe(fc.constantFrom(SYSTEMS.snomed, SYSTEMS.icd10)), code: maybe(fc.string({ maxLength: 6 })) }, { requiredKeys: [] });
const concept = fc.record({ coding: maybe(fc.array(maybe(coding), { maxLength: 2 })), text: maybe(fc.string()) }, { requiredKeys: [] });
const reference = fc.record({ reference: maybe(fc.string({ maxLength: 8 })), identifier: maybe(fc.record({ system: maybe(fc.string()), value: maybe(fc.string()) }, { requiredKeys: [] })) }, { requiredKeys: [] });
const quantity = fc.record({ value: maybe(fc.double({ noNaN: true, noDefaultInfinity: true })), unit: maybe(fc.string()) }, { requiredKeys: [] });
const extension = fc.record(
  {
    url: maybe(fc.constantFrom(EXTENSIONS.sampleDiagnosis, EXTENSIONS.custodian, EXTENSIONS.ageAtCollection)),
    valueCodeableConcept: maybe(concept),
    valueReference: maybe(reference),
    valueCode: maybe(fc.string()),
    valueInteger: maybe(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))),
    valueRange: maybe(fc.record({ low: maybe(quantity), high: maybe(quantity) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);
const specimen = fc.record(
  {
    resourceType: fc.constantFrom('Specimen', 'Patient'),
    id: maybe(fc.string({ maxLength: 5 })),
    status: maybe(fc.string()),
    type: maybe(concept),
    subject: maybe(reference),
    parent: maybe(fc.array(maybe(reference), { maxLength: 2 })),
    extension: maybe(fc.array(maybe(extension), { maxLength: 3 })),
    collection: maybe(fc.record({ collectedDateTime: maybe(fc.string()), quantity: maybe(quantity), bodySite: maybe(concept), collectedPeriod: maybe(fc.record({ start: maybe(fc.string()) }, { requiredKeys: [] })) }, { requiredKeys: [] })),
    container: maybe(fc.array(maybe(fc.record({ specimenQuantity: maybe(quantity) }, { requiredKeys: [] })), { maxLength: 2 })),
    processing: maybe(fc.array(maybe(fc.record({ extension: maybe(fc.array(maybe(extension), { maxLength: 2 })) }, { requiredKeys: [] })), { maxLength: 2 })),
    contained: maybe(fc.array(maybe(fc.record({ resourceType: maybe(fc.constant('Organization')), id: maybe(fc.string()) }, { requiredKeys: [] })), { maxLength: 2 })),
    identifier: maybe(fc.array(maybe(fc.record({ system: maybe(fc.string()), value: maybe(fc.string()) }, { requiredKeys: [] })), { maxLength: 2 })),
    note: maybe(fc.string()),
  },
  { requiredKeys: ['resourceType'] },
);

/** JSON has no `undefined`: what a parsed file can hold. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

test('whatever the fast check accepts, zod accepts and returns unchanged', () => {
  let accepted = 0;
  fc.assert(
    fc.property(specimen, (generated) => {
      const value = asJson(generated);
      const fast = fastSpecimen(value);
      if (fast === null) return;
      accepted += 1;
      const parsed = specimenSchema.safeParse(value);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toEqual(value);
      expect(fast).toBe(value);
    }),
    { numRuns: 3000, seed: 17 },
  );
  // The property means something only if both answers are given often.
  expect(accepted).toBeGreaterThan(100);
  expect(accepted).toBeLessThan(2900);
});

const identifiers = maybe(fc.array(maybe(fc.record({ system: maybe(fc.string()), value: maybe(fc.string()) }, { requiredKeys: [] })), { maxLength: 2 }));
const patient = fc.record(
  { resourceType: fc.constantFrom('Patient', 'Specimen'), id: maybe(fc.string({ maxLength: 5 })), identifier: identifiers, gender: maybe(fc.string()), birthDate: maybe(fc.string()), name: maybe(fc.string()) },
  { requiredKeys: ['resourceType'] },
);
const condition = fc.record(
  {
    resourceType: fc.constantFrom('Condition', 'Patient'),
    id: maybe(fc.string({ maxLength: 5 })),
    clinicalStatus: maybe(concept),
    verificationStatus: maybe(concept),
    code: maybe(concept),
    subject: maybe(reference),
    evidence: maybe(fc.array(maybe(fc.record({ detail: maybe(fc.array(maybe(reference), { maxLength: 2 })) }, { requiredKeys: [] })), { maxLength: 2 })),
    onsetDateTime: maybe(fc.string()),
  },
  { requiredKeys: ['resourceType'] },
);
const { provision } = fc.letrec((tie) => ({
  provision: fc.record(
    {
      type: maybe(fc.constantFrom('permit', 'deny')),
      period: maybe(fc.record({ start: maybe(fc.string()), end: maybe(fc.string()) }, { requiredKeys: [] })),
      code: maybe(fc.array(maybe(concept), { maxLength: 2 })),
      purpose: maybe(fc.array(maybe(coding), { maxLength: 2 })),
      provision: fc.oneof({ depthSize: 'small' }, fc.constant(undefined), maybe(fc.array(maybe(tie('provision')), { maxLength: 2 }))),
    },
    { requiredKeys: [] },
  ),
}));
const consent = fc.record(
  { resourceType: fc.constantFrom('Consent', 'Condition'), id: maybe(fc.string({ maxLength: 5 })), status: maybe(fc.string()), patient: maybe(reference), provision: maybe(provision), scope: maybe(concept) },
  { requiredKeys: ['resourceType'] },
);
const organization = fc.record({ resourceType: fc.constantFrom('Organization', 'Patient'), id: maybe(fc.string({ maxLength: 5 })), identifier: identifiers, name: maybe(fc.string()) }, { requiredKeys: ['resourceType'] });

test.each([
  ['Patient', patient, fastPatient, patientSchema],
  ['Condition', condition, fastCondition, conditionSchema],
  ['Consent', consent, fastConsent, consentSchema],
  ['Organization', organization, fastOrganization, organizationSchema],
] as const)('whatever the fast check of a %s accepts, zod accepts and returns unchanged', (_type, arbitrary, fast, schema) => {
  let accepted = 0;
  fc.assert(
    fc.property(arbitrary as fc.Arbitrary<unknown>, (generated) => {
      const value = asJson(generated);
      const answer = (fast as (v: unknown) => unknown)(value);
      if (answer === null) return;
      accepted += 1;
      const parsed = (schema as { safeParse: (v: unknown) => { success: boolean; data?: unknown } }).safeParse(value);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toEqual(value);
      expect(answer).toBe(value);
    }),
    { numRuns: 2000, seed: 23 },
  );
  expect(accepted).toBeGreaterThan(100);
  expect(accepted).toBeLessThan(1900);
});
