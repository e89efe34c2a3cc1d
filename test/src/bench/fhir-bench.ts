import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFhirBundle } from '@biospec/fhir';
import { generateCatalogue } from '@biospec/synthetic';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Synthetic rows per donor of the university-hospital profile (as the catalogue benchmark uses). */
const ROWS_PER_DONOR = 5.2;

export interface FhirBenchResult {
  specimens: number;
  bundleMB: number;
  importSeconds: number;
  specimensPerSecond: number;
  /** Peak resident memory of the importing process (VmHWM), MiB. */
  peakRssMiB: number;
  /** CPU time of the importing process (all its threads), s: what the import costs whatever the machine's load. */
  cpuSeconds: number;
  /** CPU time of its main thread, s (where it writes the catalogue), or null where the system does not tell it. */
  mainCpuSeconds: number | null;
  /** The 1-minute load average when the import started. */
  loadAverage: number;
}

/**
 * Writes a bbmri.de Bundle of about `specimens` synthetic specimens (Patients,
 * Conditions, Consents, Organizations and Specimens, as the Sample Locator's
 * bridgehead holds them) and imports it into an empty catalogue in a process
 * of its own, timing the whole import (both passes, commit included).
 */
export async function benchFhirImport(workDir: string, specimens: number, log: (line: string) => void): Promise<FhirBenchResult> {
  const dir = path.join(workDir, `fhir-${specimens}`);
  fs.mkdirSync(dir, { recursive: true });
  const bundle = path.join(dir, 'export.json');
  log(`writing a bbmri.de Bundle of about ${specimens} specimens`);
  const records = () => generateCatalogue({ seed: 43, donors: Math.ceil(specimens / ROWS_PER_DONOR), profile: 'university-hospital', idPrefix: 'F' });
  await writeFhirBundle(records, bundle);
  const bundleMB = fs.statSync(bundle).size / 1e6;
  log(`importing the Bundle (${bundleMB.toFixed(0)} MB)`);
  const loadAverage = os.loadavg()[0] as number;
  // The compiled child, also when this module runs from its TypeScript source (jest): `npm test` builds first.
  const child = path.resolve(here, '../../dist/bench/fhir-import-child.js');
  const output = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [child, bundle, path.join(dir, 'catalogue.db')], { maxBuffer: 1 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`FHIR import failed: ${stderr || error.message}`)) : resolve(stdout),
    ),
  );
  const measured = JSON.parse(output.trim().split('\n').at(-1) as string) as { seconds: number; added: number; specimens: number; peakRssMiB: number; cpuSeconds: number; mainCpuSeconds: number | null };
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    specimens: measured.added,
    bundleMB,
    importSeconds: measured.seconds,
    specimensPerSecond: measured.added / measured.seconds,
    peakRssMiB: measured.peakRssMiB,
    cpuSeconds: measured.cpuSeconds,
    mainCpuSeconds: measured.mainCpuSeconds,
    loadAverage,
  };
}
