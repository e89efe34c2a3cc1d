import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeCsv } from './csv-writer.js';
import { generateCatalogue } from './generate.js';
import { PROFILE_NAMES } from './profiles.js';

/**
 * Throughput is printed, not asserted: shared CI machines vary too much for a
 * fixed bar. The benchmark package holds the real 10-million-row runs.
 */
const DONORS = 100_000;

test('generation and CSV throughput (reported)', async () => {
  const lines: string[] = [];
  for (const profile of PROFILE_NAMES) {
    const started = performance.now();
    let rows = 0;
    for (const record of generateCatalogue({ seed: 'bench', donors: DONORS, profile, idPrefix: 'B' })) {
      if (record.sample_id) rows++;
    }
    const seconds = (performance.now() - started) / 1000;
    lines.push(`${profile}: ${rows} rows (${(rows / DONORS).toFixed(2)}/donor) in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds).toLocaleString('en')} rows/s`);
    expect(rows).toBeGreaterThan(DONORS);
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-synthetic-bench-'));
  try {
    const started = performance.now();
    const { rows, bytes } = await writeCsv(
      generateCatalogue({ seed: 'bench', donors: DONORS, profile: 'university-hospital', idPrefix: 'B' }),
      path.join(dir, 'bench.csv'),
    );
    const seconds = (performance.now() - started) / 1000;
    lines.push(
      `generate + writeCsv: ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s = ` +
        `${Math.round(rows / seconds).toLocaleString('en')} rows/s, ${(bytes / 1e6 / seconds).toFixed(1)} MB/s`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`synthetic throughput (${DONORS} donors per run)\n${lines.join('\n')}`);
});
