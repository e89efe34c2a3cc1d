import fc from 'fast-check';
import { countRuns, countRunsListed } from './runs.js';
import { countGroupsPerStratum, countGroupsPerStratumOnce, countRowsByGroups, groupBreaksOf } from './strata.js';
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

test('countRunsListed, given every non-zero word and some zero ones, counts as countRuns', () => {
  const flags = fc.array(fc.boolean(), { minLength: 8, maxLength: 8 });
  fc.assert(
    // Whole words emptied, so runs cross unlisted words and some start in them.
    fc.property(layout, flags, flags, (l, keepWord, listZero) => {
      const { starts, bits } = bitmaps(l);
      for (let w = 0; w < bits.length; w++) if (!keepWord[w % 8]) bits[w] = 0;
      const at = new Int32Array(bits.length);
      let length = 0;
      for (let w = 0; w < bits.length; w++) if (bits[w] !== 0 || listZero[w % 8]) at[length++] = w;
      expect(countRunsListed(bits, starts, { at, length, known: true })).toBe(countRuns(bits, starts));
    }),
    { numRuns: 1000 },
  );
});

/** Group starts where the stratum changes, as the index keeps them per dimension. */
function changes(strata: number[]): Uint32Array {
  const bits = new Uint32Array(wordsFor(strata.length));
  strata.forEach((s, i) => (i === 0 || s !== strata[i - 1]) && setBit(bits, i));
  return bits;
}

/** Each run's strata sorted, so a run holds its rows of one stratum consecutively. */
function sortedWithinRuns(l: { lengths: number[]; strata: number[] }): number[] {
  let row = 0;
  return l.lengths.flatMap((length) => l.strata.slice(row, (row += length)).sort((a, b) => a - b));
}

test('per stratum: distinct runs (by groups, for any order and for sorted runs) and rows (by group parts)', () => {
  fc.assert(
    fc.property(layout, fc.boolean(), (l, sorted) => {
      const { starts, bits, runOf } = bitmaps(l);
      const strata = sorted ? sortedWithinRuns(l) : l.strata;
      const codes = { first: Uint8Array.from(strata), second: null, secondStride: 0, third: null, thirdStride: 0, rest: null };
      const breaks = groupBreaksOf(starts, [changes(strata)], new Uint32Array(starts.length));
      const runs = new Set(l.matched.flatMap((m, i) => (m ? [runOf[i]] : []))).size;
      const once = new Float64Array(3);
      expect(countGroupsPerStratumOnce(bits, starts, breaks, strata.length, codes, once)).toBe(runs);
      const grouped = new Float64Array(3);
      expect(countGroupsPerStratum(bits, starts, breaks, strata.length, codes, grouped)).toBe(runs);
      const rows = new Float64Array(3);
      countRowsByGroups(bits, changes(strata), strata.length, codes, rows);
      for (let s = 0; s < 3; s++) {
        const hits = l.matched.flatMap((m, i) => (m && strata[i] === s ? [runOf[i]] : []));
        expect(once[s]).toBe(new Set(hits).size);
        if (sorted) expect(grouped[s]).toBe(new Set(hits).size);
        expect(rows[s]).toBe(hits.length);
      }
    }),
    { numRuns: 500 },
  );
});
