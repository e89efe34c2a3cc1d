export { createCountIndex } from './live-index.js';
export type { CountIndex, CountIndexMode, CountIndexOptions, IndexSource } from './live-index.js';
export type { IndexCount } from './index-data.js';
export { INDEX_CODE_KINDS, dayNumber } from './row-source.js';
export type { IndexCodeKind, IndexRow, RowSnapshot } from './row-source.js';
