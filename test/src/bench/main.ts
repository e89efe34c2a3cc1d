import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FULL, QUICK, renderReport, runBenchmarks } from './run.js';

/**
 * `npm run bench` (full sizes, writes docs/BENCHMARKS.md) and
 * `npm run bench -- --quick` (small sizes, prints the report).
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : quick ? undefined : path.resolve(here, '../../../docs/BENCHMARKS.md');
const command = quick ? 'npm run bench -- --quick' : 'npm run bench';

const results = await runBenchmarks(quick ? QUICK : FULL, command, (line) => console.error(`[bench] ${line}`));
const report = renderReport(results);
if (out) {
  fs.writeFileSync(out, report);
  // The raw figures beside the report, so a reader can check or re-render them.
  fs.writeFileSync(out.replace(/\.md$/, '.json'), JSON.stringify(results, null, 2) + '\n');
  console.error(`[bench] report written to ${out}`);
}
console.log(report);
