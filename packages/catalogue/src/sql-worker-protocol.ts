/** Messages between the catalogue and its SQL worker (sql-worker.ts). */
import type { ContributionCaps, CountQuestion, Expr } from '@biospec/query';
import type { CatalogueSummary } from './summary.js';
import type { TrueCount } from './true-count.js';

export interface SqlWorkerData {
  path: string;
  caps: ContributionCaps | null;
}

/** One specimen as a granted answer lists it (packages/access). */
export interface ListedSpecimen {
  sample_id: string;
  collection_id: string;
  material_type: string;
  quantity: number;
  storage_temperature: string;
}

export type SqlRequest =
  | { id: number; type: 'count'; query: CountQuestion }
  | { id: number; type: 'summary' }
  | { id: number; type: 'list'; where: Expr | null; collections: string[]; limit: number };

export type SqlReply =
  | { id: number; type: 'count'; result: TrueCount & { epoch: number } }
  | { id: number; type: 'summary'; result: CatalogueSummary }
  | { id: number; type: 'list'; result: { epoch: number; specimens: ListedSpecimen[] } }
  | { id: number; type: 'error'; code: string; message: string };
