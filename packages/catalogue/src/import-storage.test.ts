import fs from 'node:fs';
import Database from 'better-sqlite3';
import { BiospecError, type StorageFault } from '@biospec/protocol';
import type { SpecimenRecord } from '@biospec/query';
import { openCatalogue } from './catalogue.js';
import { importRows } from './import.js';
import { rowsOf, specimen, tempCataloguePath } from './test-helpers.js';

const donors = (from: number, count: number): SpecimenRecord[] =>
  Array.from({ length: count }, (_, i) => specimen({ sample_id: `S${from + i}`, donor_id: `D${from + i}` }));

/**
 * SQLite's own size limit (`max_page_count`) makes the import's writes fail with SQLITE_FULL, as a
 * full disk does, without needing root for a real small filesystem (test/src/storage-faults.test.ts has that).
 */
test('a storage fault during an import is told with its file first, rolled back, and the write-ahead log truncated', async () => {
  const file = tempCataloguePath();
  openCatalogue(file, { countIndex: 'off' }).close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  await importRows(db, rowsOf(donors(0, 50)));
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages + 200}`);
  // A small page cache spills the import's pages to the write-ahead log as it goes, as a big import does.
  db.pragma('cache_size = 10');

  const faults: { fault: StorageFault; walBytes: number }[] = [];
  let caught: unknown;
  try {
    await importRows(db, rowsOf(donors(1000, 20_000)), { onStorageFault: (fault) => faults.push({ fault, walBytes: fs.statSync(`${file}-wal`).size }) });
  } catch (err) {
    caught = err;
  }
  // Told before anything else was attempted: the failed writes were still in the write-ahead log.
  expect(faults).toHaveLength(1);
  expect(faults[0]!.fault).toEqual({ file, code: 'SQLITE_FULL', message: 'database or disk is full' });
  expect(faults[0]!.walBytes).toBeGreaterThan(0);
  expect(caught).toBeInstanceOf(BiospecError);
  expect((caught as BiospecError).code).toBe('UNAVAILABLE');
  expect((caught as BiospecError).message).toBe(`${file}: the disk is full (SQLITE_FULL); nothing was imported`);
  expect(db.inTransaction).toBe(false);
  expect(fs.statSync(`${file}-wal`).size).toBe(0);
  expect(db.prepare('SELECT COUNT(*) FROM specimen').pluck().get()).toBe(50);
  db.close();
});
