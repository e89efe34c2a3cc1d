import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDirectory, DIRECTORY_FULL, DIRECTORY_QUICK, renderDirectorySection, spliceDirectorySection } from './directory-bench.js';
import { describeMachine } from './machine.js';
import { benchFhirImport, type FhirBenchResult } from './fhir-bench.js';
import { FULL, QUICK, renderFhirSection, renderReport, runBenchmarks, spliceFhirSection } from './run.js';

/**
 * `npm run bench` (full sizes, writes docs/BENCHMARKS.md) and
 * `npm run bench -- --quick` (small sizes, prints the report).
 * `--directory` runs only the directory benchmark and replaces only its section of the report;
 * `--fhir` the same for the FHIR import.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const directoryOnly = process.argv.includes('--directory');
const fhirOnly = process.argv.includes('--fhir');
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : quick ? undefined : path.resolve(here, '../../../docs/BENCHMARKS.md');
const command = `npm run bench${quick || directoryOnly || fhirOnly ? ' --' : ''}${quick ? ' --quick' : ''}${directoryOnly ? ' --directory' : ''}${fhirOnly ? ' --fhir' : ''}`;
const log = (line: string) => console.error(`[bench] ${line}`);

/** `--fhir`: the FHIR import alone, its section of the report replaced. */
async function benchFhirOnly(): Promise<void> {
  const context = { command, machine: describeMachine(), startedAt: new Date().toISOString() };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-bench-fhir-'));
  const fhir: FhirBenchResult[] = [];
  try {
    for (const specimens of (quick ? QUICK : FULL).fhirSpecimens) fhir.push(await benchFhirImport(work, specimens, log));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const section = renderFhirSection(fhir, context).join('\n');
  if (out) {
    fs.writeFileSync(out, spliceFhirSection(fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '', section));
    const json = out.replace(/\.md$/, '.json');
    const previous = fs.existsSync(json) ? (JSON.parse(fs.readFileSync(json, 'utf8')) as object) : {};
    fs.writeFileSync(json, JSON.stringify({ ...previous, fhir, fhirRun: context }, null, 2) + '\n');
    console.error(`[bench] FHIR section written to ${out}`);
  }
  console.log(section);
}

/** The whole benchmark, or `--directory` alone (its section replaced). */
async function benchAll(): Promise<void> {
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
}

await (fhirOnly ? benchFhirOnly() : benchAll());
