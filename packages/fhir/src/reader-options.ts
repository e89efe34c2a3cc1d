/** The reader's options, apart from the reader so its parts (export-reading.ts) can take them without a cycle. */
import type { FhirWarning } from './import-stats.js';
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
