/**
 * The sample ids seen in one import and the line (or ordinal) each was first
 * seen on. Sharded because a single JavaScript Map stops growing at about 16.7
 * million entries, and a national biobank's export can be bigger.
 */
const SHARD_LIMIT = 8_000_000;

export interface SampleLines {
  /** Records `sampleId` at `line`; returns the line it was already seen on, if any. */
  add(sampleId: string, line: number): number | undefined;
  lineOf(sampleId: string): number | undefined;
  has(sampleId: string): boolean;
}

export function createSampleLines(): SampleLines {
  const shards: Map<string, number>[] = [new Map()];
  const lineOf = (sampleId: string): number | undefined => {
    for (const shard of shards) {
      const line = shard.get(sampleId);
      if (line !== undefined) return line;
    }
    return undefined;
  };
  return {
    add(sampleId, line) {
      let current = shards[shards.length - 1] as Map<string, number>;
      const earlier = shards.length === 1 ? current.get(sampleId) : lineOf(sampleId);
      if (earlier !== undefined) return earlier;
      if (current.size >= SHARD_LIMIT) {
        current = new Map();
        shards.push(current);
      }
      current.set(sampleId, line);
      return undefined;
    },
    lineOf,
    has: (sampleId) => lineOf(sampleId) !== undefined,
  };
}
