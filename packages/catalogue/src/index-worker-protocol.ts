/** Messages between the catalogue and its count-index worker (index-worker.ts). */
import type { BuiltIndex, SnapshotKey } from '@biospec/count-index';
import type { ContributionCaps } from '@biospec/query';

export interface IndexWorkerRequest {
  /** The catalogue file. */
  path: string;
  /** Where the index is persisted. */
  snapshotPath: string;
  key: SnapshotKey;
  caps: ContributionCaps | null;
  /** Read the persisted index when it is valid, instead of building. */
  tryFile: boolean;
  /** Persist what is built (not for a read-only catalogue whose folder may not be writable: tried, and a failure only noted). */
  persist: boolean;
}

export type IndexWorkerReply =
  | { type: 'loaded'; built: BuiltIndex; ms: number; from: 'file' | 'build'; fileProblem?: string; persistProblem?: string }
  | { type: 'error'; message: string };
