import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openCatalogue } from './catalogue.js';
import { createIndexSource, snapshotPathOf } from './index-source.js';
import { rowsOf, specimen, tempCataloguePath } from './test-helpers.js';

test('closing the source stops a build worker between its steps, which closes its own connection (it is never terminated)', async () => {
  const path = tempCataloguePath();
  const writer = openCatalogue(path, { countIndex: 'off' });
  await writer.importRows(rowsOf([specimen({ sample_id: 'a', donor_id: 'd0' }), specimen({ sample_id: 'b', donor_id: 'd1' })]));
  writer.close();

  const db = new Database(path, { readonly: true });
  const source = createIndexSource(path, db, { key: { catalogueId: 'test', schemaVersion: 0, caps: null }, persist: false });
  const build = source.loadOffThread!({ caps: null, tryFile: false });
  // Set before the worker has read a row: it stops at its first check and says so.
  source.close();
  await expect(build).rejects.toThrow('count index build of ' + path + ' failed: stopped: the catalogue was closed');

  // A build nobody stops still finishes.
  const again = createIndexSource(path, db, { key: { catalogueId: 'test', schemaVersion: 0, caps: null }, persist: false });
  await expect(again.loadOffThread!({ caps: null, tryFile: false })).resolves.toMatchObject({ from: 'build' });
  again.close();
  db.close();
});

test('stopped() resolves once the build worker has exited, its persisted index written: nothing writes after it', async () => {
  const path = tempCataloguePath();
  const writer = openCatalogue(path, { countIndex: 'off' });
  await writer.importRows(rowsOf([specimen({ sample_id: 'a', donor_id: 'd0' })]));
  writer.close();

  const db = new Database(path, { readonly: true });
  const source = createIndexSource(path, db, { key: { catalogueId: 'test', schemaVersion: 0, caps: null }, persist: true });
  const build = source.loadOffThread!({ caps: null, tryFile: false });
  await source.stopped();
  expect(existsSync(snapshotPathOf(path))).toBe(true);
  await expect(build).resolves.toMatchObject({ from: 'build' });
  // With no worker left, it resolves at once.
  await source.stopped();
  source.close();
  db.close();
});
