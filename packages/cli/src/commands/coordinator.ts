import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { BiospecError, readJsonFile } from '@biospec/protocol/core';
import type { Role } from '@biospec/registry';
import { COORDINATOR_FILES } from '@biospec/coordinator/files';
import { guardService } from '../process-guards.js';
import { waitForShutdown } from '../shutdown.js';

// As in node.ts, each action imports the packages it uses when it runs.

/** A folder without coordinator.json is told as such, not as an unreadable file. */
function coordinatorDir(dir: string): string {
  if (!fs.existsSync(path.join(dir, COORDINATOR_FILES.config))) {
    throw new BiospecError('NOT_FOUND', `${dir} is not a coordinator folder (no ${COORDINATOR_FILES.config}); create one with \`biospec coordinator init --dir ${dir} …\``);
  }
  return dir;
}

/** Renames config fields in a refusal to the flags they came from, so it names what was typed. */
function withFlagNames(error: unknown, flags: [RegExp, string][]): unknown {
  if (!(error instanceof BiospecError) || error.code !== 'INVALID_CONFIG' || error.issues.length === 0) return error;
  const issues = error.issues.map((i) => ({ ...i, field: flags.find(([pattern]) => pattern.test(i.field ?? ''))?.[1] ?? i.field }));
  return new BiospecError('INVALID_ARGUMENT', 'invalid coordinator settings', { issues, cause: error });
}

const INIT_FLAGS: [RegExp, string][] = [
  [/^coordinatorId$/, '--id'],
  [/^grpcListen$/, '--grpc'],
  [/^httpListen$/, '--http'],
];
const MEMBER_FLAGS: [RegExp, string][] = [
  [/^nodes\.\d+\.id$/, '--id'],
  [/^nodes\.\d+\.name$/, '--name'],
  [/^nodes\.\d+\.endpoint$/, '--endpoint'],
];

/** `biospec coordinator …`: what coordinator staff run. */
export function registerCoordinatorCommands(program: Command): void {
  const coordinator = program.command('coordinator').description('run and administer the coordinator');

  coordinator
    .command('init')
    .description('create a coordinator folder: key pair, pseudonym secret, config without members')
    .requiredOption('--dir <dir>', 'coordinator folder to create')
    .option('--id <id>', 'issuer name nodes see on every query', 'coordinator')
    .option('--grpc <host:port>', 'researcher-facing gRPC address', '127.0.0.1:50050')
    .option('--http <host:port>', 'REST/JSON address', '127.0.0.1:8080')
    .option('--node-connect <host:port>', 'where nodes without an inbound port connect out to (nodeConnect.listen); off without it')
    .action(async (o: { dir: string; id: string; grpc: string; http: string; nodeConnect?: string }) => {
      const { initCoordinatorDir } = await import('@biospec/coordinator');
      const { config, publicKeys } = await initCoordinatorDir(o.dir, {
        coordinatorId: o.id,
        grpcListen: o.grpc,
        httpListen: o.http,
        ...(o.nodeConnect ? { nodeConnectListen: o.nodeConnect } : {}),
      }).catch((error: unknown) => {
        throw withFlagNames(error, INIT_FLAGS);
      });
      console.log(`coordinator created: ${config}`);
      console.log(`give every node the coordinator's public keys (they pin them with --coordinator-jwks at \`biospec node init\`): ${publicKeys}`);
    });

  coordinator
    .command('add-node')
    .description("admit a member node: pin its public keys and add its endpoint")
    .requiredOption('--dir <dir>', 'coordinator folder')
    .requiredOption('--id <id>', 'node id, as in its node.json')
    .requiredOption('--name <name>', 'institution name')
    .requiredOption('--endpoint <host:port>', "the node's gRPC address, or connect-out for a node that dials this coordinator (nodeConnect)")
    .requiredOption('--jwks <file>', "the node's public keys (its node.jwks.json)")
    .action(async (o: { dir: string; id: string; name: string; endpoint: string; jwks: string }) => {
      const dir = coordinatorDir(o.dir);
      const { addMember } = await import('@biospec/coordinator');
      try {
        addMember(dir, { id: o.id, name: o.name, endpoint: o.endpoint, jwksFile: o.jwks });
      } catch (error) {
        throw withFlagNames(error, MEMBER_FLAGS);
      }
      console.log(`node ${o.id} admitted at ${o.endpoint}`);
    });

  const researcher = coordinator
    .command('researcher')
    .description('researcher records: one per person, with the sign-in identities linked to it (each node keeps one privacy budget per record)');
  researcher
    .command('add')
    .description('register a researcher (or find their record) and issue a bearer token signed by the coordinator')
    .requiredOption('--dir <dir>', 'coordinator folder')
    .requiredOption('--subject <id>', 'stable researcher id, e.g. an e-mail address')
    .option('--name <name>', 'display name')
    .option('--email <address>', 'e-mail address of the record (links identities whose provider verified it, where enabled)')
    .option('--days <n>', 'validity in days', '30')
    .option('--staff', 'also grant the coordinator staff role', false)
    .option('--role <role>', 'the roles to hold instead: researcher, staff, steward:<node id>, operator:<node id> (repeat)', (v: string, p: string[] = []) => [...p, v])
    .action(async (o: { dir: string; subject: string; name?: string; email?: string; days: string; staff: boolean; role?: string[] }) => {
      const { parseRoles } = await import('@biospec/registry');
      // Without --role or --staff a record keeps the roles it has (a new one is a researcher).
      const roles = o.role ? parseRoles(o.role.flatMap((r) => r.split(',')).map((r) => r.trim()), '--role') : o.staff ? (['researcher', 'staff'] as Role[]) : undefined;
      const dir = coordinatorDir(o.dir);
      const { issueResearcher } = await import('@biospec/coordinator');
      const { token, person } = await issueResearcher(dir, {
        subject: o.subject,
        ...(o.name ? { name: o.name } : {}),
        ...(o.email ? { email: o.email } : {}),
        days: Number(o.days),
        ...(roles ? { roles } : {}),
      });
      console.error(`researcher record ${person.id} (${person.roles.join(', ')})`);
      console.log(token);
    });
  researcher
    .command('roles')
    .description("set the roles of a record (researcher, staff, steward:<node id>, operator:<node id>); effective at the record's next call")
    .requiredOption('--dir <dir>', 'coordinator folder')
    .requiredOption('--person <id>', 'the researcher record (see `researcher list`)')
    .requiredOption('--set <roles>', 'comma separated roles')
    .action(async (o: { dir: string; person: string; set: string }) => {
      const { parseRoles } = await import('@biospec/registry');
      const roles = parseRoles(o.set.split(',').map((r) => r.trim()).filter(Boolean), '--set');
      const dir = coordinatorDir(o.dir);
      const { openPeople } = await import('@biospec/coordinator');
      const people = await openPeople(dir);
      try {
        const person = await people.setRoles(o.person, roles);
        console.log(`record ${person.id} now holds ${person.roles.join(', ') || 'no role'}`);
      } finally {
        await people.close();
      }
    });
  researcher
    .command('link')
    .description("link another sign-in identity (an OpenID Connect provider's iss and sub) to an existing researcher record")
    .requiredOption('--dir <dir>', 'coordinator folder')
    .requiredOption('--person <id>', 'the researcher record (see `researcher list`)')
    .requiredOption('--issuer <iss>', "the identity provider's issuer, as in its tokens")
    .requiredOption('--subject <sub>', "the person's subject at that provider")
    .option('--by <name>', 'who links it, for the record', 'coordinator staff')
    .action(async (o: { dir: string; person: string; issuer: string; subject: string; by: string }) => {
      const dir = coordinatorDir(o.dir);
      const { openPeople } = await import('@biospec/coordinator');
      const people = await openPeople(dir);
      try {
        await people.link(o.person, { issuer: o.issuer, subject: o.subject }, o.by);
        console.log(`linked ${o.subject} of ${o.issuer} to researcher record ${o.person}`);
      } finally {
        await people.close();
      }
    });
  researcher
    .command('list')
    .description('researcher records with their linked identities')
    .requiredOption('--dir <dir>', 'coordinator folder')
    .action(async (o: { dir: string }) => {
      const dir = coordinatorDir(o.dir);
      const { openPeople } = await import('@biospec/coordinator');
      const people = await openPeople(dir);
      try {
        for (const p of await people.list()) {
          const ids = (await people.identities(p.id)).map((i) => `${i.subject} (${i.issuer})`).join(', ');
          console.log(`${p.id}  ${p.name ?? '-'}  ${p.email ?? '-'}  ${p.roles.join('+')}  ${p.status}  ${ids}`);
        }
      } finally {
        await people.close();
      }
    });

  coordinator
    .command('start')
    .description('serve gRPC and REST until interrupted')
    .requiredOption('--dir <dir>', 'coordinator folder')
    .action(async (o: { dir: string }) => {
      const dir = coordinatorDir(o.dir);
      const { loadCoordinatorConfig, openCoordinator, startCoordinatorGrpc, startCoordinatorHttp, startNodeConnectServer } = await import('@biospec/coordinator');
      const config = loadCoordinatorConfig(path.join(dir, COORDINATOR_FILES.config));
      const opened = await openCoordinator(config);
      const grpc = await startCoordinatorGrpc(opened);
      const http = await startCoordinatorHttp(opened);
      const connect = config.nodeConnect ? await startNodeConnectServer(opened) : undefined;
      const dialIn = connect ? `, nodes connect out to ${connect.address}` : '';
      console.log(`coordinator serving gRPC on ${grpc.address}, REST on ${http.url}${dialIn} (${opened.members.length} member nodes)`);
      const stop = async () => {
        await Promise.all([grpc.stop(), http.stop(), connect?.stop()]);
        await opened.stopDirectory();
        await opened.close();
      };
      guardService(stop, opened.logger);
      await waitForShutdown(stop);
    });

  coordinator
    .command('backup')
    .description("copy the coordinator's SQLite databases (while it serves; online backup), config and pinned keys into a new folder; its own keys only with --include-keys (state in PostgreSQL: use pg_dump)")
    .requiredOption('--dir <dir>', 'coordinator folder')
    .requiredOption('--out <dir>', 'new folder for the backup')
    .option('--include-keys', 'also copy the signing key and the pseudonym secret (keep such a backup as safe as the keys)', false)
    .action(async (o: { dir: string; out: string; includeKeys: boolean }) => {
      const dir = coordinatorDir(o.dir);
      const { backupCoordinator, loadCoordinatorConfig } = await import('@biospec/coordinator');
      const config = loadCoordinatorConfig(path.join(dir, COORDINATOR_FILES.config));
      const manifest = await backupCoordinator(config, o.out, { includeSecrets: o.includeKeys });
      for (const item of manifest.items) console.log(`${item.role.padEnd(24)} ${item.kind.padEnd(8)} ${item.bytes} bytes`);
      if (config.database) {
        console.log('researcher records, rate-limit windows, audit log and access workflow are in PostgreSQL, not in this backup: back them up with pg_dump (docs/OPERATIONS.md, "Backups")');
      }
      console.log(`backup of coordinator ${manifest.id} written to ${o.out}${manifest.includesSecrets ? ' (with keys)' : ' (without keys: keep the signing key and pseudonym secret safe elsewhere)'}`);
    });

  coordinator
    .command('restore')
    .description('restore a backup into a stopped coordinator: a fresh folder, or with --force the folder it replaces')
    .requiredOption('--from <dir>', 'the backup folder')
    .requiredOption('--dir <dir>', 'coordinator folder to restore into')
    .option('--force', 'replace databases and files that exist in the folder', false)
    .action(async (o: { from: string; dir: string; force: boolean }) => {
      const { restoreCoordinator } = await import('@biospec/coordinator');
      const report = restoreCoordinator(o.from, o.dir, { force: o.force });
      console.log(`restored coordinator ${report.manifest.id} from the backup of ${report.manifest.createdAt}: ${report.restored.length} files`);
      for (const missing of report.missingSecrets) console.error(`missing secret ${missing}: put it in place (from your key escrow) before starting the coordinator`);
    });

  coordinator
    .command('audit')
    .description("show the coordinator's audit log (federated questions, access actions), newest first, and check it against its signed head")
    .requiredOption('--dir <dir>', 'coordinator folder')
    .option('--limit <n>', 'entries to show', '20')
    .option('--before <seq>', 'show entries older than this one (the next page)')
    .action(async (o: { dir: string; limit: string; before?: string }) => {
      const dir = coordinatorDir(o.dir);
      const { coordinatorAuditKeys, loadCoordinatorConfig, openCoordinatorAuditReader } = await import('@biospec/coordinator');
      const { importSigningKey } = await import('@biospec/trust');
      const { auditPageLines, verificationLines } = await import('../audit-report.js');
      const config = loadCoordinatorConfig(path.join(dir, COORDINATOR_FILES.config));
      const signingKey = await importSigningKey(readJsonFile(config.signingKey, 'signing key') as Parameters<typeof importSigningKey>[0]);
      const audit = await openCoordinatorAuditReader(config);
      try {
        for (const line of await auditPageLines(audit, o)) console.log(line);
        const report = await audit.verify(await coordinatorAuditKeys(config, signingKey), { logId: config.coordinatorId });
        for (const line of verificationLines(report)) console.log(line);
        if (!report.ok) process.exitCode = 1;
      } finally {
        await audit.close();
      }
    });
}
