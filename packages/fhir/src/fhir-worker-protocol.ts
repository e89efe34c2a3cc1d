/** Messages between the importer and the FHIR reading worker. */
import type { ErrorCode, Issue } from '@biospec/protocol';
import type { SourceRowBatch } from '@biospec/query';
import type { FhirImportStats, FhirWarning } from './import-stats.js';
import type { ConsentTable } from './mapping-tables.js';

export interface FhirWorkerRequest {
  files: string[];
  defaultCollection: string | undefined;
  consentTable: ConsentTable | undefined;
  today: string | undefined;
  /** Batches the worker may post before the importer has taken any. */
  window: number;
}

export type FhirWorkerReply =
  | { type: 'rows'; batch: SourceRowBatch; warnings: FhirWarning[]; bytes: number; total: number }
  | { type: 'done'; warnings: FhirWarning[]; stats: FhirImportStats }
  | { type: 'error'; code: ErrorCode; message: string; issues: Issue[] };
