/** Messages between the importer and the FHIR reading workers, and between the workers. */
import type { MessagePort } from 'node:worker_threads';
import type { ErrorCode, Issue } from '@biospec/protocol';
import type { SourceRowBatch } from '@biospec/query';
import type { SpecimenLookupData } from './donor-index.js';
import type { FhirImportStats, FhirWarning } from './import-stats.js';
import type { ConsentTable } from './mapping-tables.js';
import type { SpecimenPlacesData } from './specimen-places.js';

export interface FhirWorkerRequest {
  files: string[];
  defaultCollection: string | undefined;
  consentTable: ConsentTable | undefined;
  today: string | undefined;
  /** Row batches the worker may post before the importer has taken any. */
  window: number;
  /** This worker's place among the readers: 0 reads the first pass, its share of the Specimens and the end; the others their share of the Specimens. */
  reader: number;
  readers: number;
  /** Specimens per chunk: chunk c is read by reader c mod readers. */
  chunkSpecimens: number;
  batchRows: number;
  /** Reader 0: a port to each other reader (in reader order); the others: a port to reader 0. */
  peers: MessagePort[];
}

/** Counts of one chunk's Specimens (or of a reader's). */
export interface SpecimenCounts {
  mapped: number;
  withIssues: number;
  enteredInError: number;
}

export type FhirWorkerReply =
  /** Rows, with the warnings found since the last message and the progress so far. */
  | { type: 'rows'; batch: SourceRowBatch; warnings: FhirWarning[]; bytes: number; total: number }
  /** Reader 0: the first pass is done (its donor updates posted); the second has this many chunks. */
  | { type: 'specimens'; chunks: number; donorUpdates: number; warnings: FhirWarning[] }
  /** The last message of a chunk. */
  | { type: 'chunkEnd'; chunk: number; counts: SpecimenCounts; warnings: FhirWarning[]; bytes: number; total: number }
  /** The reader is done; reader 0's stats are the import's (its second-pass counts being only its own). */
  | { type: 'done'; warnings: FhirWarning[]; stats: FhirImportStats }
  /** With the warnings and progress up to the failure, which come before it. */
  | { type: 'error'; code: ErrorCode; message: string; issues: Issue[]; warnings: FhirWarning[]; bytes: number; total: number };

/** Between readers: reader 0 hands the others what the second pass needs; they hand back what the end needs. */
export type FhirPeerMessage =
  | { type: 'lookup'; data: SpecimenLookupData; places: SpecimenPlacesData[]; sizes: number[] }
  | { type: 'donors'; donors: string[]; counts: SpecimenCounts };
