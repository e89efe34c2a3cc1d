/**
 * The PostgreSQL repositories pass the same compliance suites as the SQLite ones, on a real
 * server started in a temporary folder; plus migrations (fresh, repeated, newer refused).
 */
import pg from 'pg';
import { peopleCompliance } from '@biospec/registry/testing';
import { rateLimitStoreCompliance } from '@biospec/privacy/testing';
import { auditStoreCompliance } from '@biospec/trust/testing';
import { startPostgresServer, type PostgresServer } from './testing/pg-server.js';
import { createPostgresPool } from './pool.js';
import { createPostgresPeople } from './people.js';
import { createPostgresRateLimitStore } from './rate-limits.js';
import { createPostgresAuditStore } from './audit.js';
import { migratePostgres } from './migrate.js';

let server: PostgresServer;
const pools: pg.Pool[] = [];
beforeAll(async () => {
  server = await startPostgresServer();
}, 120_000);
afterAll(async () => {
  for (const pool of pools) await pool.end().catch(() => undefined);
  server?.stop();
});

/** A pool on a new empty database; `again` opens another pool on the last one (a restart, another process). */
let lastUrl = '';
async function freshPool(): Promise<pg.Pool> {
  lastUrl = await server.createDatabase('compliance');
  return pooled(lastUrl);
}
function pooled(url: string): pg.Pool {
  const pool = createPostgresPool(url);
  pools.push(pool);
  return pool;
}

peopleCompliance('PostgreSQL', {
  open: async () => createPostgresPeople(await freshPool()),
  reopen: async () => createPostgresPeople(pooled(lastUrl)),
});

rateLimitStoreCompliance('PostgreSQL', {
  open: async () => createPostgresRateLimitStore(await freshPool()),
  reopen: async () => createPostgresRateLimitStore(pooled(lastUrl)),
});

let auditUrl = '';
auditStoreCompliance('PostgreSQL', {
  async open(key, logId) {
    auditUrl = await server.createDatabase('audit');
    return createPostgresAuditStore(pooled(auditUrl), { signer: { key, logId }, checkpointEveryMs: 0 });
  },
  openAnother: async (key, logId) => createPostgresAuditStore(pooled(auditUrl), { signer: { key, logId }, checkpointEveryMs: 0 }),
  async tamper(seq, outcome) {
    await pooled(auditUrl).query('UPDATE audit_log SET outcome = $1 WHERE seq = $2', [outcome, seq]);
  },
});

describe('PostgreSQL migrations', () => {
  test('run once however often they are asked for, also by two at once; a newer database is refused', async () => {
    const pool = await freshPool();
    const steps = [
      { version: 1, description: 'a', sql: 'CREATE TABLE t (x INTEGER)' },
      { version: 2, description: 'b', sql: 'ALTER TABLE t ADD COLUMN y INTEGER' },
    ];
    const [first, second] = await Promise.all([migratePostgres(pool, 'demo', steps), migratePostgres(pooled(lastUrl), 'demo', steps)]);
    expect([first, second].map((r) => r.to)).toEqual([2, 2]);
    expect([first.from, second.from].sort()).toEqual([0, 2]);
    await expect(migratePostgres(pool, 'demo', steps.slice(0, 1))).rejects.toThrow('demo schema version 2 is newer than this software knows (1)');
  });

  test('a log whose newest signed checkpoint vouches for entries it no longer has is refused at open', async () => {
    const { generateSigningKey, importSigningKey } = await import('@biospec/trust');
    const key = await importSigningKey((await generateSigningKey()).privateJwk);
    const pool = await freshPool();
    const store = await createPostgresAuditStore(pool, { signer: { key, logId: 'coordinator' }, checkpointEveryMs: 0 });
    for (let i = 0; i < 3; i++) await store.record({ kind: 'federated-query', outcome: 'answered' });
    await store.close();
    await pool.query('DELETE FROM audit_log WHERE seq = 3');
    await expect(createPostgresAuditStore(pool, { signer: { key, logId: 'coordinator' }, checkpointEveryMs: 0 })).rejects.toThrow(
      'it vouches for 3 entries, the database ends at entry 2',
    );
  });
});
