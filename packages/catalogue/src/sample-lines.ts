/**
 * Which catalogue rows one import has listed, and the line (or ordinal) each
 * was first listed on: 4 bytes per row, indexed by the row's integer id, so
 * a 10-million-row import needs about 40 MB here rather than a map entry
 * (and a string) per sample id. The sample ids themselves stay in SQLite.
 */
export interface SampleLines {
  /** Records row `id` at `line` (≥ 1); returns the line it was already seen on, if any. */
  add(id: number, line: number): number | undefined;
  lineOf(id: number): number | undefined;
  has(id: number): boolean;
}

export function createSampleLines(): SampleLines {
  let lines = new Uint32Array(1 << 16);
  const lineOf = (id: number): number | undefined => {
    const line = id < lines.length ? (lines[id] as number) : 0;
    return line === 0 ? undefined : line;
  };
  return {
    add(id, line) {
      if (id >= lines.length) {
        let size = lines.length * 2;
        while (size <= id) size *= 2;
        const grown = new Uint32Array(size);
        grown.set(lines);
        lines = grown;
      }
      const earlier = lines[id] as number;
      if (earlier !== 0) return earlier;
      lines[id] = line;
      return undefined;
    },
    lineOf,
    has: (id) => lineOf(id) !== undefined,
  };
}
