export { BackupManifestSchema, MANIFEST_FILE, type BackupEntry, type BackupManifest, type ItemKind } from './manifest.js';
export { takeBackup, type BackupItem, type TakeBackupOptions } from './take-backup.js';
export { readBackup, restoreBackup, type RestoreOptions, type RestoreTargets } from './restore-backup.js';
export { holdPidFile } from './pid-file.js';
