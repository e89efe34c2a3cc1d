import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BiospecError } from '@biospec/protocol';
import { createMemoryRateLimitStore, createRateLimiter } from './rate-limiter.js';
import { createSqliteRateLimitStore } from './sqlite-rate-limit-store.js';
import { rateLimitStoreCompliance } from './testing/rate-limit-store-compliance.js';

rateLimitStoreCompliance('memory', { open: async () => createMemoryRateLimitStore() });

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
let file = '';
rateLimitStoreCompliance('SQLite', {
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-rate-'));
    dirs.push(dir);
    file = path.join(dir, 'rate-limits.db');
    return createSqliteRateLimitStore(file);
  },
  reopen: async () => createSqliteRateLimitStore(file),
});

describe('rate limiter', () => {
  test('memory stays bounded: the least recently active key is forgotten beyond maxKeys', async () => {
    const limiter = createRateLimiter([{ limit: 1, windowSeconds: 60 }], { store: createMemoryRateLimitStore({ maxKeys: 2 }) });
    await limiter.take('a', 0);
    await limiter.take('b', 1);
    await limiter.take('c', 2);
    // 'a' was evicted, so it starts afresh; 'c' is still tracked.
    await limiter.take('a', 3);
    await expect(limiter.take('c', 4)).rejects.toThrow(BiospecError);
  });

  test('no limits allow everything; invalid limits are a configuration error', async () => {
    const open = createRateLimiter([]);
    for (let i = 0; i < 1000; i++) await open.take('k', 0);
    expect(() => createRateLimiter([{ limit: 0, windowSeconds: 60 }])).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  test('the SQLite store forgets old questions of every key as it goes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-rate-'));
    dirs.push(dir);
    const store = createSqliteRateLimitStore(path.join(dir, 'r.db'));
    const limiter = createRateLimiter([{ limit: 5, windowSeconds: 1 }], { store });
    for (let i = 0; i < 3000; i++) await limiter.take(`key-${i}`, i * 10);
    await store.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path.join(dir, 'r.db'), { readonly: true });
    // Takes 1000, 2000 and 3000 pruned every key's events older than one second before them.
    expect((db.prepare('SELECT count(*) AS n FROM rate_limit_event').get() as { n: number }).n).toBeLessThanOrEqual(1100);
    db.close();
  });
});
