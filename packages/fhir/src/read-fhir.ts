import { createRowBatchEncoder, ROW_BATCHES, type RowBatchSource, type SourceRow } from '@biospec/query';
import { createExportReading, createSpecimenMapper, specimenChunks } from './export-reading.js';
import { emptyStats, type FhirImportStats, type FhirWarning } from './import-stats.js';
import type { ConsentTable } from './mapping-tables.js';

/** Options of {@link createFhirReader} and {@link readFhir}. */
export interface FhirReaderOptions {
  /**
   * Progress: bytes read so far and in total. Every file is read twice
   * (donors first, then specimens), so `total` is twice their size.
   */
  onBytes?: (read: number, total: number) => void;
  /** Every warning (a value dropped or guessed, a problem that blocks nothing), as it is found. */
  onWarning?: (warning: FhirWarning) => void;
  /** collection_id of specimens without a custodian extension; default `default`. */
  defaultCollection?: string;
  /** Broad Consent policy code → DUO table; default the shipped `mappings/mii-broad-consent-duo.json`. */
  consentTable?: ConsentTable;
  /** The day consent permits are checked against (`YYYY-MM-DD`); default today (UTC). */
  today?: string;
  /**
   * Reading threads of {@link createFhirReader}: by default two (one on a
   * one-core machine) for an export of 4 MiB or more, none (this thread) for a
   * smaller one; 0 reads in this thread whatever the size.
   */
  readers?: number;
  /** Specimens per chunk of the second pass that one reading thread takes at a time (default 2048). */
  chunkSpecimens?: number;
}

/** A FHIR import in progress: rows to consume, and what was seen besides them. */
export interface FhirReader {
  /**
   * Donor updates first (one row with `donor` per donor the import names),
   * then every specimen as a record (with `linked`), and every problem as a
   * row of issues; may be iterated once per call.
   */
  rows(): AsyncIterable<SourceRow>;
  /** The same rows in batches (cheaper to hand on, e.g. between threads). */
  batches(): AsyncIterable<SourceRow[]>;
  /** A snapshot of what the reading has seen so far; complete once {@link rows} is exhausted. */
  stats(): FhirImportStats;
}

/**
 * Reads one FHIR export in this thread (see `createFhirReader` for the
 * version that reads on worker threads), in one file or split over several (Patients,
 * Conditions, Consents, Specimens and Organizations in any order and split
 * any way): JSON Bundles (transaction, batch, collection, searchset), NDJSON,
 * or bare resources, told apart by content. Two streaming passes over all
 * files: the first keeps compact donor facts (Patient sex and birth date,
 * Condition ICD-10 codes, Consent DUO uses, collections), the second maps each
 * Specimen into a record. Memory grows with donors, not specimens or file size.
 */
export function createFhirReaderInThread(paths: string | readonly string[], options: FhirReaderOptions = {}): FhirReader {
  const files = typeof paths === 'string' ? [paths] : [...paths];
  let stats = emptyStats();
  const reader: FhirReader = {
    rows: () => rowBatchSourceOf(() => reader.batches()),
    async *batches() {
      const reading = createExportReading(files, options);
      stats = reading.stats;
      yield* reading.donorRows();
      const sources = reading.sources();
      const mapper = createSpecimenMapper(sources, reading.lookup(), stats, reading.warn, options.onBytes);
      for (const chunk of specimenChunks(sources.places, Infinity)) yield* mapper.chunk(chunk);
      const end = reading.endRows(mapper.donorsWithSpecimens, stats.specimens.mapped + stats.specimens.withIssues > 0);
      if (end.length > 0) yield end;
    },
    stats: () => structuredClone(stats),
  };
  return reader;
}

/** Rows of `batches`, also in columns (encoded in this thread) for an importer that takes them so. */
function rowBatchSourceOf(batches: () => AsyncIterable<SourceRow[]>): RowBatchSource {
  return {
    [Symbol.asyncIterator]: async function* () {
      for await (const batch of batches()) yield* batch;
    },
    [ROW_BATCHES]: async function* () {
      const encoder = createRowBatchEncoder();
      for await (const batch of batches()) yield encoder.encode(batch);
    },
  };
}
