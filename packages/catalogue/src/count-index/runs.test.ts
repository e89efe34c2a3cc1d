import fc from 'fast-check';
import { countRuns, countRowsPerStratum, countRunsPerStratum } from './runs.js';
import { setBit, wordsFor } from './bits.js';

/** Random rows: run lengths (long ones cross words), a match flag and a stratum per row. */
const layout = fc
  .array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 12 })
  .chain((lengths) => {
    const rows = lengths.reduce((a, b) => a + b, 0);
    return fc.record({
      lengths: fc.constant(lengths),
      matched: fc.array(fc.boolean(), { minLength: rows, maxLength: rows }),
      strata: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: rows, maxLength: rows }),
    });
  });

function bitmaps({ lengths, matched }: { lengths: number[]; matched: boolean[] }) {
  const words = wordsFor(matched.length);
  const starts = new Uint32Array(words);
  const bits = new Uint32Array(words);
  const runOf: number[] = [];
  let row = 0;
  lengths.forEach((length, run) => {
    setBit(starts, row);
    for (let i = 0; i < length; i++) runOf[row++] = run;
  });
  matched.forEach((m, i) => m && setBit(bits, i));
  return { starts, bits, runOf };
}

test('countRuns counts the runs holding a match, runs crossing words once', () => {
  fc.assert(
    fc.property(layout, (l) => {
      const { starts, bits, runOf } = bitmaps(l);
      const expected = new Set(l.matched.flatMap((m, i) => (m ? [runOf[i]] : []))).size;
      expect(countRuns(bits, starts)).toBe(expected);
    }),
    { numRuns: 500 },
  );
});

test('per stratum: distinct runs and rows', () => {
  fc.assert(
    fc.property(layout, (l) => {
      const { starts, bits, runOf } = bitmaps(l);
      const codes = { first: Uint8Array.from(l.strata), second: null, secondStride: 0, rest: null };
      const runs = new Float64Array(3);
      countRunsPerStratum(bits, starts, codes, runs);
      const rows = new Float64Array(3);
      countRowsPerStratum(bits, codes, rows);
      for (let s = 0; s < 3; s++) {
        const hits = l.matched.flatMap((m, i) => (m && l.strata[i] === s ? [runOf[i]] : []));
        expect(runs[s]).toBe(new Set(hits).size);
        expect(rows[s]).toBe(hits.length);
      }
    }),
    { numRuns: 300 },
  );
});
