/**
 * Bitmaps built from the index for a query (unions of ICD-10 code row sets,
 * age ranges), kept while the index lives so a query that recurs finds them
 * ready: each is then one more bitmap for AND to fuse. They never include
 * `alive`, so withdrawals leave them valid; a rebuild starts an empty cache
 * (one cache per built index), so they always belong to the index's epoch.
 */
export interface CachedBitmap {
  bits: Uint32Array;
  /** Rows set in `bits`: selectivity for ordering AND. */
  size: number;
}

export type CachedKind = 'union' | 'age-range';

/**
 * Entries kept per kind, oldest dropped first. One bitmap is 1.2 MB at 10 M
 * rows, so at most ~50 MB there; age ranges are fewer as a query's range
 * rarely changes between counts.
 */
const LIMITS: Record<CachedKind, number> = { union: 32, 'age-range': 8 };

export interface BitmapCache {
  /** The bitmap cached under `key`, built (and cached) on a miss. */
  get(kind: CachedKind, key: string, build: () => CachedBitmap): CachedBitmap;
}

export function createBitmapCache(): BitmapCache {
  const entries: Record<CachedKind, Map<string, CachedBitmap>> = { union: new Map(), 'age-range': new Map() };
  return {
    get(kind, key, build) {
      const map = entries[kind];
      let found = map.get(key);
      if (found === undefined) {
        found = build();
        if (map.size >= LIMITS[kind]) map.delete(map.keys().next().value as string);
        map.set(key, found);
      }
      return found;
    },
  };
}
