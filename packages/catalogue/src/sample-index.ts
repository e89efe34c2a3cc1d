/**
 * Builds the unique `specimen (sample_id)` index after a fresh import has
 * written its rows without it: one sort instead of a B-tree insert per row.
 * A repeated sample id makes the build fail; the repeats are then found in
 * SQL, handed to the caller to report, and deleted, so the index can be built
 * (the writer goes on with it in place, as if the repeats were never written).
 */
import type Database from 'better-sqlite3';

/** A row whose sample id an earlier row (by id, so by import order) already has. */
export interface RepeatedSample {
  id: number;
  sampleId: string;
  /** The row id of the first row with this sample id. */
  firstId: number;
}

/** Runs `createSql` (a CREATE UNIQUE INDEX on specimen); calls `repeated` for each repeat, in row order, before deleting them. */
export function buildSampleIndex(db: Database.Database, createSql: string, repeated: (row: RepeatedSample) => void): void {
  try {
    db.exec(createSql);
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
  }
  db.exec('CREATE TEMP TABLE IF NOT EXISTS import_repeat (id INTEGER PRIMARY KEY, first INTEGER NOT NULL)');
  db.exec('DELETE FROM temp.import_repeat');
  try {
    db.exec(
      `INSERT INTO temp.import_repeat (id, first)
       SELECT s.id, r.first FROM specimen s
       JOIN (SELECT sample_id, min(id) AS first FROM specimen GROUP BY sample_id HAVING count(*) > 1) r ON r.sample_id = s.sample_id
       WHERE s.id > r.first`,
    );
    const rows = db
      .prepare('SELECT r.id, s.sample_id, r.first FROM temp.import_repeat r JOIN specimen s ON s.id = r.id ORDER BY r.id')
      .raw()
      .iterate() as IterableIterator<[number, string, number]>;
    for (const [id, sampleId, firstId] of rows) repeated({ id, sampleId, firstId });
    db.exec('DELETE FROM specimen_diagnosis WHERE specimen_id IN (SELECT id FROM temp.import_repeat)');
    db.exec('DELETE FROM specimen WHERE id IN (SELECT id FROM temp.import_repeat)');
  } finally {
    db.exec('DELETE FROM temp.import_repeat');
  }
  db.exec(createSql);
}
