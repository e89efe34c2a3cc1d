import fs from 'node:fs';
import path from 'node:path';
import { duoTerm, MATERIAL_TYPES } from '@biospec/query';
import { HL7_V2_0487_TABLE, SNOMED_TABLE, loadConsentTable } from './mapping-tables.js';
import { SYSTEMS } from './systems.js';
import { testFolder } from './test-folders.js';

// Verhoeff check digit tables (the SNOMED CT identifier check digit).
const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

function verhoeffValid(digits: string): boolean {
  let c = 0;
  [...digits].reverse().forEach((digit, i) => {
    c = D[c]![P[i % 8]![Number(digit)]!]!;
  });
  return c === 0;
}

/** A SNOMED CT concept id: 6 to 18 digits, no leading zero, a concept partition (00 or 10) and a valid Verhoeff check digit. */
function isSnomedConceptId(code: string): boolean {
  if (!/^[1-9]\d{5,17}$/.test(code)) return false;
  const partition = code.slice(-3, -1);
  return (partition === '00' || partition === '10') && verhoeffValid(code);
}

test('the Verhoeff check itself: known SNOMED CT ids pass, a changed digit fails', () => {
  expect(isSnomedConceptId('123038009')).toBe(true); // Specimen (specimen)
  expect(isSnomedConceptId('122555007')).toBe(true);
  expect(isSnomedConceptId('122555008')).toBe(false);
  expect(isSnomedConceptId('122555017')).toBe(false);
});

test('every SNOMED CT code of the specimen type table is a valid concept id, mapped to one of our material types', () => {
  expect(SNOMED_TABLE.system).toBe(SYSTEMS.snomed);
  const codes = Object.keys(SNOMED_TABLE.codes);
  expect(codes.length).toBeGreaterThan(20);
  expect(codes.filter((code) => !isSnomedConceptId(code))).toEqual([]);
  for (const { material_type } of Object.values(SNOMED_TABLE.codes)) expect(MATERIAL_TYPES).toContain(material_type);
});

test('every HL7 v2-0487 code is in the table format (upper-case letters and digits)', () => {
  expect(HL7_V2_0487_TABLE.system).toBe(SYSTEMS.v2SpecimenType);
  expect(Object.keys(HL7_V2_0487_TABLE.codes).filter((code) => !/^[A-Z][A-Z0-9]{1,6}$/.test(code))).toEqual([]);
});

test('every Broad Consent code is an MII consent policy OID, and every DUO code it grants is known', () => {
  const table = loadConsentTable();
  expect(table.system).toBe(SYSTEMS.miiConsentPolicy);
  const prefix = `${SYSTEMS.miiConsentPolicy.replace('urn:oid:', '')}.`;
  expect(Object.keys(table.codes).filter((code) => !code.startsWith(prefix) || !/^\d+$/.test(code.slice(prefix.length)))).toEqual([]);
  const granted = Object.values(table.codes).flatMap((row) => row.duo);
  expect(granted.length).toBeGreaterThan(0);
  expect(granted.filter((code) => duoTerm(code) === undefined)).toEqual([]);
});

test('each table names its source and version', () => {
  for (const table of [SNOMED_TABLE, HL7_V2_0487_TABLE, loadConsentTable()]) {
    expect(table.sources.length).toBeGreaterThan(0);
    expect(table.version).toMatch(/\S/);
  }
});

test('a replacement consent table is validated: an unknown DUO code is one clear INVALID_CONFIG error', () => {
  const file = path.join(testFolder('consent-map-'), 'map.json');
  fs.writeFileSync(file, JSON.stringify({ about: 'x', system: SYSTEMS.miiConsentPolicy, sources: ['x'], version: '1', codes: { '2.16.840.1.113883.3.1937.777.24.5.3.22': { duo: ['DUO:9999999'], display: 'x' } } }));
  expect(() => loadConsentTable(file)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', issues: [expect.objectContaining({ message: 'not a known DUO code' })] }));
});
