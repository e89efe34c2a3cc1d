import fs from 'node:fs';
import path from 'node:path';
import { BiospecError, readJsonFile } from '@biospec/protocol';
import { BackupManifestSchema, MANIFEST_FILE, type BackupManifest } from './manifest.js';
import { sha256File } from './take-backup.js';

/** Reads a backup's manifest and checks every copy against its checksum; INVALID_DATA naming each damaged or missing copy. */
export function readBackup(dir: string): BackupManifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) throw new BiospecError('NOT_FOUND', `${dir} holds no backup (no ${MANIFEST_FILE}: not a backup, or an unfinished one)`);
  const parsed = BackupManifestSchema.safeParse(readJsonFile(file, 'backup manifest'));
  if (!parsed.success) {
    throw new BiospecError('INVALID_DATA', `${file} is not a backup manifest`, {
      issues: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message })),
    });
  }
  const problems = parsed.data.items.flatMap((item) => {
    const copy = path.join(dir, item.file);
    if (!fs.existsSync(copy)) return [{ field: item.file, message: 'missing' }];
    return sha256File(copy) === item.sha256 ? [] : [{ field: item.file, message: 'does not match its checksum' }];
  });
  if (problems.length > 0) throw new BiospecError('INVALID_DATA', `backup ${dir} is damaged; nothing was restored`, { issues: problems });
  return parsed.data;
}

/** Where each role of a backup goes in the service being restored. */
export type RestoreTargets = Readonly<Record<string, string>>;

/** A pid file names a process that still runs. */
function runningPid(pidFile: string): number | undefined {
  const text = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : '';
  const pid = Number(text);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

export interface RestoreOptions {
  /** The service's pid file: a restore into a running service is refused. */
  pidFile: string;
  /** Replace databases and files that exist; without it, a target that already holds any is refused. */
  force: boolean;
}

/**
 * Restores every copy in `backup` to its target, into a stopped service: each file is
 * written beside its target and renamed over it (0600), a database's old -wal and -shm go
 * first (they belong to the file being replaced). Refuses before writing anything when the
 * service runs, when a role has no target, or when a target exists and `force` is not set.
 */
export function restoreBackup(dir: string, manifest: BackupManifest, targets: RestoreTargets, options: RestoreOptions): { restored: string[] } {
  const pid = runningPid(options.pidFile);
  if (pid !== undefined) {
    throw new BiospecError('FAILED_PRECONDITION', `the ${manifest.service} is running (pid ${pid}, ${options.pidFile}); stop it before restoring`);
  }
  const unplaced = manifest.items.filter((item) => targets[item.role] === undefined);
  if (unplaced.length > 0) throw new BiospecError('INVALID_DATA', `this ${manifest.service} does not know where to put ${unplaced.map((i) => i.role).join(', ')}`);
  const existing = manifest.items.map((item) => targets[item.role]!).filter((target) => fs.existsSync(target) && fs.statSync(target).size > 0);
  if (existing.length > 0 && !options.force) {
    throw new BiospecError('ALREADY_EXISTS', `the target already holds ${existing.join(', ')}; restore into a fresh folder, or pass --force to replace them`);
  }
  const restored: string[] = [];
  for (const item of manifest.items) {
    const target = targets[item.role]!;
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    const partial = `${target}.restoring`;
    fs.copyFileSync(path.join(dir, item.file), partial);
    fs.chmodSync(partial, 0o600);
    if (item.kind === 'database') for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(`${target}${suffix}`, { force: true });
    fs.renameSync(partial, target);
    restored.push(target);
  }
  return { restored };
}
