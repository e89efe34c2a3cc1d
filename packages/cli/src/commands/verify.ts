import fs from 'node:fs';
import type { Command } from 'commander';
import { BiospecError, readJsonFile } from '@biospec/protocol/core';
import type { verifyBundle } from '@biospec/trust';

// As in node.ts, the command imports the packages it uses (jose, zod) when it runs.

async function readBundle(file: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new BiospecError('INVALID_DATA', `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  const { ResultBundleSchema } = await import('@biospec/trust');
  const parsed = ResultBundleSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BiospecError('INVALID_DATA', `${file} is not a result bundle`, {
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    });
  }
  return parsed.data;
}

async function readTrustedKeys(file: string) {
  const { z } = await import('zod');
  const TrustedKeysSchema = z.record(z.string(), z.object({ keys: z.array(z.record(z.string(), z.unknown())) }));
  const parsed = TrustedKeysSchema.safeParse(readJsonFile(file, 'trusted keys'));
  if (!parsed.success) {
    throw new BiospecError('INVALID_CONFIG', `${file} is not a set of trusted node keys ({"<node id>": {"keys": [...]}})`, {
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    });
  }
  return parsed.data as Parameters<typeof verifyBundle>[1];
}

/**
 * `biospec verify FILE`: checks a saved result bundle offline, with no network, and says
 * which keys it trusted: the bundle's own keys prove only that nothing changed since it was
 * saved; keys obtained out of band (`--jwks`) prove who signed.
 */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify <file>')
    .description("check a saved result bundle's signatures offline; exit status 1 if any answer does not verify")
    .option('--jwks <file>', 'trusted node keys obtained out of band: {"<node id>": {"keys": [...]}} (default: the keys inside the bundle)')
    .option('--require-trusted', 'exit status 1 unless every answer verifies with a key from --jwks', false)
    .action(async (file: string, o: { jwks?: string; requireTrusted: boolean }) => {
      const bundle = await readBundle(file);
      const trusted = o.jwks === undefined ? undefined : await readTrustedKeys(o.jwks);
      const { verifyBundle } = await import('@biospec/trust');
      const results = await verifyBundle(bundle, trusted);
      const keys = trusted ? 'a trusted key' : "the bundle's own key";
      let failures = 0;
      for (const r of results) {
        if (r.verified) {
          console.log(`${r.node_id}: signature matches ${keys} (kid ${r.kid})  ${r.result?.total?.display ?? ''} (data epoch ${r.result?.dataEpoch}, ${r.result?.answeredAt})`);
        } else {
          failures += 1;
          console.log(`${r.node_id}: NOT VERIFIED  ${r.reason ?? ''}`);
        }
      }
      const verified = results.length - failures;
      if (trusted) {
        console.log(`${verified} of ${results.length} answers verify against the trusted keys in ${o.jwks}`);
      } else {
        console.log(`${verified} of ${results.length} answers: signatures match the keys inside the bundle; pass --jwks to check who signed`);
      }
      if (failures > 0) process.exitCode = 1;
      if (o.requireTrusted && !trusted) {
        console.log('NOT TRUSTED: --require-trusted needs the nodes\' keys obtained out of band (--jwks FILE); the bundle\'s own keys prove nothing about who signed');
        process.exitCode = 1;
      }
    });
}
