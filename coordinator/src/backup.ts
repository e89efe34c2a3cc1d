/**
 * `biospec coordinator backup` and `restore`: what a coordinator's backup holds (its config, the
 * keys it pins, every SQLite database of its state folder, copied while it serves) and where a
 * restore puts it. The signing key and pseudonym secret only when asked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BiospecError, readJsonFile } from '@biospec/protocol';
import { readBackup, restoreBackup, takeBackup, type BackupItem, type BackupManifest } from '@biospec/backup';
import { defaultHeadFile } from '@biospec/trust';
import { parseCoordinatorConfig, type CoordinatorConfig } from './config.js';
import { accessFile, coordinatorAuditFile, peopleFile, rateLimitsFile } from './coordinator-state.js';
import { COORDINATOR_FILES } from './init-coordinator.js';
import { coordinatorPidFile } from './open-coordinator.js';

/**
 * Everything a coordinator keeps in files, by role, in the order it is copied (the audit head
 * before the audit log). A coordinator whose state is in PostgreSQL has no database here: its
 * records, limits, audit log and access workflow are backed up with PostgreSQL's own tools
 * (pg_dump, or the server's base backups).
 */
export function coordinatorBackupItems(config: CoordinatorConfig): BackupItem[] {
  const auditFile = coordinatorAuditFile(config);
  return [
    { role: 'config', kind: 'file', path: path.join(config.baseDir, COORDINATOR_FILES.config) },
    { role: 'public-keys', kind: 'file', path: path.join(config.baseDir, COORDINATOR_FILES.publicKeys), optional: true },
    ...(config.retiredKeys ? [{ role: 'retired-keys', kind: 'file', path: config.retiredKeys } as const] : []),
    ...config.nodes.map((n) => ({ role: `member-keys-${n.id}`, kind: 'file', path: n.jwks }) as const),
    ...config.researcherIssuers.flatMap((issuer, i) => ('jwks' in issuer ? [{ role: `issuer-keys-${i}`, kind: 'file', path: issuer.jwks } as const] : [])),
    ...(config.database
      ? []
      : ([
          { role: 'people', kind: 'database', path: peopleFile(config) },
          { role: 'rate-limits', kind: 'database', path: rateLimitsFile(config), optional: true },
          { role: 'audit-head', kind: 'file', path: defaultHeadFile(auditFile), optional: true },
          { role: 'audit', kind: 'database', path: auditFile },
          { role: 'access', kind: 'database', path: accessFile(config), optional: true },
        ] as const)),
    ...(config.directory
      ? ([
          { role: 'directory-snapshot', kind: 'file', path: config.directory.snapshot, optional: true },
          { role: 'directory-peer-key', kind: 'secret', path: config.directory.peerKey, optional: true },
        ] as const)
      : []),
    { role: 'signing-key', kind: 'secret', path: config.signingKey },
    { role: 'pseudonym-secret', kind: 'secret', path: config.pseudonymSecret },
  ];
}

/** Takes a backup of the coordinator whose config is `config` into the new folder `outDir`, while it serves. */
export function backupCoordinator(config: CoordinatorConfig, outDir: string, options: { includeSecrets: boolean }): Promise<BackupManifest> {
  return takeBackup(coordinatorBackupItems(config), outDir, { service: 'coordinator', id: config.coordinatorId, includeSecrets: options.includeSecrets });
}

/**
 * Restores a coordinator backup into the folder `dir` (a fresh one, or with `force` a stopped
 * coordinator's); its config tells where every other file goes.
 */
export function restoreCoordinator(
  backupDir: string,
  dir: string,
  options: { force: boolean; env?: Readonly<Record<string, string | undefined>> },
): { manifest: BackupManifest; restored: string[]; missingSecrets: string[] } {
  const manifest = readBackup(backupDir);
  if (manifest.service !== 'coordinator') throw new BiospecError('INVALID_DATA', `${backupDir} is a ${manifest.service} backup, not a coordinator's`);
  const configEntry = manifest.items.find((i) => i.role === 'config');
  if (!configEntry) throw new BiospecError('INVALID_DATA', `${backupDir} holds no coordinator.json`);
  const config = parseCoordinatorConfig(readJsonFile(path.join(backupDir, configEntry.file), 'coordinator config'), path.resolve(dir), options.env ?? process.env);
  const targets = Object.fromEntries(coordinatorBackupItems(config).map((item) => [item.role, item.path]));
  const { restored } = restoreBackup(backupDir, manifest, targets, { pidFile: coordinatorPidFile(config), force: options.force });
  const missingSecrets = [config.signingKey, config.pseudonymSecret].filter((file) => !fs.existsSync(file));
  return { manifest, restored, missingSecrets };
}
