export { createCountIndex } from './live-index.js';
export type {
  CatalogueChange,
  CountIndex,
  CountIndexMode,
  CountIndexOptions,
  CountIndexStatus,
  EpochCount,
  IndexSource,
  LoadedIndex,
} from './live-index.js';
export { buildIndex } from './build.js';
export type { BuildOptions } from './build.js';
export type { BuiltIndex, IndexCount } from './index-data.js';
export { INDEX_CODE_KINDS, dayNumber } from './row-source.js';
export type { IndexCodeKind, IndexRow, RowSnapshot } from './row-source.js';
export { buffersOf, readIndexSnapshot, readSnapshotHeader, writeIndexSnapshot, SNAPSHOT_FORMAT } from './snapshot-file.js';
export type { SnapshotHeader, SnapshotKey, SnapshotRead } from './snapshot-file.js';
export type { DonorOfRow } from './withdraw.js';
