import { z } from 'zod';

/** What a backup holds: SQLite databases (copied with the online backup API), plain files, secrets. */
export const ITEM_KINDS = ['database', 'file', 'secret'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

/** The manifest written as `backup.json` beside the copies; checksums let a restore refuse a damaged backup. */
export const BackupManifestSchema = z
  .object({
    format: z.literal('biospec-backup'),
    version: z.literal(1),
    service: z.enum(['node', 'coordinator']),
    /** The node id or coordinator id. */
    id: z.string().min(1),
    createdAt: z.iso.datetime(),
    /** Whether secrets (signing key, noise or pseudonym secret) are in it. */
    includesSecrets: z.boolean(),
    items: z.array(
      z
        .object({
          role: z.string().regex(/^[a-z][a-zA-Z0-9-]*$/),
          kind: z.enum(ITEM_KINDS),
          /** The copy's file name inside the backup folder. */
          file: z.string().regex(/^[a-zA-Z0-9._-]+$/),
          bytes: z.number().int().nonnegative(),
          sha256: z.string().regex(/^[0-9a-f]{64}$/),
          /** A database's `PRAGMA user_version`: the schema it holds. */
          schemaVersion: z.number().int().nonnegative().optional(),
        })
        .strict(),
    ),
  })
  .strict();

export type BackupManifest = z.infer<typeof BackupManifestSchema>;
export type BackupEntry = BackupManifest['items'][number];

export const MANIFEST_FILE = 'backup.json';
