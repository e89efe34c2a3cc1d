/**
 * A FHIR import in a process of its own, as `biospec node import` runs it (the
 * reader on a worker thread, the catalogue written on the main thread), so its
 * peak memory is the import's alone. Prints one JSON line: seconds, rows, peak RSS.
 */
import { openCatalogue } from '@biospec/catalogue';
import { createFhirReader } from '@biospec/fhir';

const [file, cataloguePath] = process.argv.slice(2);
if (file === undefined || cataloguePath === undefined) throw new Error('usage: fhir-import-child FILE CATALOGUE');
const catalogue = openCatalogue(cataloguePath, { countIndex: 'off' });
const started = performance.now();
const reader = createFhirReader(file);
const report = await catalogue.importRows(reader.rows(), { actor: 'bench' });
const seconds = (performance.now() - started) / 1000;
catalogue.close();
const usage = process.resourceUsage();
// maxRSS is in KiB on Linux; CPU time is of every thread of the process (the reading worker and V8's helpers included).
console.log(
  JSON.stringify({
    seconds,
    added: report.added,
    specimens: reader.stats().specimens.mapped,
    peakRssMiB: usage.maxRSS / 1024,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
  }),
);
