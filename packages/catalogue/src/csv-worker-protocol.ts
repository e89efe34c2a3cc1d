/** Messages between the importer and the CSV parsing worker. */
import type { ErrorCode, Issue } from '@biospec/protocol';
import type { ColumnMapping } from './column-mapping.js';
import type { EncodedBatch } from './encoded-batch.js';

export interface WorkerRequest {
  path: string;
  mapping: ColumnMapping | undefined;
  /** Batches the worker may post before the importer has taken any. */
  window: number;
}

export type WorkerReply =
  | { type: 'batch'; batch: EncodedBatch; bytes: number; total: number }
  | { type: 'done' }
  | { type: 'error'; code: ErrorCode; message: string; issues: Issue[] };
