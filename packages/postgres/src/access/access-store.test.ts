/**
 * The PostgreSQL access store passes the same compliance suites as the SQLite one, on a real
 * server started in a temporary folder, including two stores on one database (two
 * coordinators) racing to move the same request, membership and revocation list.
 */
import type pg from 'pg';
import {
  concurrentWriterCompliance,
  grantRepositoryCompliance,
  membershipRepositoryCompliance,
  requestRepositoryCompliance,
  type StoreFactory,
} from '@biospec/access/testing';
import { startPostgresServer, type PostgresServer } from '../testing/pg-server.js';
import { createPostgresPool } from '../pool.js';
import { createPostgresAccessStore } from './store.js';

let server: PostgresServer;
const pools: pg.Pool[] = [];
beforeAll(async () => {
  server = await startPostgresServer();
}, 120_000);
afterAll(async () => {
  for (const pool of pools) await pool.end().catch(() => undefined);
  server?.stop();
});

function pooled(url: string): pg.Pool {
  const pool = createPostgresPool(url);
  pools.push(pool);
  return pool;
}

/**
 * A new empty database per store; `reopen` and `openAnother` open another pool on the last one
 * (a restart, another process). Each store ends its pool when closed; the rest at the end.
 */
let lastUrl = '';
const postgres: Required<StoreFactory> = {
  async open() {
    lastUrl = await server.createDatabase('access');
    return createPostgresAccessStore(pooled(lastUrl), { ownsPool: true });
  },
  async reopen(store) {
    await store.close();
    return createPostgresAccessStore(pooled(lastUrl), { ownsPool: true });
  },
  openAnother: () => createPostgresAccessStore(pooled(lastUrl), { ownsPool: true }),
};

requestRepositoryCompliance('PostgreSQL', postgres);
grantRepositoryCompliance('PostgreSQL', postgres);
membershipRepositoryCompliance('PostgreSQL', postgres);
concurrentWriterCompliance('PostgreSQL', postgres);

test('two stores opening one new database at once migrate it once', async () => {
  const url = await server.createDatabase('access_migrate');
  await Promise.all([createPostgresAccessStore(pooled(url)), createPostgresAccessStore(pooled(url))]);
  const { rows } = await pooled(url).query<{ version: number }>("SELECT version FROM biospec_schema WHERE store = 'access'");
  expect(rows).toEqual([{ version: 1 }]);
});
