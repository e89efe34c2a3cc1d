/** Messages between the catalogue and its CSV import worker (import-worker.ts). */
import type { ErrorCode, Issue, StorageFault } from '@biospec/protocol';
import type { ColumnMapping } from './column-mapping.js';
import type { ImportReport } from './import.js';

export interface ImportWorkerRequest {
  cataloguePath: string;
  csvPath: string;
  mapping: ColumnMapping | undefined;
  removeMissing: boolean;
  actor: string | undefined;
  source: string;
}

export type ImportWorkerReply =
  | { type: 'rows'; read: number }
  | { type: 'bytes'; read: number; total: number }
  | { type: 'storage-fault'; fault: StorageFault }
  | { type: 'done'; report: ImportReport }
  | { type: 'error'; code: ErrorCode; message: string; issues: Issue[] };
