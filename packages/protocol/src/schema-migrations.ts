/**
 * Versioned schema migrations of a SQLite file, tracked in `PRAGMA user_version`:
 * one runner for every store (replay cache, audit log, hold queue, budget ledger),
 * so each file says which schema it holds and newer software upgrades it step by step.
 * It lives at the ground floor so `trust` and `privacy` share it without depending on
 * each other; it needs no SQLite driver, only the two calls below (better-sqlite3's
 * `Database` has them).
 */
import { BiospecError } from './errors.js';

/** What the runner needs of a database connection. */
export interface MigratableDatabase {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction(fn: () => void): { immediate(): void };
}

/** One step of a store's schema history. Never edit a released step; append a new one. */
export interface SchemaMigration<Db> {
  version: number;
  description: string;
  up: (db: Db) => void;
}

/** The `user_version` of `db`: 0 for a file no migration has touched. */
export function schemaVersionOf(db: MigratableDatabase): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/** Throws unless `db` holds a version this code knows; `what` names the store in the message. */
export function assertKnownSchema(db: MigratableDatabase, known: number, what: string): number {
  const version = schemaVersionOf(db);
  if (version > known) {
    throw new BiospecError(
      'FAILED_PRECONDITION',
      `${what} schema version ${version} is newer than this software knows (${known}); upgrade the software before opening it`,
    );
  }
  return version;
}

/**
 * Brings `db` up to the newest step of `migrations` (numbered 1, 2, 3, ...), one
 * IMMEDIATE transaction per step, so a failed step leaves the file at the previous
 * version and two processes never migrate at once. Refuses a file newer than the
 * newest step. Returns the versions it moved between.
 */
export function migrateSchema<Db extends MigratableDatabase>(
  db: Db,
  migrations: readonly SchemaMigration<Db>[],
  what: string,
): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new BiospecError('INTERNAL', `${what} migration ${i + 1} is numbered ${m.version}`);
  });
  const known = migrations.length;
  const from = assertKnownSchema(db, known, what);
  for (const migration of migrations.slice(from)) {
    db.transaction(() => {
      // Another process may have migrated between our read and this write lock.
      if (schemaVersionOf(db) >= migration.version) return;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return { from, to: Math.max(from, known) };
}
