import { referenceKey } from './references.js';

/** The key as the regular expression alone words it (what referenceKey's fast path for `Type/id` must agree with). */
const RELATIVE = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const byExpression = (reference: string): string | null => {
  if (reference.startsWith('urn:')) return reference;
  const match = RELATIVE.exec(reference);
  return match ? `${match[1]}/${match[2]}` : null;
};

test.each([
  'Patient/p1',
  'Patient/a.b-C9',
  'Ab/x',
  'A/x',
  'patient/x',
  'Patient/',
  'Patient/x/_history/2',
  'https://host/fhir/Patient/123',
  'Patient/x y',
  'Patient/ä',
  `Patient/${'x'.repeat(64)}`,
  `Patient/${'x'.repeat(65)}`,
  'Pa1/x',
  '#contained',
  'urn:uuid:0f9a',
  'Organization/o1',
  '/Patient/x',
])('referenceKey(%j) is the key the reference expression gives', (reference) => {
  expect(referenceKey(reference)).toBe(byExpression(reference));
});
