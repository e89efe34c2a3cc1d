/**
 * The catalogue seen by its count index (@biospec/count-index): the data
 * epoch, the changes between two epochs, the donor of a row, snapshots of the
 * non-withdrawn rows (each read on a connection of its own in one read
 * transaction), and index builds on a worker thread (index-worker.ts).
 */
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CatalogueChange, IndexRow, IndexSource, LoadedIndex, RowSnapshot, SnapshotKey } from '@biospec/count-index';
import { BiospecError } from '@biospec/protocol/core';
import { WITHDRAWN_CODE } from './codebook.js';
import { readEpoch } from './epoch.js';
import type { IndexWorkerReply, IndexWorkerRequest } from './index-worker-protocol.js';
import { compiledWorker } from './worker-script.js';

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
    return {
      epoch: readEpoch(reader),
      codes: reader.prepare('SELECT kind, code, name FROM code').raw().all() as [string, number, string][],
      rows: reader.prepare(`SELECT COUNT(*) FROM specimen WHERE status <> ${WITHDRAWN_CODE}`).pluck().get() as number,
      scan: () => reader.prepare(SCAN).raw().iterate() as IterableIterator<IndexRow>,
      close() {
        if (reader.inTransaction) reader.exec('COMMIT');
        if (closeReader) reader.close();
      },
    };
  } catch (error) {
    if (reader.inTransaction) reader.exec('ROLLBACK');
    if (closeReader) reader.close();
    throw error;
  }
}

/** The file a catalogue's count index is persisted in. */
export function snapshotPathOf(cataloguePath: string): string {
  return `${cataloguePath}.count-index`;
}

export interface IndexSourceOptions {
  /** What a persisted index must have been built for. */
  key: SnapshotKey;
  /** Write built indexes to {@link snapshotPathOf}. */
  persist: boolean;
}

export interface CatalogueIndexSource extends IndexSource {
  /** Stops a build in flight. */
  close(): void;
  /** Resolves once every build worker has exited (after `close`, nothing of the index writes to disk any more). */
  stopped(): Promise<void>;
}

/** The index source of the catalogue at `path`, read through its connection `db`. */
export function createIndexSource(path: string, db: Database.Database, options?: IndexSourceOptions): CatalogueIndexSource {
  const changes = db.prepare(
    `SELECT kind, donor_id AS donorId, epoch FROM catalogue_events
     WHERE epoch > ? AND epoch <= ? AND (kind = 'withdrawal' OR added + changed + removed > 0) ORDER BY id`,
  );
  const donorOf = db.prepare('SELECT donor_id FROM specimen WHERE id = ?').pluck();
  /** Each build worker with its stop flag (index-worker-protocol.ts: why they are not terminated). */
  const workers = new Map<Worker, Int32Array>();
  const source: CatalogueIndexSource = {
    epoch: () => readEpoch(db),
    changesBetween(from, to) {
      const list = changes.all(from, to) as CatalogueChange[];
      return list.length > 0 && list[list.length - 1]?.epoch === to ? list : null;
    },
    donorOfRow: (id) => donorOf.get(id) as string | undefined,
    openSnapshot: () => openRowSnapshot(openSnapshotReader(path), true),
    close() {
      // Each worker stops at its next build step and exits on its own.
      for (const stop of workers.values()) Atomics.store(stop, 0, 1);
    },
    stopped: () => Promise.all([...workers.keys()].map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())))).then(() => undefined),
  };
  const script = compiledWorker('index-worker.js', import.meta.url);
  if (script === undefined || options === undefined) return source;
  source.loadOffThread = ({ caps, tryFile }) =>
    new Promise<LoadedIndex>((resolve, reject) => {
      const stop = new SharedArrayBuffer(4);
      const request: IndexWorkerRequest = { path, snapshotPath: snapshotPathOf(path), key: options.key, caps, tryFile, persist: options.persist, stop };
      const worker = new Worker(script, { workerData: request });
      workers.set(worker, new Int32Array(stop));
      let settled = false;
      worker.on('message', (reply: IndexWorkerReply) => {
        settled = true;
        if (reply.type === 'error') reject(new BiospecError('INTERNAL', `count index build of ${path} failed: ${reply.message}`));
        else {
          const loaded: LoadedIndex = { built: reply.built, ms: reply.ms, from: reply.from };
          const problems = [reply.fileProblem && `persisted index not used: ${reply.fileProblem}`, reply.persistProblem && `not persisted: ${reply.persistProblem}`];
          const problem = problems.filter((p) => p !== undefined && p !== '').join('; ');
          if (problem !== '') loaded.fileProblem = problem;
          resolve(loaded);
        }
      });
      worker.on('error', (error) => {
        settled = true;
        reject(new BiospecError('INTERNAL', `count index build of ${path} failed: ${error.message}`, { cause: error }));
      });
      worker.on('exit', () => {
        workers.delete(worker);
        if (!settled) reject(new BiospecError('INTERNAL', `count index build of ${path} stopped before it finished`));
      });
    });
  return source;
}
