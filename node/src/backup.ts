/**
 * `biospec node backup` and `restore`: what a node's backup holds and where a restore puts it.
 * Every database is copied with SQLite's online backup API while the node serves; the signing
 * key and noise secret only when asked (a node restored with the same noise secret gives the
 * same figures for the same questions at the same data epoch).
 */
import fs from 'node:fs';
import path from 'node:path';
import { BiospecError, readJsonFile } from '@biospec/protocol';
import { readBackup, restoreBackup, takeBackup, type BackupItem, type BackupManifest } from '@biospec/backup';
import { defaultHeadFile } from '@biospec/trust';
import { parseNodeConfig, type NodeConfig } from './config.js';
import { NODE_FILES } from './init-node.js';
import { nodePidFile, nodeStateFiles } from './open-node.js';

/** Everything a node keeps, by role, in the order it is copied (the audit head before the audit log it vouches for). */
export function nodeBackupItems(config: NodeConfig): BackupItem[] {
  const state = nodeStateFiles(config);
  return [
    { role: 'config', kind: 'file', path: path.join(config.baseDir, NODE_FILES.config) },
    { role: 'public-keys', kind: 'file', path: path.join(config.baseDir, NODE_FILES.publicKeys), optional: true },
    { role: 'coordinator-keys', kind: 'file', path: config.coordinatorKeys },
    { role: 'catalogue', kind: 'database', path: config.catalogue },
    { role: 'replay', kind: 'database', path: state.replay },
    { role: 'budget', kind: 'database', path: state.budget },
    { role: 'holds', kind: 'database', path: state.holds },
    { role: 'rate-limits', kind: 'database', path: state.rateLimits, optional: true },
    { role: 'access', kind: 'database', path: state.access, optional: true },
    { role: 'audit-head', kind: 'file', path: defaultHeadFile(state.audit), optional: true },
    { role: 'audit', kind: 'database', path: state.audit },
    ...(config.directory
      ? ([
          { role: 'directory-snapshot', kind: 'file', path: config.directory.snapshot, optional: true },
          { role: 'directory-peer-key', kind: 'secret', path: config.directory.peerKey, optional: true },
        ] as const)
      : []),
    { role: 'signing-key', kind: 'secret', path: config.signingKey },
    { role: 'noise-secret', kind: 'secret', path: config.noiseSecret },
  ];
}

/** Takes a backup of the node whose config is `config` into the new folder `outDir`, while it serves. */
export function backupNode(config: NodeConfig, outDir: string, options: { includeSecrets: boolean }): Promise<BackupManifest> {
  return takeBackup(nodeBackupItems(config), outDir, { service: 'node', id: config.nodeId, includeSecrets: options.includeSecrets });
}

export interface RestoreReport {
  manifest: BackupManifest;
  restored: string[];
  /** Secrets the backup does not hold and the target lacks: the service cannot start until they are put in place. */
  missingSecrets: string[];
}

/**
 * Restores a node backup into the node folder `dir` (a fresh one, or with `force` a stopped
 * node's): its config first tells where every other file goes (with the environment's overrides).
 */
export function restoreNode(backupDir: string, dir: string, options: { force: boolean; env?: Readonly<Record<string, string | undefined>> }): RestoreReport {
  const manifest = readBackup(backupDir);
  if (manifest.service !== 'node') throw new BiospecError('INVALID_DATA', `${backupDir} is a ${manifest.service} backup, not a node's`);
  const configEntry = manifest.items.find((i) => i.role === 'config');
  if (!configEntry) throw new BiospecError('INVALID_DATA', `${backupDir} holds no node.json`);
  const config = parseNodeConfig(readJsonFile(path.join(backupDir, configEntry.file), 'node config'), path.resolve(dir), options.env ?? process.env);
  const targets = Object.fromEntries(nodeBackupItems(config).map((item) => [item.role, item.path]));
  const { restored } = restoreBackup(backupDir, manifest, targets, { pidFile: nodePidFile(config), force: options.force });
  const missingSecrets = [config.signingKey, config.noiseSecret].filter((file) => !fs.existsSync(file));
  return { manifest, restored, missingSecrets };
}
