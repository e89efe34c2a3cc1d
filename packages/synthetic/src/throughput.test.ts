import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeCsv } from './csv-writer.js';
import { generateCatalogue } from './generate.js';
import { PROFILE_NAMES } from './profiles.js';

/**
 * Throughput is printed, not asserted: shared CI machines vary too much for a
 * fixed bar. Code under jest's VM context runs a few times slower than under
 * plain Node, so these figures are a lower bound for the benchmark runs.
 */
const DONORS = 100_000;

const rate = (rows: number, seconds: number): string => `${Math.round(rows / seconds).toLocaleString('en')} rows/s`;

/** Wall and CPU seconds of `work`; CPU time is the steadier figure on a busy machine. */
async function timed<T>(work: () => T | Promise<T>): Promise<{ result: T; wall: number; cpu: number }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const cpu = process.cpuUsage(cpuBefore);
  return { result, wall: (performance.now() - started) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

const countRows = (profile: (typeof PROFILE_NAMES)[number], donors: number): number => {
  let rows = 0;
  for (const record of generateCatalogue({ seed: 'bench', donors, profile, idPrefix: 'B' })) {
    if (record.sample_id) rows++;
  }
  return rows;
};

test('generation and CSV throughput (reported)', async () => {
  const lines: string[] = [];
  // Warm the JIT so the figures describe steady state, as in a long benchmark run.
  for (const profile of PROFILE_NAMES) countRows(profile, DONORS / 10);
  for (const profile of PROFILE_NAMES) {
    const { result: rows, wall, cpu } = await timed(() => countRows(profile, DONORS));
    lines.push(`${profile}: ${rows} rows (${(rows / DONORS).toFixed(2)}/donor), ${rate(rows, wall)} wall, ${rate(rows, cpu)} CPU`);
    expect(rows).toBeGreaterThan(DONORS);
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-synthetic-bench-'));
  try {
    const { result, wall, cpu } = await timed(() =>
      writeCsv(generateCatalogue({ seed: 'bench', donors: DONORS, profile: 'university-hospital', idPrefix: 'B' }), path.join(dir, 'bench.csv')),
    );
    lines.push(
      `generate + writeCsv: ${result.rows} rows, ${(result.bytes / 1e6).toFixed(1)} MB, ${rate(result.rows, wall)} wall ` +
        `(${(result.bytes / 1e6 / wall).toFixed(1)} MB/s), ${rate(result.rows, cpu)} CPU`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`synthetic throughput (${DONORS} donors per run)\n${lines.join('\n')}`);
});
