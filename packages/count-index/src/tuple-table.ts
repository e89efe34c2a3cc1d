/**
 * Distinct tuples of small integers, each numbered in order of first sight.
 * Hash-consed in an open-addressing table of typed arrays, without strings or
 * a Map: the build interns a tuple per root and per donor, and strings made
 * its garbage (and RSS) grow, a Map its time.
 */
export interface TupleTable {
  /** Tuple t is `values[offsets[t]]` up to `values[offsets[t + 1]]`. */
  values: number[];
  offsets: number[];
  /** Each tuple's hash, for growing the slots. */
  hashes: number[];
  /** Tuple number + 1 per slot (0: free); a power of two, at most half full. */
  slots: Int32Array;
  /** The tuple of each single value (-1: none yet): most roots' rows have one key. */
  singles: number[];
}

export function createTupleTable(): TupleTable {
  return { values: [], offsets: [0], hashes: [], slots: new Int32Array(1024), singles: [] };
}

/** The number of `tuple`'s first `length` values, added when new. */
export function internTuple(table: TupleTable, tuple: ArrayLike<number>, length: number): number {
  if (length === 1) {
    const value = tuple[0] as number;
    const known = table.singles[value] ?? -1;
    if (known !== -1) return known;
    while (table.singles.length <= value) table.singles.push(-1);
    return (table.singles[value] = findOrAdd(table, tuple, length));
  }
  return findOrAdd(table, tuple, length);
}

function hashOf(tuple: ArrayLike<number>, length: number): number {
  let hash = length;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ (tuple[i] as number), 0x9e3779b1) ^ (hash >>> 15);
  return hash >>> 0;
}

function findOrAdd(table: TupleTable, tuple: ArrayLike<number>, length: number): number {
  const hash = hashOf(tuple, length);
  const { values, offsets, hashes } = table;
  let slots = table.slots;
  let mask = slots.length - 1;
  let at = hash & mask;
  for (let slot = slots[at] as number; slot !== 0; at = (at + 1) & mask, slot = slots[at] as number) {
    const t = slot - 1;
    if (hashes[t] !== hash) continue;
    const from = offsets[t] as number;
    if ((offsets[t + 1] as number) - from !== length) continue;
    let same = true;
    for (let i = 0; i < length && same; i++) same = values[from + i] === tuple[i];
    if (same) return t;
  }
  const id = hashes.length;
  for (let i = 0; i < length; i++) values.push(tuple[i] as number);
  offsets.push(values.length);
  hashes.push(hash);
  slots[at] = id + 1;
  if (2 * hashes.length > slots.length) {
    slots = table.slots = new Int32Array(slots.length * 2);
    mask = slots.length - 1;
    hashes.forEach((h, t) => {
      let i = h & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = t + 1;
    });
  }
  return id;
}
