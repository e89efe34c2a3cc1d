/**
 * A FHIR import in a process of its own, as `biospec node import` runs it (the
 * readers on worker threads, the catalogue written on the main thread), so its
 * peak memory is the import's alone. Prints one JSON line: seconds, rows, peak
 * RSS, CPU of the process and of its main thread.
 */
import fs from 'node:fs';
import { openCatalogue } from '@biospec/catalogue';
import { createFhirReader } from '@biospec/fhir';

/**
 * CPU seconds of the main thread so far, where Linux tells them (null elsewhere): the importing
 * thread's share of the import, which the readers' threads cannot take over. USER_HZ is 100 on Linux.
 */
function mainThreadCpuSeconds(): number | null {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

const [file, cataloguePath] = process.argv.slice(2);
if (file === undefined || cataloguePath === undefined) throw new Error('usage: fhir-import-child FILE CATALOGUE');
const catalogue = openCatalogue(cataloguePath, { countIndex: 'off' });
const started = performance.now();
const reader = createFhirReader(file);
const report = await catalogue.importRows(reader.rows(), { actor: 'bench' });
const seconds = (performance.now() - started) / 1000;
catalogue.close();
const mainCpuSeconds = mainThreadCpuSeconds();
const usage = process.resourceUsage();
// maxRSS is in KiB on Linux; CPU time is of every thread of the process (the reading worker and V8's helpers included).
console.log(
  JSON.stringify({
    seconds,
    added: report.added,
    specimens: reader.stats().specimens.mapped,
    peakRssMiB: usage.maxRSS / 1024,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    mainCpuSeconds,
  }),
);
