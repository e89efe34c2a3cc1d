import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { MaterialType } from '@biospec/query';
import { generatedRecords } from './fixtures/sample-records.js';
import { createFhirReader } from './fhir-parallel.js';
import { writeFhirBundle } from './write-fhir.js';
import { testFolder } from './test-folders.js';

const SPECIMENS = 100_000;

// Heap in use after a full collection: what is retained, not garbage awaiting the collector.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
const retainedHeap = (): number => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

/** Writes the bundle; returns its counts per material type. Its own function, so the records are garbage once it returns. */
async function writeSource(file: string): Promise<Partial<Record<MaterialType, number>>> {
  const records = generatedRecords(SPECIMENS);
  const counts: Partial<Record<MaterialType, number>> = {};
  for (const r of records) counts[r.material_type] = (counts[r.material_type] ?? 0) + 1;
  await writeFhirBundle(records, file);
  return counts;
}

test(`a bundle of ${SPECIMENS} specimens streams with bounded memory`, async () => {
  const dir = testFolder('fhir-large-');
  const file = path.join(dir, 'large.json');
  const expected = await writeSource(file);
  const bytes = fs.statSync(file).size;

  const baseline = retainedHeap();
  let peak = baseline;
  const counts: Partial<Record<MaterialType, number>> = {};
  const started = process.hrtime.bigint();
  const reader = createFhirReader(file);
  let rows = 0;
  for await (const row of reader.rows()) {
    if (row.donor !== undefined) continue;
    rows += 1;
    if (row.record) counts[row.record.material_type] = (counts[row.record.material_type] ?? 0) + 1;
    if (rows % 10_000 === 0) peak = Math.max(peak, retainedHeap());
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9; // includes the sampling collections
  const growth = peak - baseline;

  expect(rows).toBe(SPECIMENS);
  expect(counts).toEqual(expected);
  expect(reader.stats().specimens).toEqual({ mapped: SPECIMENS, withIssues: 0, enteredInError: 0 });
  // The heap keeps the donor index (20 000 donors) and the resources in flight, never the file.
  expect(growth).toBeLessThan(bytes / 4);
  console.log(
    `${SPECIMENS} specimens, ${(bytes / 1e6).toFixed(1)} MB: ${(SPECIMENS / seconds).toFixed(0)} specimens/s ` +
      `(${seconds.toFixed(1)} s), peak retained heap ${(peak / 1e6).toFixed(0)} MB (+${(growth / 1e6).toFixed(0)} MB over baseline)`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
}, 300_000);
