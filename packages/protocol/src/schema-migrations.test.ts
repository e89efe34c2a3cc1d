import Database from 'better-sqlite3';
import { migrateSchema, schemaVersionOf, type SchemaMigration } from './schema-migrations.js';

const STEPS: SchemaMigration<Database.Database>[] = [
  { version: 1, description: 'a table', up: (db) => db.exec('CREATE TABLE a (x INTEGER)') },
  { version: 2, description: 'a column', up: (db) => db.exec('ALTER TABLE a ADD COLUMN y TEXT') },
];

test('brings a new file to the newest version one step at a time, and does nothing the second time', () => {
  const db = new Database(':memory:');
  expect(migrateSchema(db, STEPS, 'test store')).toEqual({ from: 0, to: 2 });
  expect(schemaVersionOf(db)).toBe(2);
  expect(migrateSchema(db, STEPS, 'test store')).toEqual({ from: 2, to: 2 });
  db.close();
});

test('a failing step leaves the file at the version before it', () => {
  const db = new Database(':memory:');
  const failing = [STEPS[0]!, { version: 2, description: 'broken', up: (d: Database.Database) => d.exec('ALTER TABLE missing ADD COLUMN y') }];
  expect(() => migrateSchema(db, failing, 'test store')).toThrow(/no such table/);
  expect(schemaVersionOf(db)).toBe(1);
  db.close();
});

test('refuses a file newer than the software, naming the store', () => {
  const db = new Database(':memory:');
  db.pragma('user_version = 3');
  expect(() => migrateSchema(db, STEPS, 'test store')).toThrow(
    expect.objectContaining({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/^test store schema version 3 is newer than this software knows \(2\)/) }),
  );
  db.close();
});

test('refuses a history whose steps are not numbered 1, 2, 3', () => {
  const db = new Database(':memory:');
  expect(() => migrateSchema(db, [STEPS[1]!], 'test store')).toThrow(/migration 1 is numbered 2/);
  db.close();
});
