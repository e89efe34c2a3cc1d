export { createPostgresPool, inTransaction, databaseError } from './pool.js';
export { migratePostgres, type PostgresMigration } from './migrate.js';
export { createPostgresPeople, PEOPLE_MIGRATIONS } from './people.js';
export { createPostgresRateLimitStore, RATE_LIMIT_MIGRATIONS_PG } from './rate-limits.js';
export { createPostgresAuditStore, AUDIT_MIGRATIONS_PG, type PostgresAuditOptions } from './audit.js';
export { createPostgresAccessStore } from './access/store.js';
export { ACCESS_MIGRATIONS_PG } from './access/migrations.js';
