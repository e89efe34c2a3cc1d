/** Messages between the catalogue and its SQL worker (sql-worker.ts). */
import type { ContributionCaps, Query } from '@biospec/query';
import type { CatalogueSummary } from './summary.js';
import type { TrueCount } from './true-count.js';

export interface SqlWorkerData {
  path: string;
  caps: ContributionCaps | null;
}

export type SqlRequest = { id: number; type: 'count'; query: Query } | { id: number; type: 'summary' };

export type SqlReply =
  | { id: number; type: 'count'; result: TrueCount & { epoch: number } }
  | { id: number; type: 'summary'; result: CatalogueSummary }
  | { id: number; type: 'error'; code: string; message: string };
