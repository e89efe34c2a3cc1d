/**
 * The one atomic import path every source (CSV, FHIR) goes through: validate
 * every row, upsert by sample_id, optionally remove what the import no longer
 * lists, resolve root ancestors, bump the epoch and record the event, all in
 * one transaction that is rolled back if anything at all is wrong.
 */
import type Database from 'better-sqlite3';
import { BiospecError, type Issue } from '@biospec/protocol';
import { ageBand, diagnosisChapter, permittedUseMask, type SourceRow, type SpecimenRecord } from '@biospec/query';
import { bumpEpoch, readEpoch } from './epoch.js';
import { recordEvent } from './events.js';
import { partialDateSpan } from './partial-date.js';
import { createCodebook, type Codebook } from './codebook.js';
import { createSampleLines, type SampleLines } from './sample-lines.js';
import { checkRecord, type FieldIssue } from './specimen-rules.js';

export interface ImportOptions {
  /** Delete specimens whose sample_id this import does not list (a full replacement). */
  removeMissing?: boolean;
  /** Who ran the import, for the catalogue's event log. */
  actor?: string;
  /** Where the rows came from (file path), for the event log. */
  source?: string;
  /** Called every few thousand rows and once at the end with the rows read so far. */
  onProgress?: (rowsRead: number) => void;
}

export interface ImportReport {
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
  /** Always 0 in a report: an import with rejected rows throws instead. */
  rejected: number;
  /** Data epoch after the import (unchanged when nothing changed). */
  epoch: number;
  durationMs: number;
}

/** At most this many issues travel in an error; the message still counts them all. */
export const MAX_REPORTED_ISSUES = 1000;
const PROGRESS_EVERY = 8192;

/** The row's own fields, in the order {@link encode} produces them; what decides "changed". */
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
/** Columns computed from the own fields. */
const DERIVED_COLUMNS = ['permitted_uses', 'root_id', 'age_band', 'diagnosis_chapter'] as const;
const WRITTEN_COLUMNS = [...OWN_COLUMNS, ...DERIVED_COLUMNS];

type StoredValue = string | number | null;

/** Record → stored own fields: coded categoricals, YYYYMMDD day interval, joined diagnosis. */
function encode(r: SpecimenRecord, codes: Codebook): StoredValue[] {
  let start: number | null = null;
  let end: number | null = null;
  if (r.collected_on !== null) {
    const span = partialDateSpan(r.collected_on);
    if (!('error' in span)) {
      start = Number(span.first.replaceAll('-', ''));
      end = Number(span.last.replaceAll('-', ''));
    }
  }
  return [
    r.donor_id,
    codes.ensure('collection', r.collection_id),
    codes.ensure('material_type', r.material_type),
    start,
    end,
    r.diagnosis.length === 0 ? null : r.diagnosis.join(';'),
    r.anatomical_site === null ? null : codes.ensure('anatomical_site', r.anatomical_site),
    codes.ensure('sex', r.sex),
    r.age_at_collection,
    codes.ensure('storage_temperature', r.storage_temperature),
    codes.ensure('consent', r.consent.join(';')),
    codes.ensure('status', r.status),
    r.quantity,
    r.parent_sample_id,
  ];
}

function sameFields(existing: readonly StoredValue[], fields: readonly StoredValue[]): boolean {
  // existing[0] is the row id.
  for (let i = 0; i < fields.length; i++) if (existing[i + 1] !== fields[i]) return false;
  return true;
}

/** Collects issues for the error, capped, while counting every rejected row. */
function createIssueLog() {
  const issues: Issue[] = [];
  let rejectedRows = 0;
  return {
    reject(located: Issue[]): void {
      rejectedRows++;
      for (const issue of located) if (issues.length < MAX_REPORTED_ISSUES) issues.push(issue);
    },
    get rejected(): number {
      return rejectedRows;
    },
    issues,
  };
}

function locate(row: SourceRow, ordinal: number, issues: readonly FieldIssue[]): Issue[] {
  return issues.map(({ field, message }) => {
    if (row.line !== undefined) return field === undefined ? { line: row.line, message } : { line: row.line, field, message };
    const where = row.ref ?? `row ${ordinal}`;
    return { field: field === undefined ? where : `${where}.${field}`, message };
  });
}

/**
 * Imports `rows` into `db`, which must be a connection used by nothing else
 * meanwhile: the transaction stays open across the awaits of the stream.
 */
export async function importRows(
  db: Database.Database,
  rows: AsyncIterable<SourceRow>,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const started = performance.now();
  db.exec('BEGIN IMMEDIATE');
  try {
    const counts = { added: 0, changed: 0, unchanged: 0, removed: 0 };
    const seen = createSampleLines();
    const codes = createCodebook(db);
    const withdrawnDonors = new Set(db.prepare('SELECT donor_id FROM withdrawn_donor').pluck().all() as string[]);
    const deferredIndexes = deferIndexesIfEmpty(db);
    // An empty catalogue has nothing to update: plain inserts, and duplicates are caught before writing.
    const bulk = deferredIndexes.length > 0;
    const selectExisting = db.prepare(`SELECT id, ${OWN_COLUMNS.join(', ')} FROM specimen WHERE sample_id = ?`).raw();
    const selectRoot = db.prepare('SELECT coalesce(root_id, sample_id) FROM specimen WHERE sample_id = ?').pluck();
    const insert = db.prepare(
      `INSERT INTO specimen (${WRITTEN_COLUMNS.join(', ')}, sample_id) VALUES (${WRITTEN_COLUMNS.map(() => '?').join(', ')}, ?)`,
    );
    const update = db.prepare(
      `UPDATE specimen SET (${WRITTEN_COLUMNS.join(', ')}) = (${WRITTEN_COLUMNS.map(() => '?').join(', ')}) WHERE id = ?`,
    );
    const insertCode = db.prepare('INSERT INTO specimen_diagnosis (specimen_id, code) VALUES (?, ?)');
    const deleteCodes = db.prepare('DELETE FROM specimen_diagnosis WHERE specimen_id = ?');
    const masks = new Map<number, number>();
    const CONSENT = OWN_COLUMNS.indexOf('consent');
    // Roots of this import's derived specimens, while the sample index is deferred.
    const bulkRoots = new Map<string, string>();
    // Parents referenced before their own row was read; their children's provisional roots may be wrong.
    const forwardParents = new Set<string>();
    let rootsProvisional = !bulk;

    const rootOf = (r: SpecimenRecord): string | null => {
      const parent = r.parent_sample_id;
      if (parent === null) return null;
      if (!bulk) return (selectRoot.get(parent) as string | undefined) ?? parent;
      // Parents usually come first, so their root is known; resolveRoots fixes the rest.
      const root = bulkRoots.get(parent) ?? parent;
      if (!seen.has(parent)) forwardParents.add(parent);
      bulkRoots.set(r.sample_id, root);
      return root;
    };
    /** Appends the derived columns to a row's encoded own fields. */
    const appendDerived = (row: StoredValue[], r: SpecimenRecord): StoredValue[] => {
      const consentCode = row[CONSENT] as number;
      let mask = masks.get(consentCode);
      if (mask === undefined) {
        mask = permittedUseMask(r.consent);
        masks.set(consentCode, mask);
      }
      row.push(
        mask,
        rootOf(r),
        codes.ensure('age_band', ageBand(r.age_at_collection)),
        codes.ensure('diagnosis_chapter', diagnosisChapter(r.diagnosis)),
      );
      return row;
    };
    const writeCodes = (id: number | bigint, diagnosis: readonly string[]): void => {
      for (const code of diagnosis.length > 1 ? new Set(diagnosis) : diagnosis) insertCode.run(id, codes.ensure('diagnosis', code));
    };

    const write = (r: SpecimenRecord): void => {
      const row = encode(r, codes);
      const existing = bulk ? undefined : (selectExisting.get(r.sample_id) as StoredValue[] | undefined);
      if (existing === undefined) {
        appendDerived(row, r).push(r.sample_id);
        writeCodes(insert.run(row).lastInsertRowid, r.diagnosis);
        counts.added++;
      } else if (sameFields(existing, row)) {
        counts.unchanged++;
      } else {
        const id = existing[0] as number;
        appendDerived(row, r).push(id);
        update.run(row);
        deleteCodes.run(id);
        writeCodes(id, r.diagnosis);
        counts.changed++;
      }
    };

    const log = createIssueLog();
    let read = 0;
    for await (const row of rows) {
      read++;
      const where = row.line ?? read;
      const record = row.record;
      let issues: FieldIssue[] = row.issues ?? [];
      if (issues.length === 0) issues = record === undefined ? [{ message: 'row carries no record' }] : checkRecord(record);
      if (record !== undefined && typeof record.sample_id === 'string' && record.sample_id !== '') {
        if (forwardParents.has(record.sample_id)) rootsProvisional = true;
        const first = seen.add(record.sample_id, where);
        if (first !== undefined) {
          const at = row.line !== undefined ? `line ${first}` : `row ${first}`;
          issues = [...issues, { field: 'sample_id', message: `duplicate sample_id '${record.sample_id}' (first on ${at})` }];
        }
      }
      if (issues.length > 0) log.reject(locate(row, read, issues));
      else if (log.rejected === 0 && record !== undefined) {
        // Consent withdrawal is final: an import cannot make a withdrawn donor's specimens available again.
        write(withdrawnDonors.has(record.donor_id) && record.status !== 'withdrawn' ? { ...record, status: 'withdrawn' } : record);
      }
      if (read % PROGRESS_EVERY === 0) options.onProgress?.(read);
    }
    options.onProgress?.(read);

    if (log.rejected > 0) {
      throw new BiospecError(
        'INVALID_DATA',
        `${log.rejected} of ${read} rows rejected; nothing was imported`,
        { issues: log.issues },
      );
    }
    for (const sql of deferredIndexes) db.exec(sql);
    if (options.removeMissing && !bulk) {
      if (read === 0) {
        throw new BiospecError('INVALID_DATA', 'refusing to remove every specimen: the import has no rows');
      }
      counts.removed = removeMissing(db, seen);
    }
    if (rootsProvisional) resolveRoots(db, seen);

    const changedAnything = counts.added + counts.changed + counts.removed > 0;
    const epoch = changedAnything ? bumpEpoch(db) : readEpoch(db);
    const durationMs = performance.now() - started;
    recordEvent(db, {
      kind: 'import',
      actor: options.actor ?? null,
      source: options.source ?? null,
      donorId: null,
      reason: null,
      ...counts,
      epoch,
      durationMs,
    });
    db.exec('COMMIT');
    return { ...counts, rejected: 0, epoch, durationMs };
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * Loading into an empty catalogue is much faster with the secondary indexes
 * built once at the end than maintained row by row. Drops them and returns
 * their definitions (the schema's own, so this follows future migrations).
 */
function deferIndexesIfEmpty(db: Database.Database): string[] {
  if (db.prepare('SELECT 1 FROM specimen LIMIT 1').get() !== undefined) return [];
  const indexes = db
    .prepare(
      `SELECT name, sql FROM sqlite_master
       WHERE type = 'index' AND tbl_name IN ('specimen', 'specimen_diagnosis') AND sql IS NOT NULL`,
    )
    .all() as { name: string; sql: string }[];
  for (const { name } of indexes) db.exec(`DROP INDEX "${name.replaceAll('"', '""')}"`);
  return indexes.map(({ sql }) => sql);
}

function removeMissing(db: Database.Database, seen: SampleLines): number {
  const gone: number[] = [];
  for (const [id, sampleId] of db.prepare('SELECT id, sample_id FROM specimen').raw().iterate() as IterableIterator<
    [number, string]
  >) {
    if (!seen.has(sampleId)) gone.push(id);
  }
  const deleteCodes = db.prepare('DELETE FROM specimen_diagnosis WHERE specimen_id = ?');
  const deleteSpecimen = db.prepare('DELETE FROM specimen WHERE id = ?');
  for (const id of gone) {
    deleteCodes.run(id);
    deleteSpecimen.run(id);
  }
  return gone.length;
}

/**
 * Sets every derived specimen's root_id to its topmost ancestor, following
 * parents through all records (withdrawn ones too); a parent id naming no
 * record is itself the root. A cycle rejects the import, naming its samples.
 */
function resolveRoots(db: Database.Database, seen: SampleLines): void {
  const rows = db
    .prepare('SELECT sample_id, parent_sample_id, root_id FROM specimen WHERE parent_sample_id IS NOT NULL')
    .raw()
    .all() as [string, string, string][];
  const parentOf = new Map<string, string>();
  for (const [sampleId, parent] of rows) parentOf.set(sampleId, parent);

  const rootOf = new Map<string, string>();
  const cycles: Issue[] = [];
  const inCycle = new Set<string>();
  for (const [start] of rows) {
    if (rootOf.has(start) || inCycle.has(start)) continue;
    const path: string[] = [];
    const onPath = new Set<string>();
    let current = start;
    let root: string | undefined;
    for (;;) {
      const known = rootOf.get(current);
      if (known !== undefined || inCycle.has(current)) {
        root = known;
        break;
      }
      if (onPath.has(current)) {
        const loop = path.slice(path.indexOf(current));
        for (const id of loop) inCycle.add(id);
        const line = loop.map((id) => seen.lineOf(id)).find((l) => l !== undefined);
        const message = `parent_sample_id cycle: ${[...loop, current].map((id) => `'${id}'`).join(' -> ')}`;
        if (cycles.length < MAX_REPORTED_ISSUES) {
          cycles.push(line === undefined ? { field: 'parent_sample_id', message } : { line, field: 'parent_sample_id', message });
        }
        break;
      }
      path.push(current);
      onPath.add(current);
      const parent = parentOf.get(current);
      if (parent === undefined) {
        root = current;
        break;
      }
      current = parent;
    }
    // Samples leading into a cycle have no root either; they stay unresolved and the import fails.
    if (root === undefined) for (const id of path) inCycle.add(id);
    else for (const id of path) rootOf.set(id, root);
  }
  if (cycles.length > 0) {
    throw new BiospecError('INVALID_DATA', `${cycles.length} parent_sample_id cycle(s); nothing was imported`, {
      issues: cycles,
    });
  }
  const setRoot = db.prepare('UPDATE specimen SET root_id = ? WHERE sample_id = ?');
  for (const [sampleId, , stored] of rows) {
    const root = rootOf.get(sampleId) as string;
    if (root !== stored) setRoot.run(root, sampleId);
  }
}
