import Database from 'better-sqlite3';
import { migrateSchema, type SchemaMigration } from '@biospec/protocol';
import type { RateLimit } from './policy.js';
import type { RateLimitDecision, RateLimitStore } from './rate-limiter.js';

/** Schema history of the rate-limit windows (`PRAGMA user_version`); append, never edit. */
export const RATE_LIMIT_MIGRATIONS: readonly SchemaMigration<Database.Database>[] = [
  {
    version: 1,
    description: 'questions per key and time',
    up: (db) =>
      db.exec(`CREATE TABLE rate_limit_event (key TEXT NOT NULL, at INTEGER NOT NULL) STRICT;
               CREATE INDEX rate_limit_event_key_at ON rate_limit_event (key, at);
               CREATE INDEX rate_limit_event_at ON rate_limit_event (at);`),
  },
];

/** Old events of every key are deleted once every this many takes. */
const PRUNE_EVERY = 1000;

/**
 * Rate-limit windows in a SQLite file, so a restart does not give everyone a fresh window.
 * Each take decides and records in one IMMEDIATE transaction: processes sharing the file
 * never both pass on the last place.
 */
export function createSqliteRateLimitStore(path: string): RateLimitStore {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrateSchema(db, RATE_LIMIT_MIGRATIONS, 'rate-limit windows');
  const forget = db.prepare<[string, number]>('DELETE FROM rate_limit_event WHERE key = ? AND at <= ?');
  const forgetAll = db.prepare<[number]>('DELETE FROM rate_limit_event WHERE at <= ?');
  // The limit-th newest question inside the window: when it exists, the limit is reached, and it is the one that must leave first.
  const blocking = db.prepare<[string, number, number], { at: number }>(
    'SELECT at FROM rate_limit_event WHERE key = ? AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?',
  );
  const insert = db.prepare<[string, number]>('INSERT INTO rate_limit_event (key, at) VALUES (?, ?)');
  let takes = 0;
  const take = db.transaction((key: string, limits: readonly RateLimit[], now: number): RateLimitDecision => {
    const longestWindowMs = Math.max(0, ...limits.map((l) => l.windowSeconds * 1000));
    if (++takes % PRUNE_EVERY === 0) forgetAll.run(now - longestWindowMs);
    else forget.run(key, now - longestWindowMs);
    for (const limit of limits) {
      const windowStart = now - limit.windowSeconds * 1000;
      const row = blocking.get(key, windowStart, limit.limit - 1);
      if (row !== undefined) return { allowed: false, limit, retryAfterMs: Math.max(1, row.at - windowStart) };
    }
    insert.run(key, now);
    return { allowed: true };
  });
  return {
    take: (key, limits, now) => take.immediate(key, limits, now),
    close() {
      if (db.open) db.close();
    },
  };
}
