/**
 * Writes validated, encoded rows into the specimen tables inside the
 * import's transaction, in buffers of {@link BUFFER_ROWS}: into an empty
 * catalogue as multi-row INSERTs with the secondary indexes built once at
 * the end; into a filled one as upserts, looking a buffer's existing rows up
 * with one query. Duplicate sample ids are found by the unique sample index,
 * not an in-memory set, and reported in row order with every other issue. A
 * fresh import builds that index too once its rows are in (or at its first
 * rejected row, from where issues must be found as they come).
 */
import type Database from 'better-sqlite3';
import { BiospecError, type Issue } from '@biospec/protocol/core';
import type { IssueLog } from './issue-log.js';
import { MAX_REPORTED_ISSUES } from './issue-log.js';
import { resolveRoots } from './root-resolution.js';
import { buildSampleIndex } from './sample-index.js';
import { createSampleLines } from './sample-lines.js';

export type StoredValue = string | number | null;

/** One row's values: the own fields in {@link OWN_COLUMNS} order, and what is derived from them. */
export interface RowValues {
  own: StoredValue[];
  mask: number;
  ageBand: number;
  chapter: number;
  /** Distinct diagnosis codes, for `specimen_diagnosis`. */
  diagnosisCodes: readonly number[];
}

/** The row's own fields: what decides "changed". */
const OWN_COLUMNS = [
  'donor_id',
  'collection',
  'material_type',
  'collected_start',
  'collected_end',
  'diagnosis',
  'anatomical_site',
  'sex',
  'age_at_collection',
  'storage_temperature',
  'consent',
  'status',
  'quantity',
  'parent_sample_id',
] as const;
const OWN = OWN_COLUMNS.length;
const PARENT = OWN_COLUMNS.indexOf('parent_sample_id');
/** Columns computed from the own fields. */
const DERIVED_COLUMNS = ['permitted_uses', 'root_id', 'age_band', 'diagnosis_chapter'] as const;
const WRITTEN_COLUMNS = [...OWN_COLUMNS, ...DERIVED_COLUMNS];
/** Parameters per row of the bulk INSERT: written columns, sample_id, id. */
const BULK_WIDTH = WRITTEN_COLUMNS.length + 2;

/** Rows per buffer, and so per multi-row INSERT (SQLite allows 32766 parameters per statement). */
const BUFFER_ROWS = 200;
const SAMPLE_INDEX = 'specimen_sample';

export interface ImportCounts {
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
}

type Duplicate = (firstLine: number) => Issue[];
/** The issue of a row repeating a sample id: the row's line (or ordinal) and the first row's. */
export type DuplicateWording = (sampleId: string, line: number, first: number) => Issue[];

export function createSpecimenWriter(db: Database.Database, log: IssueLog) {
  const fresh = db.prepare('SELECT 1 FROM specimen LIMIT 1').get() === undefined;
  const deferred = fresh ? deferIndexes(db) : { sampleIndex: undefined, others: [] };
  // While set, the unique sample index is away: nothing may look a sample id up in SQL.
  let sampleIndex = deferred.sampleIndex;
  const withdrawn = new Set(db.prepare('SELECT donor_id FROM withdrawn_donor').pluck().all() as string[]);
  const seen = createSampleLines();
  const counts: ImportCounts = { added: 0, changed: 0, unchanged: 0, removed: 0 };
  let nextId = ((db.prepare('SELECT max(id) FROM specimen').pluck().get() as number | null) ?? 0) + 1;
  // Fresh: a parent not yet written when its child was; upsert: anything that can move a root.
  let rootsUnsure = false;

  const statements = new Map<string, Database.Statement>();
  const prepared = (key: string, sql: () => string): Database.Statement => {
    let statement = statements.get(key);
    if (statement === undefined) {
      statement = db.prepare(sql());
      statements.set(key, statement);
    }
    return statement;
  };
  const bulkInsert = (rows: number) =>
    prepared(`bulk${rows}`, () => {
      const one = `(${new Array(BULK_WIDTH).fill('?').join(',')})`;
      return `INSERT INTO specimen (${WRITTEN_COLUMNS.join(', ')}, sample_id, id) VALUES ${new Array(rows).fill(one).join(',')}`;
    });
  const insertCodes = (pairs: number) =>
    prepared(`codes${pairs}`, () => `INSERT INTO specimen_diagnosis (specimen_id, code) VALUES ${new Array(pairs).fill('(?,?)').join(',')}`);
  const selectExisting = (rows: number) =>
    prepared(`existing${rows}`, () => `SELECT id, ${OWN_COLUMNS.join(', ')}, sample_id FROM specimen WHERE sample_id IN (${new Array(rows).fill('?').join(',')})`).raw();
  // Prepared when first needed: its conflict target needs the sample index.
  const insertOne = () =>
    prepared(
      'one',
      () => `INSERT INTO specimen (${WRITTEN_COLUMNS.join(', ')}, sample_id, id) VALUES (${new Array(BULK_WIDTH).fill('?').join(', ')})
     ON CONFLICT (sample_id) DO NOTHING`,
    );
  const update = db.prepare(
    `UPDATE specimen SET (${WRITTEN_COLUMNS.join(', ')}) = (${WRITTEN_COLUMNS.map(() => '?').join(', ')}) WHERE id = ?`,
  );
  const deleteCodes = db.prepare('DELETE FROM specimen_diagnosis WHERE specimen_id = ?');
  const selectId = db.prepare('SELECT id FROM specimen WHERE sample_id = ?').pluck();
  const selectRoot = db.prepare('SELECT donor_id, coalesce(root_id, sample_id) FROM specimen WHERE sample_id = ?').raw();

  // Sample ids of rejected records, so a later row repeating one is reported as a duplicate.
  let rejectedIds: { find: Database.Statement; add: Database.Statement } | undefined;
  const rejectedIdsTable = () => {
    if (rejectedIds === undefined) {
      db.exec('CREATE TEMP TABLE IF NOT EXISTS import_rejected_id (sample_id TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID');
      db.exec('DELETE FROM temp.import_rejected_id');
      rejectedIds = {
        find: db.prepare('SELECT line FROM temp.import_rejected_id WHERE sample_id = ?').pluck(),
        add: db.prepare('INSERT INTO temp.import_rejected_id (sample_id, line) VALUES (?, ?)'),
      };
    }
    return rejectedIds;
  };

  /**
   * The root a row of `donor` with parent `parent` gets: from the rows written so far (and, in bulk,
   * buffered rows before `upTo`). A parent of another donor is itself the root (root-resolution.ts).
   */
  const rootOf = (parent: string | null, donor: string, upTo = 0): string | null => {
    if (parent === null) return null;
    // Children usually follow their parents closely: look in the buffer first.
    for (let j = upTo - 1; j >= 0; j--) {
      if (sampleIds[j] === parent && rejected[j] === undefined) return own[j * OWN] === donor ? (roots[j] ?? parent) : parent;
    }
    if (sampleIndex !== undefined) {
      // No rejected rows so far, and no index to look further back than the previous buffer.
      for (let j = previousIds.length - 1; j >= 0; j--) {
        if (previousIds[j] === parent) return previousDonors[j] === donor ? (previousRoots[j] ?? parent) : parent;
      }
      rootsUnsure = true;
      return parent;
    }
    const stored = selectRoot.get(parent) as [string, string] | undefined;
    if (stored !== undefined) return stored[0] === donor ? stored[1] : parent;
    // Not written (yet): a parent outside the catalogue, or one listed later.
    if (fresh) rootsUnsure = true;
    return parent;
  };

  // The buffer: rows in arrival order, rejected ones included so issues stay in row order.
  const own: StoredValue[] = new Array(BUFFER_ROWS * OWN);
  let sampleIds: (string | undefined)[] = [];
  let roots: (string | null)[] = [];
  let donors: string[] = [];
  // The previous buffer's rows, all written, while the sample index is away (swapped with the buffer's arrays).
  let previousIds: (string | undefined)[] = [];
  let previousRoots: (string | null)[] = [];
  let previousDonors: string[] = [];
  const lines: number[] = [];
  const masks: number[] = [];
  const ageBands: number[] = [];
  const chapters: number[] = [];
  const diagnosisCodes: (readonly number[])[] = [];
  const rejected: (Issue[] | undefined)[] = [];
  const duplicates: (Duplicate | undefined)[] = [];
  let pending = 0;
  let pendingRejected = 0;
  let pendingRejectedIds = 0;
  const bulkParams: StoredValue[] = new Array(BUFFER_ROWS * BULK_WIDTH);
  const codePairs: number[] = [];

  /** How a repeated sample id is worded for rows added without a wording of their own (see `wordDuplicates`). */
  let wording: DuplicateWording = (sampleId, line, first) => [
    { line, field: 'sample_id', message: `duplicate sample_id '${sampleId}' (first on line ${first})` },
  ];
  const defaultDuplicate = (sampleId: string, line: number): Duplicate => (first) => wording(sampleId, line, first);
  const duplicateOf = (i: number): Issue[] => {
    const first = (rejectedIds?.find.get(sampleIds[i]) as number | undefined) ?? lineOfSample(sampleIds[i] as string);
    if (first === undefined) return [];
    return (duplicates[i] ?? defaultDuplicate(sampleIds[i] as string, lines[i] as number))(first);
  };
  const lineOfSample = (sampleId: string): number | undefined => {
    const id = selectId.get(sampleId) as number | undefined;
    return id === undefined ? undefined : seen.lineOf(id);
  };

  const writeCodes = (): void => {
    const total = codePairs.length / 2;
    let done = 0;
    while (done < total) {
      const n = Math.min(BUFFER_ROWS, total - done);
      insertCodes(n).run(codePairs.slice(done * 2, (done + n) * 2));
      done += n;
    }
    codePairs.length = 0;
  };
  const queueCodes = (id: number, i: number): void => {
    for (const code of diagnosisCodes[i] as readonly number[]) codePairs.push(id, code);
  };
  const writtenRow = (i: number, root: string | null, sampleId: string, id: number | null): StoredValue[] => {
    const row = own.slice(i * OWN, (i + 1) * OWN);
    row.push(masks[i] as number, root, ageBands[i] as number, chapters[i] as number, sampleId, id);
    return row;
  };

  const rejectBuffered = (i: number): void => {
    const issues = rejected[i] as Issue[];
    const sampleId = sampleIds[i];
    if (sampleId === undefined) {
      log.reject(issues);
      return;
    }
    const duplicate = duplicateOf(i);
    if (duplicate.length === 0) rejectedIdsTable().add.run(sampleId, lines[i]);
    log.reject([...issues, ...duplicate]);
  };

  /** Fresh catalogue, no rejected ids about: one INSERT for the buffer's rows; false on a duplicate. */
  const flushBulk = (): boolean => {
    let rows = 0;
    let p = 0;
    for (let i = 0; i < pending; i++) {
      if (rejected[i] !== undefined) continue;
      const sampleId = sampleIds[i] as string;
      const root = rootOf(own[i * OWN + PARENT] as string | null, own[i * OWN] as string, i);
      roots[i] = root;
      donors[i] = own[i * OWN] as string;
      for (let f = i * OWN, last = f + OWN; f < last; f++) bulkParams[p++] = own[f] as StoredValue;
      bulkParams[p++] = masks[i] as number;
      bulkParams[p++] = root;
      bulkParams[p++] = ageBands[i] as number;
      bulkParams[p++] = chapters[i] as number;
      bulkParams[p++] = sampleId;
      bulkParams[p++] = nextId + rows;
      rows++;
    }
    if (rows > 0) {
      try {
        bulkInsert(rows).run(rows === BUFFER_ROWS ? bulkParams : bulkParams.slice(0, p));
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
        throw error;
      }
    }
    let id = nextId;
    for (let i = 0; i < pending; i++) {
      if (rejected[i] !== undefined) {
        log.reject(rejected[i] as Issue[]);
        continue;
      }
      seen.add(id, lines[i] as number);
      queueCodes(id, i);
      id++;
    }
    nextId = id;
    counts.added += rows;
    writeCodes();
    return true;
  };

  /** Row by row, in order: upserts, and fresh buffers holding a duplicate or rejected ids. */
  const flushRows = (): void => {
    const existing = new Map<string, StoredValue[]>();
    if (!fresh) {
      const ids = sampleIds.slice(0, pending).filter((id): id is string => id !== undefined);
      if (ids.length > 0) for (const row of selectExisting(ids.length).all(ids) as StoredValue[][]) existing.set(row[OWN + 1] as string, row);
    }
    for (let i = 0; i < pending; i++) {
      if (rejected[i] !== undefined) {
        rejectBuffered(i);
        continue;
      }
      const sampleId = sampleIds[i] as string;
      const line = lines[i] as number;
      const earlier = rejectedIds?.find.get(sampleId) as number | undefined;
      if (earlier !== undefined) {
        log.reject((duplicates[i] ?? defaultDuplicate(sampleId, line))(earlier));
        continue;
      }
      const stored = existing.get(sampleId);
      if (stored !== undefined) {
        const id = stored[0] as number;
        const first = seen.add(id, line);
        if (first !== undefined) {
          log.reject((duplicates[i] ?? defaultDuplicate(sampleId, line))(first));
          continue;
        }
        if (sameFields(stored, i)) {
          counts.unchanged++;
          continue;
        }
        // A new parent, or a new donor (roots are resolved within donors), can move roots.
        if (stored[PARENT + 1] !== own[i * OWN + PARENT] || stored[1] !== own[i * OWN]) rootsUnsure = true;
        const root = rootOf(own[i * OWN + PARENT] as string | null, own[i * OWN] as string);
        const row = writtenRow(i, root, sampleId, id);
        row.splice(row.length - 2, 1);
        update.run(row);
        deleteCodes.run(id);
        queueCodes(id, i);
        counts.changed++;
        continue;
      }
      const parent = own[i * OWN + PARENT] as string | null;
      const root = rootOf(parent, own[i * OWN] as string);
      if (insertOne().run(writtenRow(i, root, sampleId, nextId)).changes === 0) {
        log.reject(duplicateOf(i));
        continue;
      }
      if (!fresh && parent !== null) rootsUnsure = true;
      seen.add(nextId, line);
      existing.set(sampleId, [nextId]);
      queueCodes(nextId, i);
      nextId++;
      counts.added++;
    }
    writeCodes();
  };

  const sameFields = (stored: readonly StoredValue[], i: number): boolean => {
    // stored[0] is the row id.
    for (let f = 0; f < OWN; f++) if (stored[f + 1] !== own[i * OWN + f]) return false;
    return true;
  };

  /** Brings the sample index back, reporting (and dropping) the rows written so far that repeat a sample id. */
  const restoreSampleIndex = (): void => {
    if (sampleIndex === undefined) return;
    buildSampleIndex(db, sampleIndex, ({ id, sampleId, firstId }) => {
      log.reject(defaultDuplicate(sampleId, seen.lineOf(id) as number)(seen.lineOf(firstId) as number));
      // Written and counted by a bulk insert, now taken out again.
      counts.added--;
    });
    sampleIndex = undefined;
  };

  const flush = (): void => {
    if (pending === 0) return;
    // From a rejected row on, issues are reported as they come, which needs the index.
    if (pendingRejected > 0) restoreSampleIndex();
    if (!fresh || pendingRejectedIds > 0 || rejectedIds !== undefined || !flushBulk()) flushRows();
    pending = 0;
    pendingRejected = 0;
    pendingRejectedIds = 0;
    if (sampleIndex !== undefined) {
      [previousIds, sampleIds] = [sampleIds, previousIds];
      [previousRoots, roots] = [roots, previousRoots];
      [previousDonors, donors] = [donors, previousDonors];
    }
    sampleIds.length = 0;
    lines.length = 0;
    rejected.length = 0;
    duplicates.length = 0;
    diagnosisCodes.length = 0;
  };

  return {
    /** True when the catalogue was empty: every row is an insert. */
    fresh,
    isWithdrawn: (donorId: string): boolean => withdrawn.size > 0 && withdrawn.has(donorId),
    /**
     * Words repeated sample ids of rows added without a wording of their own
     * (by default `(first on line N)`). A row added with its own wording brings
     * the sample index back at once; rows worded here let a fresh import build
     * it once at the end, and the repeats it then finds are worded here too.
     */
    wordDuplicates(word: DuplicateWording): void {
      wording = word;
    },
    /** Buffers a valid row; `duplicate` words the issue if its sample id was listed before. */
    add(sampleId: string, line: number, values: RowValues, duplicate?: Duplicate): void {
      // Repeats found when the index is built are worded by line; a row with its own wording needs the index now.
      if (duplicate !== undefined) restoreSampleIndex();
      const i = pending++;
      const base = i * OWN;
      for (let f = 0; f < OWN; f++) own[base + f] = values.own[f] as StoredValue;
      sampleIds[i] = sampleId;
      lines[i] = line;
      masks[i] = values.mask;
      ageBands[i] = values.ageBand;
      chapters[i] = values.chapter;
      diagnosisCodes[i] = values.diagnosisCodes;
      rejected[i] = undefined;
      duplicates[i] = duplicate;
      if (pending === BUFFER_ROWS) flush();
    },
    /** Buffers a rejected row with its located issues; its sample id (if any) still counts for duplicates. */
    reject(issues: Issue[], sampleId: string | undefined, line: number, duplicate?: Duplicate): void {
      const i = pending++;
      pendingRejected++;
      sampleIds[i] = sampleId;
      lines[i] = line;
      rejected[i] = issues;
      duplicates[i] = duplicate;
      diagnosisCodes[i] = [];
      if (sampleId !== undefined) pendingRejectedIds++;
      if (pending === BUFFER_ROWS) flush();
    },
    /** Writes the buffered rows now, so {@link listed} knows them. */
    flushBuffered(): void {
      flush();
    },
    /** Whether this import has listed (written) catalogue row `id`; only for rows already flushed. */
    listed: (id: number): boolean => seen.has(id),
    /** After the last row: writes the buffer and brings the sample index back; repeated sample ids are in the log afterwards. */
    end(): void {
      flush();
      restoreSampleIndex();
    },
    /** After {@link end} left the log clean: indexes, removals, roots. Returns the counts. */
    finish(options: { removeMissing: boolean }): ImportCounts {
      if (pending > 0 || sampleIndex !== undefined) throw new BiospecError('INTERNAL', 'the specimen writer was finished before its end');
      for (const sql of deferred.others) db.exec(sql);
      if (options.removeMissing && !fresh) {
        counts.removed = removeUnlisted(db, (id) => seen.has(id));
        if (counts.removed > 0) rootsUnsure = true;
      }
      if (rootsUnsure) resolveRoots(db, lineOfSample, MAX_REPORTED_ISSUES);
      if (rejectedIds !== undefined) db.exec('DELETE FROM temp.import_rejected_id');
      return counts;
    },
  };
}

/**
 * Loading into an empty catalogue is much faster with the indexes built once
 * at the end than maintained row by row. Drops them and returns their
 * definitions (the schema's own, so this follows future migrations): the
 * unique sample index apart, as the writer brings it back first.
 */
function deferIndexes(db: Database.Database): { sampleIndex: string; others: string[] } {
  const indexes = db
    .prepare(
      `SELECT name, sql FROM sqlite_master
       WHERE type = 'index' AND tbl_name IN ('specimen', 'specimen_diagnosis') AND sql IS NOT NULL`,
    )
    .all() as { name: string; sql: string }[];
  if (!indexes.some(({ name }) => name === SAMPLE_INDEX)) {
    throw new BiospecError('INTERNAL', `the catalogue has no unique index ${SAMPLE_INDEX} on specimen (sample_id)`);
  }
  for (const { name } of indexes) db.exec(`DROP INDEX "${name.replaceAll('"', '""')}"`);
  return {
    sampleIndex: indexes.find(({ name }) => name === SAMPLE_INDEX)?.sql as string,
    others: indexes.filter(({ name }) => name !== SAMPLE_INDEX).map(({ sql }) => sql),
  };
}

/** Deletes the specimens `listed` says this import did not list; returns how many. */
function removeUnlisted(db: Database.Database, listed: (id: number) => boolean): number {
  const gone: number[] = [];
  for (const id of db.prepare('SELECT id FROM specimen').pluck().iterate() as IterableIterator<number>) {
    if (!listed(id)) gone.push(id);
  }
  const deleteCodes = db.prepare('DELETE FROM specimen_diagnosis WHERE specimen_id = ?');
  const deleteSpecimen = db.prepare('DELETE FROM specimen WHERE id = ?');
  for (const id of gone) {
    deleteCodes.run(id);
    deleteSpecimen.run(id);
  }
  return gone.length;
}
