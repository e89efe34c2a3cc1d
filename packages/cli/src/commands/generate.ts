import type { Command } from 'commander';
import { BiospecError } from '@biospec/protocol/core';
import { PROFILES, type ProfileName } from '@biospec/synthetic/profiles';

// As in node.ts, the action imports the packages it uses when it runs.

const FORMATS = ['csv', 'fhir-bundle', 'fhir-ndjson'] as const;

/** `biospec generate`: a seeded synthetic catalogue as CSV, for trials, tests and benchmarks. */
export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('write a realistic synthetic specimen catalogue (seeded, reproducible) as CSV or as a bbmri.de-style FHIR R4 export')
    .requiredOption('--out <file>', 'file to write')
    .option('--format <format>', FORMATS.join(', '), 'csv')
    .option('--profile <name>', `site profile: ${Object.keys(PROFILES).join(', ')}`, 'university-hospital')
    .option('--donors <n>', 'number of donors', '1000')
    .option('--seed <seed>', 'seed; the same seed gives the same catalogue', '1')
    .option('--prefix <prefix>', 'id prefix, unique per site', 'SITE')
    .action(async (o: { out: string; format: string; profile: string; donors: string; seed: string; prefix: string }) => {
      if (!(o.profile in PROFILES)) {
        throw new BiospecError('INVALID_ARGUMENT', `unknown profile '${o.profile}'; choose one of ${Object.keys(PROFILES).join(', ')}`);
      }
      if (!(FORMATS as readonly string[]).includes(o.format)) {
        throw new BiospecError('INVALID_ARGUMENT', `unknown format '${o.format}'; choose one of ${FORMATS.join(', ')}`);
      }
      const { generateCatalogue, writeCsv } = await import('@biospec/synthetic');
      const records = () => generateCatalogue({ seed: o.seed, donors: Number(o.donors), profile: o.profile as ProfileName, idPrefix: o.prefix });
      if (o.format === 'csv') {
        const { rows, bytes } = await writeCsv(records(), o.out);
        console.log(`${rows} specimens (${(bytes / 1e6).toFixed(1)} MB) written to ${o.out}`);
        return;
      }
      const { writeFhirBundle, writeFhirNdjson } = await import('@biospec/fhir');
      const resources = o.format === 'fhir-bundle' ? await writeFhirBundle(records, o.out) : await writeFhirNdjson(records, o.out);
      console.log(`${resources} FHIR resources written to ${o.out}`);
    });
}
