/**
 * Bitmaps built from the index for a query (unions of ICD-10 code row sets,
 * age ranges), kept while the index lives so a query that recurs finds them
 * ready: each is then one more bitmap for AND to fuse. An age range is only
 * built once asked a second time: building it is a pass over every row, which
 * costs a range asked once more than testing it on the rows its AND kept.
 * They never include `alive`, so withdrawals leave them valid; a rebuild
 * starts an empty cache (one cache per built index), so they always belong to
 * the index's epoch.
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

/** Keys remembered as asked once, per kind, oldest dropped first: strings only, no bitmaps. */
const ASKED_LIMIT = 64;

export interface BitmapCache {
  /** The bitmap cached under `key`, built (and cached) on a miss. */
  get(kind: CachedKind, key: string, build: () => CachedBitmap): CachedBitmap;
  /**
   * As {@link get} for a key asked before (among the last {@link ASKED_LIMIT});
   * undefined the first time, which is remembered. The caller then evaluates
   * without a bitmap, so a key asked once never pays for building one.
   */
  recurring(kind: CachedKind, key: string, build: () => CachedBitmap): CachedBitmap | undefined;
}

export function createBitmapCache(): BitmapCache {
  const entries: Record<CachedKind, Map<string, CachedBitmap>> = { union: new Map(), 'age-range': new Map() };
  const asked: Record<CachedKind, Set<string>> = { union: new Set(), 'age-range': new Set() };
  const get = (kind: CachedKind, key: string, build: () => CachedBitmap): CachedBitmap => {
    const map = entries[kind];
    let found = map.get(key);
    if (found === undefined) {
      found = build();
      if (map.size >= LIMITS[kind]) map.delete(map.keys().next().value as string);
      map.set(key, found);
    }
    return found;
  };
  return {
    get,
    recurring(kind, key, build) {
      if (entries[kind].has(key) || asked[kind].has(key)) return get(kind, key, build);
      const keys = asked[kind];
      if (keys.size >= ASKED_LIMIT) keys.delete(keys.values().next().value as string);
      keys.add(key);
      return undefined;
    },
  };
}
