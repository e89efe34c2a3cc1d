import type pg from 'pg';
import { BiospecError } from '@biospec/protocol';
import { inTransaction } from './pool.js';

/** One step of a store's schema history in PostgreSQL. Never edit a released step; append a new one. */
export interface PostgresMigration {
  version: number;
  description: string;
  sql: string;
}

/** Every coordinator takes this lock before migrating, so two starting at once never migrate together. */
const MIGRATION_LOCK = 0x62696f73; // 'bios'

/**
 * Brings `store`'s tables up to the newest step, one transaction per step, recording the version
 * in `biospec_schema`; refuses a database newer than this software knows. The counterpart of
 * the SQLite runner in packages/protocol/src/schema-migrations.ts.
 */
export async function migratePostgres(pool: pg.Pool, store: string, migrations: readonly PostgresMigration[]): Promise<{ from: number; to: number }> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new BiospecError('INTERNAL', `${store} migration ${i + 1} is numbered ${m.version}`);
  });
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS biospec_schema (store TEXT PRIMARY KEY, version INTEGER NOT NULL)');
      const row = await client.query<{ version: number }>('SELECT version FROM biospec_schema WHERE store = $1', [store]);
      const from = row.rows[0]?.version ?? 0;
      if (from > migrations.length) {
        throw new BiospecError(
          'FAILED_PRECONDITION',
          `${store} schema version ${from} is newer than this software knows (${migrations.length}); upgrade the software before opening it`,
        );
      }
      for (const migration of migrations.slice(from)) {
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query(
            'INSERT INTO biospec_schema (store, version) VALUES ($1, $2) ON CONFLICT (store) DO UPDATE SET version = EXCLUDED.version',
            [store, migration.version],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }
      return { from, to: Math.max(from, migrations.length) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

export { inTransaction };
