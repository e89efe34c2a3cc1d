import type pg from 'pg';
import type { AccessStore } from '@biospec/access';
import { migratePostgres } from '../migrate.js';
import { ACCESS_MIGRATIONS_PG } from './migrations.js';
import { postgresGrants } from './grants.js';
import { postgresMemberships } from './memberships.js';
import { postgresRequests } from './requests.js';

/**
 * The access workflow's store in PostgreSQL (requests, site answers, comments, grants,
 * revocation lists, deliveries, memberships), shared by every coordinator of the network;
 * migrated on open. It passes the same compliance suites as the SQLite store.
 */
export async function createPostgresAccessStore(pool: pg.Pool, options: { ownsPool?: boolean } = {}): Promise<AccessStore> {
  await migratePostgres(pool, 'access', ACCESS_MIGRATIONS_PG);
  return {
    requests: postgresRequests(pool),
    grants: postgresGrants(pool),
    memberships: postgresMemberships(pool),
    async close() {
      if (options.ownsPool) await pool.end();
    },
  };
}
