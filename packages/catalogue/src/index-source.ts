/**
 * The catalogue seen by its count index (@biospec/count-index): the data
 * epoch, the withdrawals between two epochs, and snapshots of the
 * non-withdrawn rows, each read on a connection of its own in one read transaction.
 */
import Database from 'better-sqlite3';
import type { IndexRow, IndexSource, RowSnapshot } from '@biospec/count-index';
import { WITHDRAWN_CODE } from './codebook.js';
import { readEpoch } from './epoch.js';

const SCAN = `SELECT s.id, s.donor_id, coalesce(s.root_id, s.sample_id), s.material_type, s.sex, s.storage_temperature,
  s.status, s.collection, s.age_at_collection, s.collected_start, s.collected_end, s.diagnosis, s.anatomical_site,
  s.permitted_uses, s.quantity, s.age_band, s.diagnosis_chapter, s.sample_id
  FROM specimen s WHERE s.status <> ${WITHDRAWN_CODE} ORDER BY s.donor_id`;


/** A read-only connection for snapshots: the file's pages stay out of this process (the index is all it needs). */
export function openSnapshotReader(path: string): Database.Database {
  const reader = new Database(path, { readonly: true, fileMustExist: true });
  reader.pragma('busy_timeout = 5000');
  reader.pragma('mmap_size = 0');
  reader.pragma('cache_size = -8192');
  return reader;
}

/** Opens a snapshot on `reader`: a read transaction held until `close`. */
export function openRowSnapshot(reader: Database.Database, closeReader = false): RowSnapshot & { close(): void } {
  reader.exec('BEGIN');
  try {
    const snapshot = {
      epoch: readEpoch(reader),
      codes: reader.prepare('SELECT kind, code, name FROM code').raw().all() as [string, number, string][],
      rows: reader.prepare(`SELECT COUNT(*) FROM specimen WHERE status <> ${WITHDRAWN_CODE}`).pluck().get() as number,
      scan: () => reader.prepare(SCAN).raw().iterate() as IterableIterator<IndexRow>,
      close() {
        if (reader.inTransaction) reader.exec('COMMIT');
        if (closeReader) reader.close();
      },
    };
    return snapshot;
  } catch (error) {
    if (reader.inTransaction) reader.exec('ROLLBACK');
    throw error;
  }
}

/** The index source of the catalogue at `path`, read through its connection `db`. */
export function createIndexSource(path: string, db: Database.Database): IndexSource {
  const changesSince = db.prepare('SELECT kind, donor_id, epoch FROM catalogue_events WHERE epoch > ? AND epoch <= ? ORDER BY id');
  const rowsOfDonor = db.prepare('SELECT id FROM specimen WHERE donor_id = ?').pluck();
  return {
    epoch: () => readEpoch(db),
    withdrawalsBetween(from, to) {
      return db.transaction(() => {
        const events = changesSince.all(from, to) as { kind: string; donor_id: string | null; epoch: number }[];
        const last = events[events.length - 1];
        if (last === undefined || last.epoch !== to) return null;
        if (events.some((e) => e.kind !== 'withdrawal' || e.donor_id === null)) return null;
        return events.map((e) => ({ donorId: e.donor_id as string, rowIds: rowsOfDonor.all(e.donor_id) as number[] }));
      })();
    },
    openSnapshot: () => openRowSnapshot(openSnapshotReader(path), true),
  };
}
