import fs from 'node:fs';
import path from 'node:path';
import { BiospecError } from '@biospec/protocol';
import type { SourceRow, SpecimenRecord } from '@biospec/query';
import { SAMPLE_RECORDS, generatedRecords } from './fixtures/sample-records.js';
import { createFhirReader, readFhir } from './fhir-parallel.js';
import { toFhirBundle, writeFhirBundle, writeFhirNdjson } from './write-fhir.js';
import { testFolder } from './test-folders.js';

const tempFile = (name: string): string => path.join(testFolder('fhir-rt-'), name);

/** The specimen rows, without the donor updates that come first. */
async function collect(rows: AsyncIterable<SourceRow>): Promise<SourceRow[]> {
  const all: SourceRow[] = [];
  for await (const row of rows) if (row.donor === undefined) all.push(row);
  return all;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe('records → bbmri.de bundle → records', () => {
  test('a streamed collection Bundle gives back equal records, in order', async () => {
    const file = tempFile('bundle.json');
    const written = await writeFhirBundle(SAMPLE_RECORDS, file);
    const reader = createFhirReader(file);
    const rows = await collect(reader.rows());
    expect(rows.filter((row) => row.issues)).toEqual([]);
    expect(rows.map((row) => row.record)).toEqual(SAMPLE_RECORDS);
    expect(rows.map((row) => row.ref)).toEqual(SAMPLE_RECORDS.map((r) => `Specimen/${r.sample_id}`));
    const stats = reader.stats();
    // 2 collections, 3 donors, 1 diagnosis shared by all of a donor's specimens, 2 donors with consent, 6 specimens.
    expect(stats.resources).toEqual({ Organization: 2, Patient: 3, Condition: 1, Consent: 2, Specimen: 6 });
    expect(written).toBe(14);
    expect(stats.specimens).toEqual({ mapped: 6, withIssues: 0, enteredInError: 0 });
  });

  test('the Patient birth date reproduces every age without extensions when one date can', () => {
    const bundle = toFhirBundle(SAMPLE_RECORDS);
    const resources = bundle.entry.map((e) => e.resource);
    const d1 = resources.find((r) => r.resourceType === 'Patient' && r.id === 'D-1');
    expect(d1?.birthDate).toBe('1967-01-01');
    const ageExtensions = resources.filter((r) => JSON.stringify(r).includes('age-at-collection')).map((r) => r.id);
    // S-005 has an age-less record but no collection date, S-006 a donor without birth date: neither needs one.
    expect(ageExtensions).toEqual([]);
  });

  test('counts per material type match the source records, NDJSON and transaction alike', async () => {
    const records = generatedRecords(600);
    const ndjson = tempFile('bundle.ndjson');
    await writeFhirNdjson(() => records, ndjson);
    const fromNdjson = (await collect(readFhir(ndjson))).map((row) => row.record as SpecimenRecord);
    expect(countBy(fromNdjson, (r) => r.material_type)).toEqual(countBy(records, (r) => r.material_type));
    expect(countBy(fromNdjson, (r) => r.storage_temperature)).toEqual(countBy(records, (r) => r.storage_temperature));
    expect(fromNdjson).toEqual(records);

    const transaction = tempFile('transaction.json');
    fs.writeFileSync(transaction, JSON.stringify(toFhirBundle(records, { type: 'transaction' })));
    const fromTransaction = (await collect(readFhir(transaction))).map((row) => row.record);
    expect(fromTransaction).toEqual(records);
  });

  test('ages no single birth date explains still come back exactly', async () => {
    const base = SAMPLE_RECORDS[0] as SpecimenRecord;
    const records: SpecimenRecord[] = [
      { ...base, sample_id: 'A', collected_on: '2019-05-14', age_at_collection: 52 },
      { ...base, sample_id: 'B', collected_on: '2019-05-15', age_at_collection: 30 },
      { ...base, sample_id: 'C', collected_on: '2019-05-16', age_at_collection: null },
      { ...base, sample_id: 'D', collected_on: null, age_at_collection: 7 },
    ];
    const file = tempFile('ages.json');
    await writeFhirBundle(records, file);
    expect((await collect(readFhir(file))).map((row) => row.record)).toEqual(records);
  });

  test('the writer refuses what FHIR cannot carry', async () => {
    const base = SAMPLE_RECORDS[0] as SpecimenRecord;
    expect(() => toFhirBundle([{ ...base, sample_id: 'has space' }])).toThrow(BiospecError);
    expect(() => toFhirBundle([base, { ...base, sample_id: 'S-009', sex: 'male' }])).toThrow(/disagrees with the donor's other samples/);
    function* once() {
      yield base;
    }
    await expect(writeFhirBundle(once(), tempFile('x.json'))).rejects.toThrow(/read twice/);
  });
});
