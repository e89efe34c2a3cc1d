import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteAccessStore } from './sqlite-store.js';
import { grantRepositoryCompliance, membershipRepositoryCompliance, requestRepositoryCompliance, type StoreFactory } from './testing/compliance.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh file per store, so `reopen` opens the same data again as a restart would. */
const sqlite: StoreFactory = {
  open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-access-'));
    dirs.push(dir);
    return Object.assign(createSqliteAccessStore(path.join(dir, 'access.db')), { file: path.join(dir, 'access.db') });
  },
  reopen(store) {
    store.close();
    return createSqliteAccessStore((store as unknown as { file: string }).file);
  },
};

requestRepositoryCompliance('sqlite', sqlite);
grantRepositoryCompliance('sqlite', sqlite);
membershipRepositoryCompliance('sqlite', sqlite);

test('the store keeps a schema version and refuses a newer file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-access-'));
  dirs.push(dir);
  const file = path.join(dir, 'access.db');
  createSqliteAccessStore(file).close();
  const raw = new Database(file);
  expect(raw.pragma('user_version', { simple: true })).toBe(1);
  raw.pragma('user_version = 99');
  raw.close();
  expect(() => createSqliteAccessStore(file)).toThrow(/schema version 99 is newer than this software knows \(1\)/);
});
