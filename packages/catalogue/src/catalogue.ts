/**
 * A node's specimen catalogue: one SQLite file in WAL mode, opened with
 * {@link openCatalogue}. Counts here are TRUE counts; disclosure control is
 * applied elsewhere before anything leaves the node.
 */
import Database from 'better-sqlite3';
import { BiospecError } from '@biospec/protocol';
import type { MaterialType, Query, SourceRow } from '@biospec/query';
import { createCodebook, WITHDRAWN_CODE } from './codebook.js';
import { compileCount, DIMENSION_COLUMNS, type CountRow } from './compile.js';
import { bumpEpoch, readEpoch } from './epoch.js';
import { listEvents, recordEvent, type CatalogueEvent } from './events.js';
import { importRows, type ImportOptions, type ImportReport } from './import.js';
import { assertCurrentSchema, migrate } from './migrations.js';
import { createCountIndex, type CountIndexMode, type CountIndexStatus } from './count-index/live-index.js';
import type { TrueCount } from './true-count.js';


/**
 * The coarse shape of a catalogue for the node's descriptor, over
 * non-withdrawn specimens only. Exact figures: the caller decides how coarse to publish them.
 */
export interface CatalogueSummary {
  /** Non-withdrawn specimen records (aliquots included). */
  specimens: number;
  /** Distinct donors with at least one non-withdrawn specimen. */
  donors: number;
  /** Distinct collections with at least one non-withdrawn specimen. */
  collections: number;
  /** Non-withdrawn specimen records per material type; types with none are omitted. */
  materialTypes: Partial<Record<MaterialType, number>>;
  epoch: number;
}

/** How a count is answered: the count index's bitmaps, its pre-aggregated profiles, or compiled SQL. */
export type CountRoute = 'index' | 'profile' | 'sql';

export interface Catalogue {
  /** The catalogue file. */
  readonly path: string;
  /** Non-withdrawn specimen records. */
  size(): number;
  /** The data epoch, bumped by every change to the specimens. */
  epoch(): number;
  /**
   * The true count of `query` (already validated). Strata keys list the
   * dimensions in `query.stratify` order; strata are sorted by the JSON of
   * their key with its properties in alphabetical order (as the reference evaluator sorts).
   */
  count(query: Query): TrueCount;
  /** How {@link count} would answer `query` now (for the node's latency metrics). */
  countRoute(query: Query): CountRoute;
  /** The count index's state (warming, ready, failed or off), without starting a build. */
  status(): CountIndexStatus;
  /**
   * Atomically imports `rows`: any rejected row rejects the whole import
   * (INVALID_DATA with every row's issues) and nothing is written. Runs on
   * its own connection, so counts meanwhile see the last committed data.
   */
  importRows(rows: AsyncIterable<SourceRow>, options?: ImportOptions): Promise<ImportReport>;
  /**
   * Consent withdrawal: every specimen of the donor becomes `withdrawn` at
   * once, and later imports cannot make them available again. NOT_FOUND for an unknown donor.
   */
  withdrawDonor(donorId: string, options?: { actor?: string; reason?: string }): { specimens: number; epoch: number };
  /** The newest catalogue events (imports and withdrawals), newest first. */
  events(limit?: number): CatalogueEvent[];
  summary(): CatalogueSummary;
  /**
   * Resolves when no count-index build is running, with the index's size and
   * build time, or null when counts are answered by SQL (index off or not built).
   */
  countIndexReady(): Promise<{ rows: number; bytes: number; buildMs: number } | null>;
  close(): void;
}

export interface OpenOptions {
  /** Open without writing anything: no migration, no import, no withdrawal. */
  readonly?: boolean;
  /**
   * The in-memory count index (see COUNT-INDEX.md): `background` (default)
   * builds it off the request path and counts with SQL until it is ready;
   * `inline` builds it on the count that needs it; `off` counts with SQL only.
   */
  countIndex?: CountIndexMode;
}

/** Page cache per connection; negative means KiB. */
const CACHE_SIZE_KIB = -65536;
const STATEMENT_CACHE_LIMIT = 256;

function configure(db: Database.Database): void {
  db.pragma('busy_timeout = 5000');
  db.pragma(`cache_size = ${CACHE_SIZE_KIB}`);
  db.pragma('temp_store = MEMORY');
  // No memory mapping: mapped pages count as the node's resident memory, and a count
  // answered by SQL (while the count index rebuilds) would map the whole file.
  db.pragma('mmap_size = 0');
}

function openWriter(path: string): Database.Database {
  const db = new Database(path);
  configure(db);
  db.pragma('journal_mode = WAL');
  // WAL with synchronous=NORMAL stays consistent after a crash; at worst the last commits are lost.
  db.pragma('synchronous = NORMAL');
  return db;
}

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

  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      if (statements.size >= STATEMENT_CACHE_LIMIT) statements.clear();
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const codes = createCodebook(db);
  const countIndex = createCountIndex({ path, db, mode: options.countIndex ?? 'background' });
  let importing = false;
  const assertWritable = (what: string): void => {
    if (readonly) throw new BiospecError('FAILED_PRECONDITION', `catalogue ${path} is open read-only; cannot ${what}`);
    if (importing) throw new BiospecError('FAILED_PRECONDITION', `an import into ${path} is in progress; cannot ${what} now`);
  };

  return {
    path,
    size: () => prepared(`SELECT COUNT(*) FROM specimen s WHERE s.status <> ${WITHDRAWN_CODE}`).pluck().get() as number,
    epoch: () => readEpoch(db),

    async countIndexReady() {
      await countIndex.idle();
      const stats = countIndex.stats();
      return stats && { rows: stats.rows, bytes: stats.bytes, buildMs: stats.buildMs };
    },

    status: () => countIndex.status(),

    countRoute(query) {
      const fromProfiles = countIndex.answersFromProfiles(query);
      return fromProfiles === undefined ? 'sql' : fromProfiles ? 'profile' : 'index';
    },

    count(query) {
      const indexed = countIndex.count(query);
      if (indexed !== undefined) return { total: indexed.total, strata: sortStrata(indexed.strata) };
      const compiled = compileCount(query, codes);
      const rows = prepared(compiled.sql).all(...compiled.params) as CountRow[];
      const strata: TrueCount['strata'] = [];
      let total = 0;
      for (const row of rows) {
        if (row.total_row === 1) {
          total = row.n;
          continue;
        }
        const key: Record<string, string> = {};
        compiled.dimensions.forEach((dimension, i) => {
          key[dimension] = codes.nameOf(DIMENSION_COLUMNS[dimension].kind, row[`d${i}`] as number);
        });
        strata.push({ key, count: row.n });
        if (!compiled.totalRow) total += row.n;
      }
      return { total, strata: sortStrata(strata) };
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

    withdrawDonor(donorId, withdrawOptions = {}) {
      assertWritable('withdraw a donor');
      return db.transaction(() => {
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
    },

    events: (limit = 100) => listEvents(db, limit),

    summary() {
      const totals = prepared(
        `SELECT COUNT(*) AS specimens, COUNT(DISTINCT s.donor_id) AS donors, COUNT(DISTINCT s.collection) AS collections
         FROM specimen s WHERE s.status <> ${WITHDRAWN_CODE}`,
      ).get() as { specimens: number; donors: number; collections: number };
      const byMaterial = prepared(
        `SELECT s.material_type AS code, COUNT(*) AS n FROM specimen s WHERE s.status <> ${WITHDRAWN_CODE} GROUP BY s.material_type`,
      ).all() as { code: number; n: number }[];
      const materialTypes: CatalogueSummary['materialTypes'] = {};
      const named = byMaterial.map(({ code, n }) => [codes.nameOf('material_type', code) as MaterialType, n] as const);
      for (const [name, n] of named.sort(([a], [b]) => (a < b ? -1 : 1))) materialTypes[name] = n;
      return { ...totals, materialTypes, epoch: readEpoch(db) };
    },

    close() {
      countIndex.close();
      db.close();
    },
  };
}

/** JSON of a stratum key with its properties sorted, the order strata are listed in. */
function sortKeyOf(key: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(key).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

function sortStrata(strata: TrueCount['strata']): TrueCount['strata'] {
  const keyed = strata.map((stratum) => ({ stratum, sortKey: sortKeyOf(stratum.key) }));
  keyed.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  return keyed.map(({ stratum }) => stratum);
}
