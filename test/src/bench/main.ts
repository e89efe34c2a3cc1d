import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDirectory, DIRECTORY_FULL, DIRECTORY_QUICK, renderDirectorySection, spliceDirectorySection } from './directory-bench.js';
import { describeMachine } from './machine.js';
import { FULL, QUICK, renderReport, runBenchmarks } from './run.js';

/**
 * `npm run bench` (full sizes, writes docs/BENCHMARKS.md) and
 * `npm run bench -- --quick` (small sizes, prints the report).
 * `--directory` runs only the directory benchmark and replaces only its section of the report.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const directoryOnly = process.argv.includes('--directory');
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : quick ? undefined : path.resolve(here, '../../../docs/BENCHMARKS.md');
const command = `npm run bench${quick || directoryOnly ? ' --' : ''}${quick ? ' --quick' : ''}${directoryOnly ? ' --directory' : ''}`;
const log = (line: string) => console.error(`[bench] ${line}`);

const directoryContext = { command, machine: describeMachine(), startedAt: new Date().toISOString() };
const results = directoryOnly ? undefined : await runBenchmarks(quick ? QUICK : FULL, command, log);
const directory = await benchDirectory(quick ? DIRECTORY_QUICK : DIRECTORY_FULL, log);
const section = renderDirectorySection(directory, results ? { ...directoryContext, machine: results.machine } : directoryContext);
const previous = out && fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
const report = spliceDirectorySection(results ? renderReport(results) : previous, section);
if (out) {
  fs.writeFileSync(out, report);
  // The raw figures beside the report, so a reader can check or re-render them.
  const json = out.replace(/\.md$/, '.json');
  const previousJson = !results && fs.existsSync(json) ? (JSON.parse(fs.readFileSync(json, 'utf8')) as object) : {};
  fs.writeFileSync(json, JSON.stringify({ ...previousJson, ...results, directory: { ...directoryContext, results: directory } }, null, 2) + '\n');
  console.error(`[bench] report written to ${out}`);
}
console.log(directoryOnly ? section : report);
