import fs from 'node:fs';
import type { Command } from 'commander';
import { BiospecError } from '@biospec/protocol';
import { ResultBundleSchema, verifyBundle } from '@biospec/trust';

/** `biospec verify FILE`: checks a saved result bundle offline, with no network. */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify <file>')
    .description("check a saved result bundle's signatures offline; exit status 1 if any answer does not verify")
    .option('--jwks <file>', 'trusted node keys obtained out of band: {"<node id>": {"keys": [...]}} (default: the keys in the bundle)')
    .action(async (file: string, o: { jwks?: string }) => {
      const parsed = ResultBundleSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
      if (!parsed.success) {
        throw new BiospecError('INVALID_DATA', `${file} is not a result bundle`, {
          issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
        });
      }
      const trusted = o.jwks ? JSON.parse(fs.readFileSync(o.jwks, 'utf8')) : undefined;
      const results = await verifyBundle(parsed.data, trusted);
      let failures = 0;
      for (const r of results) {
        if (r.verified) console.log(`${r.node_id}: verified  ${r.result?.total?.display ?? ''} (data epoch ${r.result?.dataEpoch}, ${r.result?.answeredAt})`);
        else {
          failures += 1;
          console.log(`${r.node_id}: NOT VERIFIED  ${r.reason ?? ''}`);
        }
      }
      console.log(`${results.length - failures} of ${results.length} answers verify`);
      if (failures > 0) process.exitCode = 1;
    });
}
