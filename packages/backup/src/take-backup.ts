import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BiospecError } from '@biospec/protocol';
import { MANIFEST_FILE, type BackupEntry, type BackupManifest, type ItemKind } from './manifest.js';

/** One thing a service keeps, by role (`catalogue`, `audit`, `signing-key`, ...) and where it is now. */
export interface BackupItem {
  role: string;
  kind: ItemKind;
  path: string;
  /** A missing optional item is left out (a rotated-keys file never written); a missing required one fails the backup. */
  optional?: boolean;
}

export interface TakeBackupOptions {
  service: BackupManifest['service'];
  id: string;
  /** Secrets are left out unless asked: a backup usually goes where the keys must not. */
  includeSecrets: boolean;
  now?: () => Date;
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * A consistent copy of one SQLite database while the service keeps writing to it: SQLite's
 * online backup API reads one snapshot (a writer committing meanwhile restarts the copy, so
 * it copies everything in one step); the service is never blocked (WAL readers do not block writers).
 */
async function copyDatabase(source: string, target: string): Promise<number> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    // Every remaining page in the next step: a copy in small steps starts over each time the service commits.
    await db.backup(target, { progress: () => 2 ** 30 });
  } finally {
    db.close();
  }
  const copy = new Database(target, { readonly: true, fileMustExist: true });
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BiospecError('INTERNAL', `the copy of ${source} does not pass SQLite's quick_check: ${String(check)}`);
    return Number(copy.pragma('user_version', { simple: true }));
  } finally {
    copy.close();
  }
}

/**
 * Copies `items` into the new folder `outDir` (made 0700; every copy 0600) and writes the
 * manifest last, so a folder without `backup.json` is an unfinished backup. Plain files are
 * copied in the order given: list a file that vouches for a database (an audit log's signed
 * head) before the database, so the copy of the database holds everything it vouches for.
 */
export async function takeBackup(items: readonly BackupItem[], outDir: string, options: TakeBackupOptions): Promise<BackupManifest> {
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0) {
    throw new BiospecError('ALREADY_EXISTS', `${outDir} exists and is not empty; a backup goes into a new folder`);
  }
  fs.mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const entries: BackupEntry[] = [];
  for (const item of items) {
    if (item.kind === 'secret' && !options.includeSecrets) continue;
    if (!fs.existsSync(item.path)) {
      if (item.optional) continue;
      throw new BiospecError('NOT_FOUND', `cannot back up ${item.role}: ${item.path} does not exist`);
    }
    const file = `${item.role}${item.kind === 'database' ? '.db' : path.extname(item.path)}`;
    const target = path.join(outDir, file);
    let schemaVersion: number | undefined;
    if (item.kind === 'database') schemaVersion = await copyDatabase(item.path, target);
    else fs.copyFileSync(item.path, target);
    fs.chmodSync(target, 0o600);
    entries.push({
      role: item.role,
      kind: item.kind,
      file,
      bytes: fs.statSync(target).size,
      sha256: sha256File(target),
      ...(schemaVersion === undefined ? {} : { schemaVersion }),
    });
  }
  const manifest: BackupManifest = {
    format: 'biospec-backup',
    version: 1,
    service: options.service,
    id: options.id,
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    includesSecrets: options.includeSecrets,
    items: entries,
  };
  fs.writeFileSync(path.join(outDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  return manifest;
}
