/**
 * A node's specimen catalogue: one SQLite file in WAL mode, opened with
 * {@link openCatalogue}. Counts here are TRUE counts; disclosure control is
 * applied elsewhere before anything leaves the node.
 *
 * Counts come from the count index (@biospec/count-index), built or read
 * from its persisted file on a worker thread; the compiled SQL answers, on a
 * worker thread of its own, only where the index cannot and the catalogue is
 * small enough to answer at once. Nothing here holds the event loop for long.
 */
import Database from 'better-sqlite3';
import { createCountIndex, type CountIndexMode, type CountIndexStatus } from '@biospec/count-index';
import { BiospecError } from '@biospec/protocol';
import type { ContributionCaps, CountQuestion, Expr, MaterialType, SourceRow } from '@biospec/query';
import type { ListedSpecimen } from './sql-worker-protocol.js';
import { createCodebook, WITHDRAWN_CODE } from './codebook.js';
import { configure, openWriter } from './connection.js';
import type { CsvOptions } from './csv-source.js';
import { csvSource } from './csv-source.js';
import { importWorkerScript, runImportWorker } from './import-runner.js';
import { bumpEpoch, readEpoch } from './epoch.js';
import { listEvents, recordEvent, type CatalogueEvent } from './events.js';
import { importRows, type ImportOptions, type ImportReport } from './import.js';
import { createIndexSource } from './index-source.js';
import { assertCurrentSchema, migrate, SCHEMA_VERSION } from './migrations.js';
import { createSqlCounter } from './sql-counter.js';
import { materialTypes } from './sql-count.js';
import type { CatalogueSummary } from './summary.js';
import { sortStrata } from './strata-order.js';
import type { TrueCount } from './true-count.js';

export type { CatalogueSummary } from './summary.js';

/** A true count with the data epoch it is true for, read together. */
export interface EpochCount extends TrueCount {
  epoch: number;
}

/** What answers counts now, for a node's health (see {@link Catalogue.status}). */
export interface CatalogueStatus extends CountIndexStatus {
  /**
   * How a count is answered now: `index` (current), `stale-index` (an older
   * epoch's index while the new one builds), `sql` (the compiled SQL, on a
   * small catalogue or with the index off), or `none` (WARMING_UP).
   */
  answering: 'index' | 'stale-index' | 'sql' | 'none';
}

/** How a count is answered: the count index's rows, its pre-aggregated profiles, or compiled SQL. */
export type CountRoute = 'index' | 'profile' | 'sql';

/** The logger a catalogue reports index builds to (pino's shape). */
export interface CatalogueLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface Catalogue {
  /** The catalogue file. */
  readonly path: string;
  /**
   * Non-withdrawn specimen records, as the answering index has them (or by
   * SQL on a small catalogue); WARMING_UP when nothing can say at once.
   */
  size(): number;
  /** The data epoch in the file, bumped by every change to the specimens. */
  epoch(): number;
  /**
   * The epoch counts are answered at right now (what {@link count} would be
   * true for if nothing changed meanwhile): the answering index's epoch, or
   * the file's when the SQL answers. WARMING_UP when no count can be answered quickly.
   */
  servingEpoch(): number;
  /**
   * The true count of `query` (already validated), with per-donor caps when
   * opened with them, and the epoch it is true for, read together. Strata keys
   * list the dimensions in `query.stratify` order; strata are sorted by the
   * JSON of their key with its properties in alphabetical order (as the
   * reference evaluator sorts). Rejects with WARMING_UP at once when no count
   * can be answered quickly (no index yet, and too many rows for SQL).
   */
  count(query: CountQuestion): Promise<EpochCount>;
  /** How {@link count} would answer `query` now (for the node's latency metrics); undefined when nothing answers yet. */
  countRoute(query: CountQuestion): CountRoute | undefined;
  /**
   * The non-withdrawn specimens matching `where` (already validated) in `collections`, in
   * sample id order, at most `limit`, with the epoch they were read at: what a granted
   * availability answer lists. Read by the SQL worker, so a large listing never holds the
   * event loop; answered whether or not the count index is ready.
   */
  listSpecimens(where: Expr | undefined, collections: readonly string[], limit: number): Promise<{ epoch: number; specimens: ListedSpecimen[] }>;
  /**
   * Atomically imports `rows`: any rejected row rejects the whole import
   * (INVALID_DATA with every row's issues) and nothing is written. Runs on
   * its own connection, so counts meanwhile see the last committed data.
   */
  importRows(rows: AsyncIterable<SourceRow>, options?: ImportOptions): Promise<ImportReport>;
  /**
   * Imports a CSV file as {@link importRows} does, on a worker thread: the
   * whole import (parsing, SQLite writes, commit) stays off this thread's event loop.
   */
  importCsvFile(csvPath: string, options?: CsvOptions & ImportOptions): Promise<ImportReport>;
  /**
   * Consent withdrawal: every specimen of the donor becomes `withdrawn` at
   * once (counts after this call never include them), and later imports
   * cannot make them available again. NOT_FOUND for an unknown donor.
   */
  withdrawDonor(donorId: string, options?: { actor?: string; reason?: string }): { specimens: number; epoch: number };
  /** The newest catalogue events (imports and withdrawals), newest first. */
  events(limit?: number): CatalogueEvent[];
  /** Totals for the node's descriptor, from the answering index (or SQL on a worker thread). */
  summary(): Promise<CatalogueSummary>;
  /** The count index's state: warming, ready or failed (with its cause), the epoch and rows it answers, its build time. */
  status(): CatalogueStatus;
  /**
   * Resolves when no count-index build is running and the index answers at
   * the current epoch, with its size and build time, or null when counts are
   * answered by SQL (index off or its build failed).
   */
  countIndexReady(): Promise<{ rows: number; bytes: number; buildMs: number } | null>;
  close(): void;
  /**
   * Resolves once the count-index workers have exited after `close`: a build stops at its next
   * step, but one writing the persisted index finishes that file first. A service awaits this
   * before it says it has stopped, so nothing writes into its folder afterwards.
   */
  stopped(): Promise<void>;
}

export interface OpenOptions {
  /** Open without writing anything: no migration, no import, no withdrawal. */
  readonly?: boolean;
  /**
   * The in-memory count index (see packages/count-index/COUNT-INDEX.md):
   * `background` (default) builds it on a worker thread (or reads it from its
   * persisted file) and meanwhile answers by SQL only on small catalogues;
   * `inline` builds it on the count that needs it (tests); `off` counts with SQL only.
   */
  countIndex?: CountIndexMode;
  /**
   * Per-donor contribution caps every count applies (see `ContributionCaps` in
   * @biospec/query): positive whole numbers. Absent: uncapped counts.
   */
  caps?: ContributionCaps;
  /** Where index builds (and their failures) are reported. */
  logger?: CatalogueLogger;
  /** Largest row id up to which SQL answers while the index is not ready ({@link SQL_FALLBACK_MAX_ROWS} by default). */
  sqlFallbackMaxRows?: number;
}

/**
 * Up to this many rows (by the largest row id), a count the index cannot
 * answer yet is answered by SQL on the worker: about 0.1 s for the heaviest
 * shapes at this size. Above, it is WARMING_UP until the index is ready.
 */
export const SQL_FALLBACK_MAX_ROWS = 100_000;

/**
 * Opens (creating and migrating when writable) the catalogue at `path`, a
 * file path (not `:memory:`: imports use a second connection to the same file).
 */
export function openCatalogue(path: string, options: OpenOptions = {}): Catalogue {
  const readonly = options.readonly === true;
  let db: Database.Database;
  if (readonly) {
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (cause) {
      throw new BiospecError('NOT_FOUND', `cannot open catalogue ${path} read-only: ${(cause as Error).message}`, { cause });
    }
    configure(db);
    try {
      assertCurrentSchema(db);
    } catch (error) {
      db.close();
      throw error;
    }
  } else {
    db = openWriter(path);
    try {
      migrate(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  const codes = createCodebook(db);
  const caps = options.caps === undefined ? undefined : checkedCaps(options.caps);
  const mode = options.countIndex ?? 'background';
  const logger = options.logger;
  const catalogueId = (db.prepare("SELECT value FROM meta WHERE key = 'catalogue_id'").pluck().get() as string | undefined) ?? '';
  const source = createIndexSource(path, db, {
    key: { catalogueId, schemaVersion: SCHEMA_VERSION, caps: caps === undefined ? null : JSON.stringify(caps) },
    persist: catalogueId !== '',
  });
  const countIndex = createCountIndex({
    source,
    mode,
    ...(caps === undefined ? {} : { caps }),
    onFailure: (cause) => logger?.warn({ catalogue: path, cause: cause.message }, 'count index build failed; counts answered by SQL only on small catalogues until it succeeds'),
    onReady: (info) => logger?.info({ catalogue: path, ...info }, 'count index ready'),
  });
  const sql = createSqlCounter(path, caps, db);
  const maxRowId = db.prepare('SELECT max(id) FROM specimen').pluck();
  const sizeBySql = db.prepare(`SELECT COUNT(*) FROM specimen s WHERE s.status <> ${WITHDRAWN_CODE}`).pluck();
  const sqlFallbackMaxRows = options.sqlFallbackMaxRows ?? SQL_FALLBACK_MAX_ROWS;
  const small = (): boolean => ((maxRowId.get() as number | null) ?? 0) <= sqlFallbackMaxRows;
  /** Who answers a count now. */
  const answering = (): CatalogueStatus['answering'] => {
    if (mode === 'off') return 'sql';
    const serving = countIndex.serving();
    if (serving?.fresh === true) return 'index';
    if (small()) return 'sql';
    return serving === undefined ? 'none' : 'stale-index';
  };
  const warmingUp = (): BiospecError => new BiospecError('WARMING_UP', 'count index warming up');

  let importing = false;
  const assertWritable = (what: string): void => {
    if (readonly) throw new BiospecError('FAILED_PRECONDITION', `catalogue ${path} is open read-only; cannot ${what}`);
    if (importing) throw new BiospecError('FAILED_PRECONDITION', `an import into ${path} is in progress; cannot ${what} now`);
  };

  return {
    path,
    size() {
      const way = answering();
      if (way === 'index' || way === 'stale-index') return countIndex.totals()?.rows ?? 0;
      if (way === 'sql') return sizeBySql.get() as number;
      throw warmingUp();
    },
    epoch: () => readEpoch(db),

    servingEpoch() {
      const way = answering();
      if (way === 'sql') return readEpoch(db);
      const serving = countIndex.serving();
      if (serving === undefined) throw warmingUp();
      return serving.epoch;
    },

    async count(query) {
      const way = answering();
      if (way === 'sql') return sql.count(query);
      const indexed = countIndex.count(query);
      if (indexed === undefined) throw warmingUp();
      return { epoch: indexed.epoch, total: indexed.total, strata: sortStrata(indexed.strata) };
    },

    countRoute(query) {
      const way = answering();
      if (way === 'none') return undefined;
      if (way === 'sql') return 'sql';
      return countIndex.answersFromProfiles(query) === true ? 'profile' : 'index';
    },

    listSpecimens: (where, collections, limit) => sql.list(where, collections, limit),

    async summary() {
      const way = answering();
      const totals = way === 'index' || way === 'stale-index' ? countIndex.totals() : undefined;
      if (totals === undefined) {
        if (way === 'none') throw warmingUp();
        return sql.summary();
      }
      const names = totals.names.get('material_type') ?? [];
      const counts = totals.materials.map((n, code) => [(names[code] ?? `#${code}`) as MaterialType, n] as const);
      return {
        specimens: totals.rows,
        donors: totals.donors,
        collections: totals.collections.filter((n) => n > 0).length,
        materialTypes: materialTypes(counts),
        epoch: totals.epoch,
      };
    },

    status() {
      return { ...countIndex.status(), answering: answering() };
    },

    async countIndexReady() {
      await countIndex.idle();
      const status = countIndex.status();
      const stats = status.state === 'ready' ? countIndex.stats() : null;
      return stats && { rows: stats.rows, bytes: stats.bytes, buildMs: stats.buildMs };
    },

    async importRows(rows, importOptions) {
      assertWritable('import');
      importing = true;
      const writer = openWriter(path);
      try {
        return await importRows(writer, rows, importOptions);
      } finally {
        writer.close();
        importing = false;
        codes.reload();
        countIndex.refresh();
      }
    },

    async importCsvFile(csvPath, importOptions = {}) {
      const script = importWorkerScript();
      if (script === undefined) return this.importRows(csvSource(csvPath, importOptions), { ...importOptions, source: importOptions.source ?? csvPath });
      assertWritable('import');
      importing = true;
      try {
        return await runImportWorker(script, path, csvPath, importOptions);
      } finally {
        importing = false;
        codes.reload();
        countIndex.refresh();
      }
    },

    withdrawDonor(donorId, withdrawOptions = {}) {
      assertWritable('withdraw a donor');
      const result = db.transaction(() => {
        const known = db.prepare('SELECT 1 FROM specimen WHERE donor_id = ? LIMIT 1').get(donorId);
        if (known === undefined) throw new BiospecError('NOT_FOUND', `no specimens of donor '${donorId}' in the catalogue`);
        const { changes } = db
          .prepare(`UPDATE specimen SET status = ${WITHDRAWN_CODE} WHERE donor_id = ? AND status <> ${WITHDRAWN_CODE}`)
          .run(donorId);
        db.prepare('INSERT OR IGNORE INTO withdrawn_donor (donor_id, at) VALUES (?, ?)').run(donorId, new Date().toISOString());
        const epoch = changes > 0 ? bumpEpoch(db) : readEpoch(db);
        recordEvent(db, {
          kind: 'withdrawal',
          actor: withdrawOptions.actor ?? null,
          source: null,
          donorId,
          reason: withdrawOptions.reason ?? null,
          withdrawn: changes,
          epoch,
          durationMs: null,
        });
        return { specimens: changes, epoch };
      }).immediate();
      // At once: the answering index stops counting the donor (or, if it cannot, stops answering).
      countIndex.refresh();
      return result;
    },

    events: (limit = 100) => listEvents(db, limit),

    stopped: () => source.stopped(),

    close() {
      countIndex.close();
      source.close();
      sql.close();
      // The workers' read-only connections end a moment later, so this one may not be the last to close
      // (which would checkpoint): copy the log into the file now, so a closed catalogue's file holds all of it.
      if (!readonly && db.open) db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}

function checkedCaps(caps: ContributionCaps): ContributionCaps {
  for (const name of ['specimens', 'aliquots', 'donorCells'] as const) {
    const value = caps[name];
    if (!Number.isInteger(value) || value < 1) {
      throw new BiospecError('INVALID_CONFIG', `contribution cap ${name} must be a whole number of at least 1, not ${String(value)}`);
    }
  }
  return { specimens: caps.specimens, aliquots: caps.aliquots, donorCells: caps.donorCells };
}
