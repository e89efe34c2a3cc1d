/**
 * The one atomic import path every source (CSV, FHIR) goes through: validate
 * every row, upsert by sample_id, optionally remove what the import no longer
 * lists, resolve root ancestors, bump the epoch and record the event, all in
 * one transaction that is rolled back if anything at all is wrong.
 *
 * Sources hand over either {@link SourceRow}s or, faster, pre-validated
 * {@link EncodedBatch}es (see {@link EncodedSource}); both end in the same
 * specimen writer.
 */
import type Database from 'better-sqlite3';
import { BiospecError, storageError, storageFaultOf, type Issue, type StorageFault } from '@biospec/protocol/core';
import { ROW_BATCHES, isRowBatchSource, type SourceRow } from '@biospec/query/model';
import { bumpEpoch, readEpoch } from './epoch.js';
import { recordEvent } from './events.js';
import { createCodebook, WITHDRAWN_CODE, type Codebook } from './codebook.js';
import { NONE, SLOT, SLOTS, type EncodedBatch } from './encoded-batch.js';
import { createSpecimenWriter, type RowValues, type StoredValue } from './specimen-writer.js';
import { createIssueLog, locate } from './issue-log.js';
import { createDonorLinks, type DonorLinks } from './donor-links.js';
import { createDerivedCodes, createRowImporter, diagnosisEntry, PROGRESS_EVERY, type DiagnosisEntry } from './row-importer.js';
import { importRowBatches } from './row-batch-import.js';

export interface ImportOptions {
  /** Delete specimens whose sample_id this import does not list (a full replacement). */
  removeMissing?: boolean;
  /** Who ran the import, for the catalogue's event log. */
  actor?: string;
  /** Where the rows came from (file path), for the event log. */
  source?: string;
  /** Called every few thousand rows and once at the end with the rows read so far. */
  onProgress?: (rowsRead: number) => void;
  /**
   * Lenient import: a rejected row is handed here (its located issues) and
   * skipped, and everything else is imported. Without it (the default) one
   * rejected row rejects the whole import.
   */
  onRejected?: (issues: Issue[]) => void;
  /**
   * Called with a storage fault (disk full, I/O error) and the file it concerns as soon as it
   * happens, before the rollback or anything else is attempted: the caller logs it there.
   */
  onStorageFault?: (fault: StorageFault) => void;
}

export interface ImportReport {
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
  /** Rows skipped by a lenient import (always 0 otherwise: an import with rejected rows throws instead). */
  rejected: number;
  /** Donors whose donor-level facts the import stated (FHIR Patients, Conditions, Consents). */
  donorsUpdated: number;
  /** True when `removeMissing` was asked but skipped because a lenient import rejected rows (their specimens would have gone). */
  removalSkipped: boolean;
  /** Data epoch after the import (unchanged when nothing changed). */
  epoch: number;
  durationMs: number;
}

/** Marks a source that can also hand over its rows as encoded batches (lines set, already validated). */
export const ENCODED_BATCHES: unique symbol = Symbol('biospec.encodedBatches');

/** Rows as {@link SourceRow}s for any consumer, and as encoded batches for the importer. */
export interface EncodedSource extends AsyncIterable<SourceRow> {
  [ENCODED_BATCHES](): AsyncIterable<EncodedBatch>;
}

function isEncodedSource(rows: AsyncIterable<SourceRow>): rows is EncodedSource {
  return typeof (rows as Partial<EncodedSource>)[ENCODED_BATCHES] === 'function';
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
  // With the WAL emptied first, a failed import leaves only its own (rolled back) frames there,
  // which the truncation after the rollback can drop without needing disk space for anything else.
  truncateWal(db, options);
  db.exec('BEGIN IMMEDIATE');
  try {
    const log = createIssueLog(options.onRejected);
    const codes = createCodebook(db);
    const writer = createSpecimenWriter(db, log);
    const links = createDonorLinks(db);
    const read = isEncodedSource(rows)
      ? await importBatches(rows[ENCODED_BATCHES](), codes, writer, links, options)
      : isRowBatchSource(rows)
        ? await importRowBatches(rows[ROW_BATCHES](), createRowImporter(codes, writer, links, options), codes, writer, links)
        : await importSourceRows(rows, codes, writer, links, options);
    options.onProgress?.(read);
    writer.end();

    if (log.rejected > 0 && options.onRejected === undefined) {
      throw new BiospecError('INVALID_DATA', `${log.rejected} of ${read} rows rejected; nothing was imported`, {
        issues: log.issues,
      });
    }
    if (options.removeMissing && !writer.fresh && read === 0) {
      throw new BiospecError('INVALID_DATA', 'refusing to remove every specimen: the import has no specimen rows');
    }
    const removalSkipped = options.removeMissing === true && log.rejected > 0;
    const counts = writer.finish({ removeMissing: options.removeMissing === true && !removalSkipped });
    if (counts.removed > 0) links.pruneLinks();

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
    return { ...counts, rejected: log.rejected, donorsUpdated: links.touched.size, removalSkipped, epoch, durationMs };
  } catch (error) {
    const fault = storageFaultOf(error, db.name);
    if (fault) options.onStorageFault?.(fault);
    rollback(db, options);
    // A big import that failed leaves a WAL file as big as what it wrote; on a full disk that
    // space is what the node needs to go on answering (its replay cache and audit log).
    truncateWal(db, options);
    throw fault ? storageError(fault, 'nothing was imported', error) : error;
  }
}

function rollback(db: Database.Database, options: ImportOptions): void {
  if (!db.inTransaction) return;
  try {
    db.exec('ROLLBACK');
  } catch (error) {
    const fault = storageFaultOf(error, db.name);
    if (!fault) throw error;
    options.onStorageFault?.(fault);
  }
}

/**
 * Copies committed WAL frames into the database and truncates the WAL to zero bytes, as far as
 * readers allow (they are short; the busy timeout waits for them). Best effort: a storage fault
 * here is reported, not thrown, since the import's own outcome is what the caller must hear.
 */
function truncateWal(db: Database.Database, options: ImportOptions): void {
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (error) {
    const fault = storageFaultOf(error, `${db.name}-wal`);
    if (!fault) throw error;
    options.onStorageFault?.(fault);
  }
}

type Writer = ReturnType<typeof createSpecimenWriter>;

async function importBatches(
  batches: AsyncIterable<EncodedBatch>,
  codes: Codebook,
  writer: Writer,
  links: DonorLinks,
  options: ImportOptions,
): Promise<number> {
  const derived = createDerivedCodes(codes);
  const collectionCodes: number[] = [];
  const siteCodes: number[] = [];
  const consents: { code: number; mask: number }[] = [];
  const diagnoses: DiagnosisEntry[] = [];
  const own: StoredValue[] = new Array(14);
  const values: RowValues = { own, mask: 0, ageBand: 0, chapter: 0, diagnosisCodes: [] };
  let read = 0;
  for await (const batch of batches) {
    const grown = batch.grown;
    for (const name of grown.collection) collectionCodes.push(codes.ensure('collection', name));
    for (const site of grown.site) siteCodes.push(codes.ensure('anatomical_site', site));
    for (const consent of grown.consent) {
      const code = codes.ensure('consent', consent.join(';'));
      consents.push({ code, mask: derived.mask(code, consent) });
    }
    for (const diagnosis of grown.diagnosis) diagnoses.push(diagnosisEntry(codes, diagnosis));

    const { ints, quantity, sampleIds, donorIds, parentIds, rejected } = batch;
    let nextRejected = 0;
    for (let row = 0; row < batch.rows; row++) {
      const base = row * SLOTS;
      const line = ints[base + SLOT.line] as number;
      read++;
      if (read % PROGRESS_EVERY === 0) options.onProgress?.(read);
      if (ints[base + SLOT.collection] === NONE) {
        const bad = rejected[nextRejected++] as EncodedBatch['rejected'][number];
        writer.reject(locate(line, undefined, read, bad.issues), undefined, line);
        continue;
      }
      const donorId = donorIds[row] as string;
      const start = ints[base + SLOT.start] as number;
      const site = ints[base + SLOT.site] as number;
      const age = ints[base + SLOT.age] as number;
      const consent = consents[ints[base + SLOT.consent] as number] as { code: number; mask: number };
      const diagnosis = diagnoses[ints[base + SLOT.diagnosis] as number] as DiagnosisEntry;
      own[0] = donorId;
      own[1] = collectionCodes[ints[base + SLOT.collection] as number] as number;
      own[2] = derived.material(ints[base + SLOT.material] as number);
      own[3] = start === NONE ? null : start;
      own[4] = start === NONE ? null : (ints[base + SLOT.end] as number);
      own[5] = diagnosis.joined;
      own[6] = site === NONE ? null : (siteCodes[site] as number);
      own[7] = derived.sex(ints[base + SLOT.sex] as number);
      own[8] = age === NONE ? null : age;
      own[9] = derived.temperature(ints[base + SLOT.temperature] as number);
      own[10] = consent.code;
      // Consent withdrawal is final: an import cannot make a withdrawn donor's specimens available again.
      own[11] = writer.isWithdrawn(donorId) ? WITHDRAWN_CODE : derived.status(ints[base + SLOT.status] as number);
      own[12] = quantity[row] as number;
      own[13] = parentIds[row] as string | null;
      values.mask = consent.mask;
      values.ageBand = derived.ageBand(age === NONE ? null : age);
      values.chapter = diagnosis.chapter;
      values.diagnosisCodes = diagnosis.codes;
      // A CSV row states every field itself: the specimen no longer follows a FHIR donor.
      links.unlink(sampleIds[row] as string);
      writer.add(sampleIds[row] as string, line, values);
    }
  }
  return read;
}

async function importSourceRows(
  rows: AsyncIterable<SourceRow>,
  codes: Codebook,
  writer: Writer,
  links: DonorLinks,
  options: ImportOptions,
): Promise<number> {
  const importer = createRowImporter(codes, writer, links, options);
  for await (const row of rows) importer.add(row);
  return importer.end();
}

