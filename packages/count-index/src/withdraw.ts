/** Applies a consent withdrawal to a built index without rebuilding it. */
import { clearBit } from './bits.js';
import type { IndexData } from './index-data.js';
import { withdrawFromProfiles } from './profiles.js';

/** Stops counting the rows with these specimen row ids; returns how many rows it cleared. */
export function withdrawRows(data: IndexData, rowIds: readonly number[]): number {
  if (rowIds.length === 0) return 0;
  const wanted = new Set(rowIds);
  let min = Infinity;
  let max = -Infinity;
  for (const id of rowIds) {
    if (id < min) min = id;
    if (id > max) max = id;
  }
  const ids = data.ids;
  const rows: number[] = [];
  // A scan of one typed array: rare (one per withdrawal) and cheaper than a row-id map held for ever.
  for (let row = 0; row < ids.length; row++) {
    const id = ids[row] as number;
    if (id >= min && id <= max && wanted.has(id)) rows.push(row);
  }
  withdrawFromProfiles(data, rows, () => {
    for (const row of rows) clearBit(data.alive, row);
  });
  return rows.length;
}
