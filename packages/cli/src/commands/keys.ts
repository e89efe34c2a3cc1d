import fs from 'node:fs';
import path from 'node:path';
import { BiospecError } from '@biospec/protocol/core';
import type { Command } from 'commander';

/** `biospec keys generate`: a new Ed25519 key pair, e.g. for rotation. */
export function registerKeysCommands(program: Command): void {
  program
    .command('keys')
    .description('signing keys')
    .command('generate')
    .description('make an Ed25519 key pair as JWK (private key file mode 0600) and its public JWKS')
    .requiredOption('--out <file>', 'private key file; the public JWKS goes to <file>.pub.jwks.json')
    .option('--kid <kid>', 'key id (default: RFC 7638 thumbprint)')
    .action(async (o: { out: string; kid?: string }) => {
      const folder = path.dirname(path.resolve(o.out));
      if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
        throw new BiospecError('NOT_FOUND', `--out ${o.out}: folder ${folder} does not exist; create it first`);
      }
      if (fs.existsSync(o.out)) throw new BiospecError('ALREADY_EXISTS', `--out ${o.out} already exists; refusing to overwrite a key`);
      // Imported here, as node.ts's actions import theirs: only this command needs jose.
      const { generateSigningKey } = await import('@biospec/trust');
      const { privateJwk, publicJwk } = await generateSigningKey(o.kid ? { kid: o.kid } : {});
      fs.writeFileSync(o.out, JSON.stringify(privateJwk, null, 2), { mode: 0o600, flag: 'wx' });
      fs.writeFileSync(`${o.out}.pub.jwks.json`, JSON.stringify({ keys: [publicJwk] }, null, 2));
      console.log(`key ${publicJwk.kid}: private ${o.out}, public ${o.out}.pub.jwks.json`);
    });
}
