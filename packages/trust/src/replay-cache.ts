import { migrateSchema, type SchemaMigration } from '@biospec/protocol';
import Database from 'better-sqlite3';

/**
 * The replay cache's schema history. Version 1 is the table as it was before versions
 * were kept (IF NOT EXISTS, so a file made then is adopted as version 1 unchanged).
 */
export const REPLAY_CACHE_MIGRATIONS: readonly SchemaMigration<Database.Database>[] = [
  {
    version: 1,
    description: 'seen token ids with their expiry',
    up: (db) => db.exec('CREATE TABLE IF NOT EXISTS seen_jti (jti TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID'),
  },
];

/** Remembers token ids until they expire, so each signed token is honoured once. */
export interface ReplayCache {
  /**
   * Records `jti` as used until `expiresAtSeconds`. Returns false when it is
   * already recorded and not yet expired (a replay). Atomic: of two concurrent
   * calls with one jti, exactly one gets true.
   */
  remember(jti: string, expiresAtSeconds: number, nowSeconds: number): boolean;
  /** Forgets every jti expired at `nowSeconds`; call it periodically to bound the file. */
  prune(nowSeconds: number): void;
  close(): void;
}

/**
 * Opens (or creates) a replay cache in SQLite at `path`. Persisted with WAL and
 * full sync, so a node restarted after a crash still refuses a replay.
 */
export function createReplayCache(path: string | ':memory:'): ReplayCache {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // Survives process crashes and restarts; only a power failure can lose the last commits,
  // and an fsync on every query would otherwise dominate a node's answer time.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrateSchema(db, REPLAY_CACHE_MIGRATIONS, 'replay cache');

  // One statement, so the check and the insert cannot interleave with another writer;
  // an expired row is overwritten rather than blocking a legitimately reused id.
  const insert = db.prepare(
    `INSERT INTO seen_jti (jti, expires_at) VALUES (?, ?)
     ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at WHERE seen_jti.expires_at <= ?`,
  );
  const prune = db.prepare('DELETE FROM seen_jti WHERE expires_at <= ?');

  return {
    remember: (jti, expiresAtSeconds, nowSeconds) => insert.run(jti, expiresAtSeconds, nowSeconds).changes === 1,
    prune: (nowSeconds) => {
      prune.run(nowSeconds);
    },
    close: () => db.close(),
  };
}
