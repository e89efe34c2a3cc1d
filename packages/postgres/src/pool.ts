import pg from 'pg';
import { BiospecError } from '@biospec/protocol';

/**
 * A connection pool to the coordinators' shared database. Connection URLs follow libpq
 * (`postgres://user:password@host:port/database?sslmode=require`).
 */
export function createPostgresPool(url: string, options: { max?: number; applicationName?: string } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'biospec-coordinator',
    // A statement held up this long is a database in trouble: fail the call, not the process.
    statement_timeout: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection the server drops must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `work` in one transaction on one connection; rolls back on any failure. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** PostgreSQL's unique_violation. */
export const UNIQUE_VIOLATION = '23505';

/** A database failure as the project's one error type (UNAVAILABLE: the database cannot be reached or answered). */
export function databaseError(error: unknown, what: string): BiospecError {
  if (error instanceof BiospecError) return error;
  return new BiospecError('UNAVAILABLE', `${what}: database error (${(error as { code?: string }).code ?? (error as Error).message})`, { cause: error });
}

/** Runs `work`, turning a database failure into {@link databaseError}'s UNAVAILABLE; a BiospecError passes unchanged. */
export async function guarded<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw databaseError(error, what);
  }
}
