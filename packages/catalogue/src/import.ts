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
import { BiospecError, storageError, storageFaultOf, type Issue, type StorageFault } from '@biospec/protocol';
import {
  MATERIAL_TYPES,
  SEXES,
  STATUSES,
  STORAGE_TEMPERATURES,
  ageBand,
  diagnosisChapter,
  permittedUseMask,
  type SourceRow,
  type SpecimenRecord,
} from '@biospec/query';
import { bumpEpoch, readEpoch } from './epoch.js';
import { recordEvent } from './events.js';
import { partialDateSpan } from './partial-date.js';
import { createCodebook, WITHDRAWN_CODE, type Codebook } from './codebook.js';
import { NONE, SLOT, SLOTS, type EncodedBatch } from './encoded-batch.js';
import { checkRecord, type FieldIssue } from './specimen-rules.js';
import { createSpecimenWriter, type RowValues, type StoredValue } from './specimen-writer.js';
import { createIssueLog, locate } from './issue-log.js';
import { createDonorLinks, type DonorLinks } from './donor-links.js';

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

/** At most this many issues travel in an error; the message still counts them all. */
const PROGRESS_EVERY = 8192;

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

/** Lazily assigned catalogue codes of the derived and categorical values a row needs. */
function createDerivedCodes(codes: Codebook) {
  const enumCodes = (kind: 'material_type' | 'sex' | 'storage_temperature' | 'status', names: readonly string[]) => {
    const known: (number | undefined)[] = names.map(() => undefined);
    return (index: number): number => (known[index] ??= codes.ensure(kind, names[index] as string));
  };
  const ageBands = new Map<number | null, number>();
  const masks = new Map<number, number>();
  return {
    material: enumCodes('material_type', MATERIAL_TYPES),
    sex: enumCodes('sex', SEXES),
    temperature: enumCodes('storage_temperature', STORAGE_TEMPERATURES),
    status: enumCodes('status', STATUSES),
    ageBand(age: number | null): number {
      let code = ageBands.get(age);
      if (code === undefined) {
        code = codes.ensure('age_band', ageBand(age));
        ageBands.set(age, code);
      }
      return code;
    },
    /** Permitted-use mask of a consent code, computed once per code. */
    mask(consentCode: number, consent: readonly string[]): number {
      let mask = masks.get(consentCode);
      if (mask === undefined) {
        mask = permittedUseMask(consent);
        masks.set(consentCode, mask);
      }
      return mask;
    },
  };
}

interface DiagnosisEntry {
  joined: string | null;
  codes: number[];
  chapter: number;
}

function diagnosisEntry(codes: Codebook, diagnosis: readonly string[]): DiagnosisEntry {
  return {
    joined: diagnosis.length === 0 ? null : diagnosis.join(';'),
    codes: [...new Set(diagnosis)].map((code) => codes.ensure('diagnosis', code)),
    chapter: codes.ensure('diagnosis_chapter', diagnosisChapter(diagnosis)),
  };
}

/** The catalogue's day interval of a partial date, as YYYYMMDD integers. */
function daySpan(collectedOn: string | null): [number | null, number | null] {
  if (collectedOn === null) return [null, null];
  const span = partialDateSpan(collectedOn);
  if ('error' in span) return [null, null];
  return [Number(span.first.replaceAll('-', '')), Number(span.last.replaceAll('-', ''))];
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
  const derived = createDerivedCodes(codes);
  const diagnoses = new Map<string, DiagnosisEntry>();
  const own: StoredValue[] = new Array(14);
  const values: RowValues = { own, mask: 0, ageBand: 0, chapter: 0, diagnosisCodes: [] };
  let read = 0;
  for await (const row of rows) {
    if (row.donor !== undefined && row.record === undefined && row.issues === undefined) {
      links.updateDonor(row.donor);
      continue;
    }
    read++;
    const where = row.line ?? read;
    let record = row.record;
    let issues: FieldIssue[] = row.issues ?? [];
    if (issues.length === 0) issues = record === undefined ? [{ message: 'row carries no record' }] : checkRecord(record);
    const sampleId = record !== undefined && typeof record.sample_id === 'string' && record.sample_id !== '' ? record.sample_id : undefined;
    if (issues.length > 0 || record === undefined) {
      writer.reject(locate(row.line, row.ref, read, issues), sampleId, where, (first) => {
        const at = row.line !== undefined ? `line ${first}` : `row ${first}`;
        return locate(row.line, row.ref, read, [{ field: 'sample_id', message: `duplicate sample_id '${sampleId}' (first on ${at})` }]);
      });
    } else {
      if (row.linked !== undefined) {
        record = links.apply(record, row.linked);
        links.link(record.sample_id, row.linked);
      } else links.unlink(record.sample_id);
      encodeRecord(record, codes, derived, diagnoses, writer, values);
      const sample = record.sample_id;
      writer.add(sample, where, values, (first) => {
        const at = row.line !== undefined ? `line ${first}` : `row ${first}`;
        return locate(row.line, row.ref, read, [{ field: 'sample_id', message: `duplicate sample_id '${sample}' (first on ${at})` }]);
      });
    }
    if (read % PROGRESS_EVERY === 0) options.onProgress?.(read);
  }
  // Donors updated without all their specimens listed: recompute the stored ones in this transaction.
  // (An import into an empty catalogue has none stored, and its donor index is not built yet.)
  if (writer.fresh) return read;
  writer.flushBuffered();
  let position = read;
  for (const { record } of links.stale((id) => writer.listed(id))) {
    encodeRecord(record, codes, derived, diagnoses, writer, values);
    writer.add(record.sample_id, ++position, values);
  }
  return read;
}

/** Record → stored own fields (coded categoricals, YYYYMMDD day interval, joined diagnosis) and derived values. */
function encodeRecord(
  r: SpecimenRecord,
  codes: Codebook,
  derived: ReturnType<typeof createDerivedCodes>,
  diagnoses: Map<string, DiagnosisEntry>,
  writer: Writer,
  values: RowValues,
): void {
  const [start, end] = daySpan(r.collected_on);
  const key = r.diagnosis.join(';');
  let diagnosis = diagnoses.get(key);
  if (diagnosis === undefined) {
    diagnosis = diagnosisEntry(codes, r.diagnosis);
    diagnoses.set(key, diagnosis);
  }
  const consentCode = codes.ensure('consent', r.consent.join(';'));
  const own = values.own;
  own[0] = r.donor_id;
  own[1] = codes.ensure('collection', r.collection_id);
  own[2] = codes.ensure('material_type', r.material_type);
  own[3] = start;
  own[4] = end;
  own[5] = diagnosis.joined;
  own[6] = r.anatomical_site === null ? null : codes.ensure('anatomical_site', r.anatomical_site);
  own[7] = codes.ensure('sex', r.sex);
  own[8] = r.age_at_collection;
  own[9] = codes.ensure('storage_temperature', r.storage_temperature);
  own[10] = consentCode;
  // Consent withdrawal is final: an import cannot make a withdrawn donor's specimens available again.
  own[11] = writer.isWithdrawn(r.donor_id) ? WITHDRAWN_CODE : codes.ensure('status', r.status);
  own[12] = r.quantity;
  own[13] = r.parent_sample_id;
  values.mask = derived.mask(consentCode, r.consent);
  values.ageBand = derived.ageBand(r.age_at_collection);
  values.chapter = diagnosis.chapter;
  values.diagnosisCodes = diagnosis.codes;
}
