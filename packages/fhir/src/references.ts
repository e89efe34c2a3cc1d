/**
 * Reference keys: `Patient/123` whatever the form of the reference
 * (`Patient/123`, `https://host/fhir/Patient/123/_history/2`), or the
 * `urn:uuid:` / `urn:oid:` full URL a bundle entry uses for it.
 */
import { memoized } from './memo.js';

const RELATIVE = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

const keyOf = memoized((reference) => {
  if (reference.startsWith('urn:')) return reference;
  const match = RELATIVE.exec(reference);
  return match ? `${match[1]}/${match[2]}` : null;
});

/** The key a reference is looked up by, or null when it is a contained (`#id`) or unusable reference. */
export function referenceKey(reference: string): string | null {
  // Most references are keys already (`Patient/x`), and an export names more donors than the memo holds.
  return isRelative(reference) ? reference : keyOf(reference);
}

const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
const isLetter = (c: number): boolean => isUpper(c) || (c >= 0x61 && c <= 0x7a);
const isIdChar = (c: number): boolean => isLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;

/** Whether `reference` is `Type/id` and nothing else, as {@link RELATIVE} reads a relative reference. */
function isRelative(reference: string): boolean {
  const length = reference.length;
  if (length < 4 || !isUpper(reference.charCodeAt(0))) return false;
  let i = 1;
  while (i < length && isLetter(reference.charCodeAt(i))) i++;
  if (i < 2 || i >= length || reference.charCodeAt(i) !== 0x2f) return false;
  const idStart = ++i;
  while (i < length && isIdChar(reference.charCodeAt(i))) i++;
  return i === length && length - idStart >= 1 && length - idStart <= 64;
}

/** The resource type and id of a relative or absolute reference (not of a `urn:` one). */
export const referenceTarget: (reference: string) => Readonly<{ type: string; id: string }> | null = memoized((reference) => {
  const match = RELATIVE.exec(reference);
  return match && match[1] !== undefined && match[2] !== undefined ? Object.freeze({ type: match[1], id: match[2] }) : null;
});

/** The keys a resource is reachable by: `Type/id` and, in a bundle, the entry's full URL. */
export function resourceKeys(resourceType: string, id: string | undefined, fullUrl: string | undefined): string[] {
  const keys: string[] = [];
  if (id !== undefined) keys.push(`${resourceType}/${id}`);
  if (fullUrl !== undefined) {
    const key = referenceKey(fullUrl);
    if (key !== null && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

/** The key a logical reference by identifier is looked up by: `identifier:system|value`; undefined without a value. */
export function identifierKey(identifier: { system?: string; value?: string }): string | undefined {
  if (identifier.value === undefined || identifier.value === '') return undefined;
  return `identifier:${identifier.system ?? ''}|${identifier.value}`;
}

/** The uuid of a `urn:uuid:` full URL: the id of a resource a transaction names only by its full URL. */
export function uuidOf(fullUrl: string | undefined): string | undefined {
  const match = fullUrl === undefined ? null : /^urn:uuid:([A-Za-z0-9\-.]{1,64})$/.exec(fullUrl);
  return match?.[1];
}
