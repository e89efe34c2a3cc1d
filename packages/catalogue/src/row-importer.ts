/**
 * The import of source rows one at a time, and the coding of a record into
 * the values the specimen writer stores: shared by the row path of
 * import.ts and the column path of row-batch-import.ts.
 */
import {
  ageBand,
  diagnosisChapter,
  permittedUseMask,
  MATERIAL_TYPES,
  SEXES,
  STATUSES,
  STORAGE_TEMPERATURES,
  type SourceRow,
  type SpecimenRecord,
} from '@biospec/query/model';
import { WITHDRAWN_CODE, type Codebook } from './codebook.js';
import type { DonorLinks } from './donor-links.js';
import { locate } from './issue-log.js';
import { partialDateSpan } from './partial-date.js';
import { checkRecord, type FieldIssue } from './specimen-rules.js';
import type { createSpecimenWriter, RowValues, StoredValue } from './specimen-writer.js';

/** Progress is reported every this many rows. */
export const PROGRESS_EVERY = 8192;

type Writer = ReturnType<typeof createSpecimenWriter>;

/** Options of the import the row importer reports progress to. */
interface ProgressOptions {
  onProgress?: (rowsRead: number) => void;
}

/** Lazily assigned catalogue codes of the derived and categorical values a row needs. */
export function createDerivedCodes(codes: Codebook) {
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

export interface DiagnosisEntry {
  joined: string | null;
  codes: number[];
  chapter: number;
}

export function diagnosisEntry(codes: Codebook, diagnosis: readonly string[]): DiagnosisEntry {
  return {
    joined: diagnosis.length === 0 ? null : diagnosis.join(';'),
    codes: [...new Set(diagnosis)].map((code) => codes.ensure('diagnosis', code)),
    chapter: codes.ensure('diagnosis_chapter', diagnosisChapter(diagnosis)),
  };
}

/** The catalogue's day interval of a partial date, as YYYYMMDD integers. */
export function daySpan(collectedOn: string | null): [number | null, number | null] {
  if (collectedOn === null) return [null, null];
  const span = partialDateSpan(collectedOn);
  if ('error' in span) return [null, null];
  return [Number(span.first.replaceAll('-', '')), Number(span.last.replaceAll('-', ''))];
}

/**
 * The import of {@link SourceRow}s one at a time: shared by the row path and
 * the column path (row-batch-import.ts), which hands it the rows it does not
 * take itself, so both count, check, word and encode rows alike.
 */
export function createRowImporter(codes: Codebook, writer: Writer, links: DonorLinks, options: ProgressOptions) {
  const derived = createDerivedCodes(codes);
  const diagnoses = new Map<string, DiagnosisEntry>();
  const own: StoredValue[] = new Array(14);
  const values: RowValues = { own, mask: 0, ageBand: 0, chapter: 0, diagnosisCodes: [] };
  let read = 0;
  return {
    derived,
    /** Diagnosis lists by their `;`-joined text, as encoded so far. */
    diagnoses,
    /** Rows read so far, donor updates apart: the ordinal a row without a line is named by. */
    get read(): number {
      return read;
    },
    /** Counts one more row read (for the column path's own rows); returns its ordinal. */
    next(): number {
      read++;
      if (read % PROGRESS_EVERY === 0) options.onProgress?.(read);
      return read;
    },
    add(row: SourceRow): void {
      if (row.donor !== undefined && row.record === undefined && row.issues === undefined) {
        links.updateDonor(row.donor);
        return;
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
    },
    /** After the last row: recomputes the stored specimens of updated donors the import did not list; returns the rows read. */
    end(): number {
      links.flush();
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
    },
  };
}

export type RowImporter = ReturnType<typeof createRowImporter>;

/** Record → stored own fields (coded categoricals, YYYYMMDD day interval, joined diagnosis) and derived values. */
export function encodeRecord(
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
