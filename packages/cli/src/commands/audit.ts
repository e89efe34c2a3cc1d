import path from 'node:path';
import type { Command } from 'commander';
import { readJsonFile } from '@biospec/protocol/core';

// As in node.ts, the action imports the packages it uses when it runs.

/** `biospec audit verify FILE`: checks a copied audit log offline against its owner's public keys. */
export function registerAuditCommands(program: Command): void {
  program
    .command('audit')
    .description('audit logs copied from a node or coordinator')
    .command('verify <file>')
    .description("check a copy of an audit log (audit.db) offline: its hash chain and the signed checkpoints of its head; exit status 1 if it does not verify")
    .requiredOption('--jwks <file>', "the log owner's public keys: the node's node.jwks.json, or the coordinator's coordinator.jwks.json")
    .option('--head <file>', 'the signed head file copied with it (default: <file>.head)')
    .option('--log <id>', 'the node id or coordinator id the checkpoints must name')
    .action(async (file: string, o: { jwks: string; head?: string; log?: string }) => {
      const { createAuditLog, createKeyRing, defaultHeadFile } = await import('@biospec/trust');
      const { verificationLines } = await import('../audit-report.js');
      const jwks = readJsonFile(o.jwks, 'public keys') as { keys?: Parameters<typeof createKeyRing>[0] };
      const keys = await createKeyRing(jwks.keys ?? []);
      const headFile = path.resolve(o.head ?? defaultHeadFile(file));
      const audit = createAuditLog(path.resolve(file), { readonly: true, headFile });
      try {
        const report = await audit.verify(keys, o.log === undefined ? {} : { logId: o.log });
        for (const line of verificationLines(report)) console.log(line);
        if (!report.ok) process.exitCode = 1;
      } finally {
        audit.close();
      }
    });
}
