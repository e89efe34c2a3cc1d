import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { BiospecError, type Issue, type StorageFault } from '@biospec/protocol/core';
import type { FhirImportStats } from '@biospec/fhir';
import { POLICY_PRESET_NAMES, type PolicyPresetName } from '@biospec/privacy/preset-names';
import type { HoldDecision } from '@biospec/node';
import { NODE_FILES } from '@biospec/node/files';
import { registerNodeAccessCommands } from './node-access.js';
import { guardService } from '../process-guards.js';
import { waitForShutdown } from '../shutdown.js';

// Each action imports the packages it uses when it runs: registering the commands (all that
// `biospec --help` does) loads none of them, and a command loads only its own.

/** What a FHIR import read besides the specimens it imported, so nothing is dropped silently. */
function describeFhirStats(stats: FhirImportStats): string {
  const lines = [
    `FHIR resources read${stats.files > 1 ? ` from ${stats.files} files` : ''}: ${Object.entries(stats.resources).map(([type, n]) => `${type} ${n}`).join(', ') || 'none'}`,
  ];
  if (stats.donors.updated > 0) lines.push(`  donors updated: ${stats.donors.updated} (Patient, Condition and Consent facts, applied to all their specimens)`);
  for (const [type, { count, examples }] of Object.entries(stats.unmapped)) {
    lines.push(`  not mapped: ${count} ${type} (e.g. ${examples.join(', ')})`);
  }
  if (stats.specimens.enteredInError > 0) lines.push(`  skipped: ${stats.specimens.enteredInError} Specimen with status entered-in-error`);
  if (stats.ignoredConsents.count > 0) {
    const byStatus = Object.entries(stats.ignoredConsents.byStatus).map(([status, n]) => `${n} ${status}`).join(', ');
    lines.push(`  ignored: ${stats.ignoredConsents.count} Consent that grant nothing (${byStatus}; e.g. ${stats.ignoredConsents.examples.join(', ')})`);
  }
  if (stats.ignoredConditions > 0) lines.push(`  ignored: ${stats.ignoredConditions} Condition refuted or entered in error`);
  if (stats.entriesWithoutResource > 0) lines.push(`  ignored: ${stats.entriesWithoutResource} Bundle entries without a resource`);
  for (const [kind, { count, examples }] of Object.entries(stats.warnings)) {
    lines.push(`  warning: ${count} ${kind} (e.g. ${examples[0] ?? ''})`);
  }
  return lines.join('\n');
}

/** The node folder's config; a folder without one is told as such, not as an unreadable file. */
async function configOf(dir: string) {
  const file = path.join(dir, NODE_FILES.config);
  if (!fs.existsSync(file)) throw new BiospecError('NOT_FOUND', `${dir} is not a node folder (no ${NODE_FILES.config}); create one with \`biospec node init --dir ${dir} …\``);
  const { loadNodeConfig } = await import('@biospec/node/config');
  return loadNodeConfig(file);
}

/** The flag each field of node.json comes from at `node init`, so a refusal names what the operator typed. */
const INIT_FLAGS: Record<string, string> = { nodeId: '--id', name: '--name', listen: '--listen', 'coordinatorIds.0': '--coordinator-id' };

function withFlagNames(error: unknown): unknown {
  if (!(error instanceof BiospecError) || error.code !== 'INVALID_CONFIG' || error.issues.length === 0) return error;
  const issues = error.issues.map((i) => ({ ...i, field: INIT_FLAGS[i.field ?? ''] ?? i.field }));
  return new BiospecError('INVALID_ARGUMENT', 'invalid node settings', { issues, cause: error });
}

/** The quarantine report's default place: the node's state folder, one file per import. */
function defaultQuarantine(stateDir: string): string {
  return path.join(stateDir, 'quarantine', `import-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`);
}

interface ImportCommandOptions {
  dir: string;
  mapping?: string;
  removeMissing: boolean;
  lenient?: boolean;
  quarantine?: string;
  consentMap?: string;
}

/** `biospec node …`: what a node operator runs on the institution's machine. */
export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('run and administer an institution node');
  registerNodeAccessCommands(node);

  node
    .command('init')
    .description('create a node folder: key pair, noise secret, config with the default disclosure policy')
    .requiredOption('--dir <dir>', 'node folder to create')
    .requiredOption('--id <id>', 'node id (lowercase letters, digits, dashes), e.g. uh-berlin')
    .requiredOption('--name <name>', 'institution name shown to researchers')
    .option('--listen <host:port>', 'gRPC address to serve on (default 127.0.0.1:50051; none with --connect-out unless given)')
    .option('--connect-out <host:port>', "dial the coordinator's connect listener instead of waiting for it (no inbound port needed)")
    .option('--coordinator-jwks <file>', "the coordinator's public keys (JWKS) to pin")
    .option('--coordinator-id <id>', "the coordinator's id (its coordinatorId): the issuer whose queries this node answers", 'coordinator')
    .option('--policy <preset>', `disclosure policy to start from: ${POLICY_PRESET_NAMES.join(', ')} (docs/PRIVACY.md, "Presets")`, 'default')
    .action(async (o: { dir: string; id: string; name: string; listen?: string; connectOut?: string; coordinatorJwks?: string; coordinatorId: string; policy: string }) => {
      if (!(POLICY_PRESET_NAMES as readonly string[]).includes(o.policy)) {
        throw new BiospecError('INVALID_ARGUMENT', `--policy: unknown policy preset '${o.policy}'; presets: ${POLICY_PRESET_NAMES.join(', ')}`);
      }
      const { POLICY_PRESETS } = await import('@biospec/privacy');
      const { initNodeDir, noPinnedKeyWarning } = await import('@biospec/node');
      const { config, publicKeys, pinnedKeys } = await initNodeDir(o.dir, {
        nodeId: o.id,
        name: o.name,
        ...(o.listen ? { listen: o.listen } : {}),
        ...(o.connectOut ? { connectOut: o.connectOut } : {}),
        coordinatorIds: [o.coordinatorId],
        policy: POLICY_PRESETS[o.policy as PolicyPresetName],
        ...(o.coordinatorJwks ? { coordinatorJwks: o.coordinatorJwks } : {}),
      }).catch((error: unknown) => {
        throw withFlagNames(error);
      });
      console.log(`node ${o.id} created: ${config}`);
      console.log(`give the coordinator's staff this node's public keys, ${publicKeys}, and the address at which the coordinator reaches it (it listens on ${o.listen})`);
      if (pinnedKeys === 0) console.error(`warning: ${noPinnedKeyWarning(path.join(o.dir, NODE_FILES.coordinatorKeys), o.dir)}`);
    });

  node
    .command('trust-coordinator <file>')
    .description("pin the coordinator's public keys (the coordinator.jwks.json its staff give you); a running node takes them within a second")
    .requiredOption('--dir <dir>', 'node folder')
    .option('--replace', 'pin only these keys, dropping those pinned before (after a key rotation has finished)', false)
    .action(async (file: string, o: { dir: string; replace: boolean }) => {
      const config = await configOf(o.dir);
      const { pinCoordinatorKeys } = await import('@biospec/node');
      const { added, pinned } = await pinCoordinatorKeys(config.coordinatorKeys, file, { replace: o.replace });
      console.log(
        `${added.length === 0 ? 'no new key' : `pinned ${added.join(', ')}`}; the node now accepts queries signed by ${pinned.join(', ')} (in ${config.coordinatorKeys})`,
      );
    });

  node
    .command('import <files...>')
    .description(
      'import a CSV (DESIGN field names, or --mapping), or a FHIR R4 export (bbmri.de or MII Modul Biobank) as Bundles/NDJSON in one file, several files or a folder; ' +
        'CSV is all-or-nothing; FHIR too unless --lenient (or "fhirLenient": true in node.json)',
    )
    .requiredOption('--dir <dir>', 'node folder')
    .option('--mapping <file>', 'column mapping for a LIMS export whose headers differ (CSV only)')
    .option('--remove-missing', 'delete specimens that are not in this export (full export)', false)
    .option('--lenient', 'FHIR: import every resource that maps; quarantine the rest (default: the node\'s fhirLenient)')
    .option('--strict', 'FHIR: all-or-nothing, whatever the node\'s default')
    .option('--quarantine <file>', 'FHIR: where to write the report of resources not imported and warnings (NDJSON)')
    .option('--consent-map <file>', 'FHIR: Broad Consent policy code → DUO table replacing the shipped one')
    .action(async (inputs: string[], o: ImportCommandOptions & { strict?: boolean }) => {
      const config = await configOf(o.dir);
      const { resolveImportFiles } = await import('../import-files.js');
      const { kind, files } = resolveImportFiles(inputs);
      if (kind === 'csv' && (o.lenient || o.consentMap || o.quarantine)) {
        throw new BiospecError('INVALID_ARGUMENT', '--lenient, --quarantine and --consent-map apply to FHIR imports; a CSV import is all-or-nothing');
      }
      if (kind === 'fhir' && o.mapping) throw new BiospecError('INVALID_ARGUMENT', '--mapping applies to CSV imports only');
      const lenient = kind === 'fhir' && (o.strict ? false : (o.lenient ?? config.fhirLenient));
      const { importCsv, loadColumnMapping, openCatalogue } = await import('@biospec/catalogue');
      const { createFhirReader, loadConsentTable } = await import('@biospec/fhir');
      const { createProgress } = await import('../progress.js');
      const { createQuarantine } = await import('../quarantine.js');
      const catalogue = openCatalogue(config.catalogue, { countIndex: 'off' });
      const total = files.reduce((sum, file) => sum + fs.statSync(file).size, 0);
      const label = files.length === 1 ? path.basename(files[0] as string) : `${files.length} files`;
      const bar = createProgress(`importing ${label}`, Math.max(1, Math.round((kind === 'fhir' ? 2 : 1) * total / 1024)), 'KiB');
      const onBytes = (read: number) => bar.update(Math.round(read / 1024));
      const quarantine = kind === 'fhir' ? createQuarantine(o.quarantine ?? defaultQuarantine(config.stateDir)) : undefined;
      const fhir =
        kind === 'fhir'
          ? createFhirReader(files, {
              onBytes,
              ...(quarantine ? { onWarning: (warning) => quarantine.warning(warning) } : {}),
              ...(o.consentMap ? { consentTable: loadConsentTable(o.consentMap) } : {}),
            })
          : undefined;
      try {
        const options = {
          removeMissing: o.removeMissing,
          actor: 'cli',
          source: files.map((file) => path.resolve(file)).join(', '),
          ...(lenient && quarantine ? { onRejected: (issues: Issue[]) => quarantine.rejected(issues) } : {}),
          // Said at once, before the rollback: if that fails too, the first fault is already on record.
          onStorageFault: (fault: StorageFault) => console.error(`storage error on ${fault.file}: ${fault.code} ${fault.message}`),
        };
        const report = fhir
          ? await catalogue.importRows(fhir.rows(), options)
          : await importCsv(catalogue, files[0] as string, {
              ...options,
              onBytes,
              ...(o.mapping ? { mapping: loadColumnMapping(o.mapping) } : {}),
            });
        bar.stop();
        const rows = report.added + report.changed + report.unchanged;
        const rate = report.durationMs > 0 ? Math.round((rows / report.durationMs) * 1000) : rows;
        console.log(
          `added ${report.added}, changed ${report.changed}, unchanged ${report.unchanged}, removed ${report.removed}, rejected ${report.rejected}` +
            `${report.donorsUpdated > 0 ? `, donors updated ${report.donorsUpdated}` : ''}; ` +
            `data epoch ${report.epoch}; ${(report.durationMs / 1000).toFixed(1)} s (${rate} rows/s)`,
        );
        if (report.removalSkipped) console.log('not removed: --remove-missing was skipped because rows were rejected (their specimens would have been removed)');
        if (fhir) console.log(describeFhirStats(fhir.stats()));
        if (quarantine && quarantine.counts.rejectedRows + quarantine.counts.warning > 0) {
          console.log(
            `quarantine report: ${quarantine.file} (${quarantine.counts.rejectedRows} resources not imported, ${quarantine.counts.warning} warnings)`,
          );
        }
      } finally {
        bar.stop();
        quarantine?.close();
        catalogue.close();
      }
    });

  node
    .command('start')
    .description('serve the node over gRPC until interrupted')
    .requiredOption('--dir <dir>', 'node folder')
    .option('--listen <host:port>', 'override the configured address')
    .action(async (o: { dir: string; listen?: string }) => {
      const config = await configOf(o.dir);
      const { noPinnedKeyWarning, openNode, readCoordinatorKeys, startNodeServer } = await import('@biospec/node');
      const node = await openNode(o.listen ? { ...config, listen: o.listen } : config);
      const running = await startNodeServer(node);
      if (running.address) console.log(`node ${config.nodeId} serving on ${running.address}`);
      if (config.connectOut) console.log(`node ${config.nodeId} connecting out to ${config.connectOut.coordinator} (biospec node status shows whether it is connected)`);
      if ((await readCoordinatorKeys(config.coordinatorKeys)).keys.length === 0) console.error(`warning: ${noPinnedKeyWarning(config.coordinatorKeys, o.dir)}`);
      guardService(() => running.stop(), node.logger);
      node.catalogue.countIndexReady().then(
        (index) =>
          console.log(
            index
              ? `count index ready: ${index.rows} specimens, ${(index.bytes / 2 ** 20).toFixed(0)} MiB, built in ${(index.buildMs / 1000).toFixed(1)} s`
              : 'counting with SQL (no count index)',
          ),
        (err: unknown) => node.logger.error({ err }, 'count index not built; counting with SQL'),
      );
      await waitForShutdown(() => running.stop());
    });

  node
    .command('status')
    .description('say whether the node runs, where it listens, and whether it is connected to its coordinator (connect-out)')
    .requiredOption('--dir <dir>', 'node folder')
    .option('--json', 'print the status file as JSON', false)
    .action(async (o: { dir: string; json: boolean }) => {
      const config = await configOf(o.dir);
      const { readNodeStatus } = await import('@biospec/node/config');
      const { describeNodeStatus } = await import('../node-status-report.js');
      const report = describeNodeStatus(config, readNodeStatus(config));
      console.log(o.json ? JSON.stringify(report.status ?? null, null, 2) : report.lines.join('\n'));
      if (!report.ok) process.exitCode = 1;
    });

  node
    .command('withdraw')
    .description("consent withdrawal: remove every specimen of a donor from all counts at once")
    .requiredOption('--dir <dir>', 'node folder')
    .requiredOption('--donor <id>', 'donor id')
    .option('--reason <text>', 'why, for the audit log', 'consent withdrawn')
    .action(async (o: { dir: string; donor: string; reason: string }) => {
      const config = await configOf(o.dir);
      const { loadNodeSigningKey, openNodeAudit, withdrawDonor } = await import('@biospec/node');
      const { openCatalogue } = await import('@biospec/catalogue');
      fs.mkdirSync(config.stateDir, { recursive: true });
      // Opened first and as the node: a tampered log is refused before the catalogue changes.
      const auditFile = path.join(config.stateDir, 'audit.db');
      const audit = openNodeAudit(config, await loadNodeSigningKey(config), { checkpointEveryMs: 0 });
      const catalogue = openCatalogue(config.catalogue, { countIndex: 'off' });
      try {
        const { specimens, epoch } = withdrawDonor({ catalogue, audit, auditFile }, o.donor, {
          actor: 'cli',
          reason: o.reason,
          onStorageFault: (fault) => console.error(`storage error on ${fault.file}: ${fault.code} ${fault.message}`),
        });
        console.log(`donor ${o.donor}: ${specimens} specimens withdrawn; data epoch ${epoch}`);
      } finally {
        catalogue.close();
        audit.close();
      }
    });

  node
    .command('policy')
    .description("show this node's disclosure policy")
    .requiredOption('--dir <dir>', 'node folder')
    .option('--json', 'print the policy as JSON', false)
    .action(async (o: { dir: string; json: boolean }) => {
      const { policy } = await configOf(o.dir);
      const { describePolicy } = await import('@biospec/privacy/policy');
      console.log(o.json ? JSON.stringify(policy, null, 2) : describePolicy(policy));
    });

  const holds = node.command('holds').description('questions held for the steward (policy release: hold)');
  const openHolds = async (dir: string) => {
    const config = await configOf(dir);
    const { createHoldQueue } = await import('@biospec/privacy');
    fs.mkdirSync(config.stateDir, { recursive: true });
    return createHoldQueue(path.join(config.stateDir, 'holds.db'));
  };
  /** A decision taken on this machine: the queue and the node's audit log, opened as the node (like `withdraw`). */
  const decideHere = async (dir: string, id: string, decision: Omit<HoldDecision, 'source'>) => {
    const config = await configOf(dir);
    const { decideHold, loadNodeSigningKey, nodeStateFiles, openNodeAudit } = await import('@biospec/node');
    const { createHoldQueue } = await import('@biospec/privacy');
    fs.mkdirSync(config.stateDir, { recursive: true });
    const audit = openNodeAudit(config, await loadNodeSigningKey(config), { checkpointEveryMs: 0 });
    const queue = createHoldQueue(nodeStateFiles(config).holds);
    try {
      return await decideHold({ holds: queue, audit }, id, { ...decision, source: { kind: 'cli' } });
    } finally {
      queue.close();
      audit.close();
    }
  };
  holds
    .command('list')
    .requiredOption('--dir <dir>', 'node folder')
    .option('--status <status>', 'held, released or declined', 'held')
    .action(async (o: { dir: string; status: 'held' | 'released' | 'declined' }) => {
      const queue = await openHolds(o.dir);
      try {
        const items = queue.list(o.status);
        if (items.length === 0) console.log(`no ${o.status} questions`);
        for (const h of items) console.log(`${h.id}  ${h.status}  ${h.researcher}  ${h.project}  ${h.released.total.display}  ${h.canonicalQuery}`);
      } finally {
        queue.close();
      }
    });
  holds
    .command('release <id>')
    .requiredOption('--dir <dir>', 'node folder')
    .requiredOption('--steward <name>', 'who releases')
    .option('--reason <text>', 'why, for the audit log (not told to the researcher)')
    .action(async (id: string, o: { dir: string; steward: string; reason?: string }) => {
      await decideHere(o.dir, id, { action: 'release', steward: o.steward, ...(o.reason === undefined ? {} : { reason: o.reason }) });
      console.log(`released ${id}; the researcher gets it when the question is asked again`);
    });
  holds
    .command('decline <id>')
    .requiredOption('--dir <dir>', 'node folder')
    .requiredOption('--steward <name>', 'who declines')
    .requiredOption('--reason <text>', 'told to the researcher')
    .action(async (id: string, o: { dir: string; steward: string; reason: string }) => {
      await decideHere(o.dir, id, { action: 'decline', steward: o.steward, reason: o.reason });
      console.log(`declined ${id}`);
    });

  node
    .command('backup')
    .description('copy every database of a node (while it serves; SQLite online backup) and its config into a new folder; keys only with --include-keys')
    .requiredOption('--dir <dir>', 'node folder')
    .requiredOption('--out <dir>', 'new folder for the backup')
    .option('--include-keys', 'also copy the signing key and the noise secret (keep such a backup as safe as the keys)', false)
    .action(async (o: { dir: string; out: string; includeKeys: boolean }) => {
      const config = await configOf(o.dir);
      const { backupNode } = await import('@biospec/node');
      const manifest = await backupNode(config, o.out, { includeSecrets: o.includeKeys });
      for (const item of manifest.items) console.log(`${item.role.padEnd(20)} ${item.kind.padEnd(8)} ${item.bytes} bytes`);
      console.log(`backup of node ${manifest.id} written to ${o.out}${manifest.includesSecrets ? ' (with keys)' : ' (without keys: keep the signing key and noise secret safe elsewhere)'}`);
    });

  node
    .command('restore')
    .description('restore a backup into a stopped node: a fresh folder, or with --force the node folder it replaces')
    .requiredOption('--from <dir>', 'the backup folder')
    .requiredOption('--dir <dir>', 'node folder to restore into')
    .option('--force', 'replace databases and files that exist in the node folder', false)
    .action(async (o: { from: string; dir: string; force: boolean }) => {
      const { restoreNode } = await import('@biospec/node');
      const report = restoreNode(o.from, o.dir, { force: o.force });
      console.log(`restored node ${report.manifest.id} from the backup of ${report.manifest.createdAt}: ${report.restored.length} files`);
      for (const missing of report.missingSecrets) console.error(`missing secret ${missing}: put it in place (from your key escrow) before starting the node`);
    });

  node
    .command('audit')
    .description('show the audit log, newest first, and check its hash chain against the signed checkpoints of its head')
    .requiredOption('--dir <dir>', 'node folder')
    .option('--limit <n>', 'entries to show', '20')
    .option('--before <seq>', 'show entries older than this one (the next page)')
    .action(async (o: { dir: string; limit: string; before?: string }) => {
      const config = await configOf(o.dir);
      const { loadNodeSigningKey, nodeAuditKeys, nodeStateFiles } = await import('@biospec/node');
      const { createAuditLog } = await import('@biospec/trust');
      const { auditPageLines, verificationLines } = await import('../audit-report.js');
      const signingKey = await loadNodeSigningKey(config);
      const audit = createAuditLog(nodeStateFiles(config).audit, { readonly: true });
      try {
        for (const line of await auditPageLines(audit, o)) console.log(line);
        const report = await audit.verify(await nodeAuditKeys(config, signingKey), { logId: config.nodeId });
        for (const line of verificationLines(report)) console.log(line);
        if (!report.ok) process.exitCode = 1;
      } finally {
        audit.close();
      }
    });
}
