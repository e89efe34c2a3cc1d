import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteAccessStore } from './sqlite-store.js';
import {
  concurrentWriterCompliance,
  grantRepositoryCompliance,
  membershipRepositoryCompliance,
  requestRepositoryCompliance,
  type StoreFactory,
} from './testing/compliance.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh file per store, so `reopen` opens the same data again as a restart would, and `openAnother` as a second process would. */
let lastFile = '';
const sqlite: Required<StoreFactory> = {
  open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-access-'));
    dirs.push(dir);
    lastFile = path.join(dir, 'access.db');
    return createSqliteAccessStore(lastFile);
  },
  async reopen(store) {
    await store.close();
    return createSqliteAccessStore(lastFile);
  },
  openAnother: () => createSqliteAccessStore(lastFile),
};

requestRepositoryCompliance('sqlite', sqlite);
grantRepositoryCompliance('sqlite', sqlite);
membershipRepositoryCompliance('sqlite', sqlite);
concurrentWriterCompliance('sqlite', sqlite);

test('the store keeps a schema version and refuses a newer file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-access-'));
  dirs.push(dir);
  const file = path.join(dir, 'access.db');
  await createSqliteAccessStore(file).close();
  const raw = new Database(file);
  expect(raw.pragma('user_version', { simple: true })).toBe(1);
  raw.pragma('user_version = 99');
  raw.close();
  expect(() => createSqliteAccessStore(file)).toThrow(/schema version 99 is newer than this software knows \(1\)/);
});
