import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchConnect, CONNECT_FULL, CONNECT_QUICK, CONNECT_SECTION_TITLE, renderConnectSection } from './connect-bench.js';
import { benchDirectory, DIRECTORY_FULL, DIRECTORY_QUICK, DIRECTORY_SECTION_TITLE, renderDirectorySection, spliceDirectorySection } from './directory-bench.js';
import { describeMachine } from './machine.js';
import { benchFhirImport, type FhirBenchResult } from './fhir-bench.js';
import { FULL, QUICK, renderFhirSection, renderReport, runBenchmarks, spliceFhirSection } from './run.js';
import { benchScale, renderScaleSection, SCALE_FULL, SCALE_QUICK, SCALE_SECTION_TITLE } from './scale-bench.js';
import { sectionOf, spliceSection } from './sections.js';

/**
 * `npm run bench` (full sizes, writes docs/BENCHMARKS.md) and
 * `npm run bench -- --quick` (small sizes, prints the report).
 * `--directory`, `--connect`, `--scale` and `--fhir` run only those benchmarks (any of them together) and
 * replace only their sections of the report, each section naming its own run. `--node` runs the main
 * run alone (node, FHIR and federation sections, the targets table) and keeps the other sections as they were.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const only = ['--node', '--directory', '--connect', '--scale', '--fhir'].filter((flag) => process.argv.includes(flag));
const runs = (flag: string) => only.length === 0 || only.includes(flag);
const mainRun = only.length === 0 || only.includes('--node');
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : quick ? undefined : path.resolve(here, '../../../docs/BENCHMARKS.md');
const flags = [...(quick ? ['--quick'] : []), ...only];
const command = `npm run bench${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;
const log = (line: string) => console.error(`[bench] ${line}`);

const context = () => ({ command, machine: describeMachine(), startedAt: new Date().toISOString() });
const results = mainRun ? await runBenchmarks(quick ? QUICK : FULL, command, log) : undefined;
const previous = out && fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
let report = results ? renderReport(results) : previous;
if (results && only.length > 0) {
  // The main run alone: the sections measured by other runs stay as they were, each naming its own run.
  const others: Array<[string, string]> = [['--directory', DIRECTORY_SECTION_TITLE], ['--connect', CONNECT_SECTION_TITLE], ['--scale', SCALE_SECTION_TITLE]];
  for (const [flag, title] of others) {
    const kept = runs(flag) ? undefined : sectionOf(previous, title);
    if (kept) report = spliceSection(report, title, kept);
  }
}
const json: Record<string, unknown> = { ...results };
const sections: string[] = [];

if (runs('--directory')) {
  const at = context();
  const directory = await benchDirectory(quick ? DIRECTORY_QUICK : DIRECTORY_FULL, log);
  const section = renderDirectorySection(directory, at);
  report = spliceDirectorySection(report, section);
  sections.push(section);
  json.directory = { ...at, results: directory };
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-bench-'));
try {
  if (runs('--connect')) {
    const at = context();
    const connect = await benchConnect(work, quick ? CONNECT_QUICK : CONNECT_FULL, log);
    const section = renderConnectSection(connect, at);
    report = spliceSection(report, CONNECT_SECTION_TITLE, section);
    sections.push(section);
    json.connect = { ...at, results: connect };
  }
  if (only.includes('--fhir') && !mainRun) {
    // The whole run has the FHIR import in its report already; alone, its section is replaced.
    const at = context();
    const fhir: FhirBenchResult[] = [];
    for (const specimens of (quick ? QUICK : FULL).fhirSpecimens) fhir.push(await benchFhirImport(work, specimens, log));
    const section = renderFhirSection(fhir, at).join('\n');
    report = spliceFhirSection(report, section);
    sections.push(section);
    Object.assign(json, { fhir, fhirRun: at });
  }
  if (runs('--scale')) {
    const at = context();
    const scale = await benchScale(work, quick ? SCALE_QUICK : SCALE_FULL, log);
    const section = renderScaleSection(scale, at);
    report = spliceSection(report, SCALE_SECTION_TITLE, section);
    sections.push(section);
    json.scale = { ...at, results: scale };
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

if (out) {
  fs.writeFileSync(out, report);
  // The raw figures beside the report, so a reader can check or re-render them; a partial run keeps the others'.
  const jsonFile = out.replace(/\.md$/, '.json');
  const kept = only.length > 0 && fs.existsSync(jsonFile) ? (JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as object) : {};
  fs.writeFileSync(jsonFile, JSON.stringify({ ...kept, ...json }, null, 2) + '\n');
  console.error(`[bench] report written to ${out}`);
}
console.log(only.length > 0 ? sections.join('\n') : report);
