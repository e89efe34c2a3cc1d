import Database from 'better-sqlite3';
import { BiospecError } from '@biospec/protocol';
import { openCatalogue } from './catalogue.js';
import { migrate, MIGRATIONS, schemaVersion, SCHEMA_VERSION, type Migration } from './migrations.js';
import { contentOf, recordsOf, rowsOf, specimen, tempCataloguePath } from './test-helpers.js';

describe('migrations', () => {
  test('a new catalogue is created at the current version, in WAL mode, with epoch 0', () => {
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path);
    expect(catalogue.epoch()).toBe(0);
    expect(catalogue.size()).toBe(0);
    catalogue.close();
    const db = new Database(path, { readonly: true });
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  test('opening again and migrating again change nothing', () => {
    const path = tempCataloguePath();
    openCatalogue(path).close();
    const before = contentOf(path);
    openCatalogue(path).close();
    const db = new Database(path);
    expect(migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    db.close();
    expect(contentOf(path)).toBe(before);
  });

  test('steps run in order, each once, and a failing step leaves the previous version', () => {
    const path = tempCataloguePath();
    const db = new Database(path);
    const applied: number[] = [];
    const steps: Migration[] = [
      { version: 1, description: 'a', up: (d) => (applied.push(1), d.exec('CREATE TABLE a (x)')) },
      { version: 2, description: 'b', up: (d) => (applied.push(2), d.exec('CREATE TABLE b (x)')) },
    ];
    expect(migrate(db, steps.slice(0, 1))).toEqual({ from: 0, to: 1 });
    expect(migrate(db, steps)).toEqual({ from: 1, to: 2 });
    expect(migrate(db, steps)).toEqual({ from: 2, to: 2 });
    expect(applied).toEqual([1, 2]);

    const broken: Migration = {
      version: 3,
      description: 'fails halfway',
      up: (d) => {
        d.exec('CREATE TABLE c (x)');
        d.exec('THIS IS NOT SQL');
      },
    };
    expect(() => migrate(db, [...steps, broken])).toThrow();
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'c'").get()).toBeUndefined();
    db.close();
  });

  test('a catalogue newer than this software is refused, read-write and read-only', () => {
    const path = tempCataloguePath();
    openCatalogue(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    for (const open of [() => openCatalogue(path), () => openCatalogue(path, { readonly: true })]) {
      let error: unknown;
      try {
        open();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BiospecError);
      expect((error as BiospecError).code).toBe('FAILED_PRECONDITION');
      expect((error as BiospecError).message).toMatch(/newer than this software/);
    }
  });

  test('read-only opening neither creates nor migrates', () => {
    const path = tempCataloguePath();
    expect(() => openCatalogue(path, { readonly: true })).toThrow(BiospecError);
    const empty = new Database(path);
    empty.close();
    expect(() => openCatalogue(path, { readonly: true })).toThrow(/not a catalogue/);
  });

  test('version 3 resolves the roots of a version-2 catalogue within each donor, and moves the epoch when one moved', async () => {
    const path = tempCataloguePath();
    const catalogue = openCatalogue(path, { countIndex: 'off' });
    // Written by this code: roots already within donors (x under d1 names d0's p as its root).
    await catalogue.importRows(
      rowsOf([
        specimen({ sample_id: 'p', donor_id: 'd0' }),
        specimen({ sample_id: 'p-1', donor_id: 'd0', parent_sample_id: 'p' }),
        specimen({ sample_id: 'x', donor_id: 'd1', parent_sample_id: 'p-1' }),
        specimen({ sample_id: 'x-1', donor_id: 'd1', parent_sample_id: 'x' }),
        specimen({ sample_id: 'y', donor_id: 'd1', parent_sample_id: 'gone' }),
      ]),
    );
    catalogue.close();
    const within = { p: 'p', 'p-1': 'p', x: 'p-1', 'x-1': 'p-1', y: 'gone' };
    const roots = () => Object.fromEntries(Object.entries(recordsOf(path)).map(([id, r]) => [id, r.root_id]));
    expect(roots()).toEqual(within);

    // As versions 1 and 2 left it: roots followed through every donor's records.
    const db = new Database(path);
    db.prepare("UPDATE specimen SET root_id = 'p' WHERE sample_id IN ('x', 'x-1')").run();
    db.pragma('user_version = 2');
    expect(migrate(db)).toEqual({ from: 2, to: SCHEMA_VERSION });
    const epoch = () => db.prepare("SELECT value FROM meta WHERE key = 'epoch'").pluck().get();
    expect(epoch()).toBe(2);
    expect(roots()).toEqual(within);

    // Nothing to move: the epoch stays.
    db.pragma('user_version = 2');
    migrate(db, MIGRATIONS);
    expect(epoch()).toBe(2);
    db.close();
  });
});
