import type pg from 'pg';
import type { RateLimit, RateLimitDecision, RateLimitStore } from '@biospec/privacy';
import { databaseError, inTransaction } from './pool.js';
import { migratePostgres, type PostgresMigration } from './migrate.js';

export const RATE_LIMIT_MIGRATIONS_PG: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'questions per key and time',
    sql: `CREATE TABLE rate_limit_event (key TEXT NOT NULL, at BIGINT NOT NULL);
          CREATE INDEX rate_limit_event_key_at ON rate_limit_event (key, at);
          CREATE INDEX rate_limit_event_at ON rate_limit_event (at);`,
  },
];

/** Old events of every key are deleted once every this many takes (per process). */
const PRUNE_EVERY = 1000;

/**
 * Rate-limit windows in PostgreSQL, shared by every coordinator: a researcher's limit is the
 * network's, whichever replica they reach. Each take decides and records in one transaction
 * holding an advisory lock on the key, so two replicas never both pass on the last place.
 */
export async function createPostgresRateLimitStore(pool: pg.Pool, options: { ownsPool?: boolean } = {}): Promise<RateLimitStore> {
  await migratePostgres(pool, 'rate-limits', RATE_LIMIT_MIGRATIONS_PG);
  let takes = 0;
  return {
    async take(key: string, limits: readonly RateLimit[], now: number): Promise<RateLimitDecision> {
      const longestWindowMs = Math.max(0, ...limits.map((l) => l.windowSeconds * 1000));
      const pruneAll = ++takes % PRUNE_EVERY === 0;
      try {
        return await inTransaction(pool, async (client) => {
          await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [`rate-limit:${key}`]);
          if (pruneAll) await client.query('DELETE FROM rate_limit_event WHERE at <= $1', [now - longestWindowMs]);
          else await client.query('DELETE FROM rate_limit_event WHERE key = $1 AND at <= $2', [key, now - longestWindowMs]);
          for (const limit of limits) {
            const windowStart = now - limit.windowSeconds * 1000;
            // The limit-th newest question inside the window: when it exists the limit is reached, and it leaves first.
            const { rows } = await client.query<{ at: string }>(
              'SELECT at FROM rate_limit_event WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT 1 OFFSET $3',
              [key, windowStart, limit.limit - 1],
            );
            if (rows[0] !== undefined) return { allowed: false as const, limit, retryAfterMs: Math.max(1, Number(rows[0].at) - windowStart) };
          }
          await client.query('INSERT INTO rate_limit_event (key, at) VALUES ($1, $2)', [key, now]);
          return { allowed: true as const };
        });
      } catch (error) {
        throw databaseError(error, 'cannot check the rate limit');
      }
    },
    async close() {
      if (options.ownsPool) await pool.end();
    },
  };
}
