/**
 * A node's catalogue, a service's databases and its secrets must be readable by its own
 * user only. Folders are made 0700 and files 0600 when created; at start a service checks
 * that nobody widened them since, and names each path that is wider with the chmod to run.
 */
import fs from 'node:fs';
import { BiospecError, type Issue } from './errors.js';

/** Creates `dir` (and missing parents) 0700; an existing folder keeps its mode (the start check reports it). */
export function makePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Creates `file` empty with mode 0600 unless it exists. SQLite opens an empty file as a
 * new database and creates its -wal and -shm files with the database file's mode, so a
 * database made this way stays private with every file that comes with it.
 */
export function createPrivateFile(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw cause;
  }
}

/** What a service keeps private: folders, plain files, and SQLite databases (with their -wal and -shm). */
export interface PrivatePaths {
  dirs: readonly string[];
  files: readonly string[];
  databases: readonly string[];
}

/** One path that group or others can read or enter, and the command that fixes it. */
export interface WidePermission {
  path: string;
  mode: number;
  chmod: string;
}

/** Every existing path of `paths` whose mode lets group or others in. */
export function findWidePermissions(paths: PrivatePaths): WidePermission[] {
  const check = (file: string, wanted: '700' | '600'): WidePermission[] => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat === undefined || (stat.mode & 0o077) === 0) return [];
    return [{ path: file, mode: stat.mode & 0o777, chmod: `chmod ${wanted} ${file}` }];
  };
  return [
    ...paths.dirs.flatMap((dir) => check(dir, '700')),
    ...paths.files.flatMap((file) => check(file, '600')),
    ...paths.databases.flatMap((db) => [db, `${db}-wal`, `${db}-shm`].flatMap((file) => check(file, '600'))),
  ];
}

/** `refuse`: a service does not start with a file others can read; `warn`: it logs each and starts. */
export type FilePermissionsMode = 'refuse' | 'warn';

/**
 * Applies the start-up check: returns the problems for a caller to log under `warn`,
 * throws FAILED_PRECONDITION naming each path and its chmod under `refuse`.
 */
export function checkPrivatePermissions(paths: PrivatePaths, mode: FilePermissionsMode, what: string): WidePermission[] {
  const wide = findWidePermissions(paths);
  if (wide.length === 0 || mode === 'warn') return wide;
  const issues: Issue[] = wide.map((w) => ({ field: w.path, message: `mode ${w.mode.toString(8).padStart(4, '0')} lets others read it; run: ${w.chmod}` }));
  throw new BiospecError(
    'FAILED_PRECONDITION',
    `${what} has ${wide.length === 1 ? 'a file' : 'files'} that other users can read; fix with: ${wide.map((w) => w.chmod).join(' && ')} ` +
      '(or set "filePermissions": "warn" in its config to start anyway)',
    { issues },
  );
}
