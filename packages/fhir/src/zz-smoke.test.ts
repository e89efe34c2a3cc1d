import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { generatedRecords } from './fixtures/sample-records.js';
import { writeFhirBundle, createFhirReader } from './index.js';
test('perf', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-'));
  const file = path.join(dir, 'b.json');
  const recs = generatedRecords(100_000);
  let t = Date.now();
  await writeFhirBundle(recs, file);
  console.log('write ms', Date.now() - t, 'size MB', fs.statSync(file).size / 1e6);
  t = Date.now();
  const reader = createFhirReader(file);
  let n = 0; let peak = 0; const base = process.memoryUsage().heapUsed;
  for await (const row of reader.rows()) { if (row.record) n++; if (n % 2000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed); }
  console.log('read ms', Date.now() - t, n, 'base', base/1e6, 'peak', peak / 1e6, JSON.stringify(reader.stats()));
}, 300000);
