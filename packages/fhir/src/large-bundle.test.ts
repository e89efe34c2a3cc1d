import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MaterialType } from '@biospec/query';
import { generatedRecords } from './fixtures/sample-records.js';
import { createFhirReader } from './read-fhir.js';
import { writeFhirBundle } from './write-fhir.js';

const SPECIMENS = 100_000;

test(`a bundle of ${SPECIMENS} specimens streams with bounded memory`, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-large-'));
  const file = path.join(dir, 'large.json');
  const expected: Partial<Record<MaterialType, number>> = {};
  {
    // Scoped so the source records can be collected before reading starts.
    const records = generatedRecords(SPECIMENS);
    for (const r of records) expected[r.material_type] = (expected[r.material_type] ?? 0) + 1;
    await writeFhirBundle(records, file);
  }
  const bytes = fs.statSync(file).size;

  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const counts: Partial<Record<MaterialType, number>> = {};
  const started = process.hrtime.bigint();
  const reader = createFhirReader(file);
  let rows = 0;
  for await (const row of reader.rows()) {
    rows += 1;
    if (row.record) counts[row.record.material_type] = (counts[row.record.material_type] ?? 0) + 1;
    if (rows % 1000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const growth = peak - baseline;

  expect(rows).toBe(SPECIMENS);
  expect(counts).toEqual(expected);
  expect(reader.stats().specimens).toEqual({ mapped: SPECIMENS, withIssues: 0, enteredInError: 0 });
  // The file is read whole twice; the heap may grow by the donor index (20 000 donors), never by the file.
  expect(growth).toBeLessThan(bytes / 2);
  console.log(
    `${SPECIMENS} specimens, ${(bytes / 1e6).toFixed(1)} MB: ${(SPECIMENS / seconds).toFixed(0)} specimens/s ` +
      `(${seconds.toFixed(1)} s), peak heap ${(peak / 1e6).toFixed(0)} MB (+${(growth / 1e6).toFixed(0)} MB over baseline)`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
}, 300_000);
