import { ageRangeBitmap, ageSlicesOf, narrowAgeRange, UNKNOWN_AGE_CODE } from './age-slices.js';
import { createWordList } from './word-list.js';
import { hasBit, popcount, setBit, wordsFor } from './bits.js';

/** Every age code (0–254 and unknown) twice, in two orders, plus a partial last word. */
const ages = Uint8Array.from([...Array(256).keys(), ...[...Array(256).keys()].reverse(), 0, 254, 255, 17, 200]);
const words = wordsFor(ages.length);
const sliced = ageSlicesOf(ages, words);

function expected(candidates: Uint32Array, low: number, high: number): Uint32Array {
  const out = new Uint32Array(words);
  ages.forEach((age, row) => {
    if (hasBit(candidates, row) && age !== UNKNOWN_AGE_CODE && age >= low && age <= high) setBit(out, row);
  });
  return out;
}

describe('age slices', () => {
  test('hold each row age code bit by bit', () => {
    ages.forEach((age, row) => {
      const code = sliced.slices.reduce((sum, slice, bit) => sum + (hasBit(slice, row) ? 1 << bit : 0), 0);
      expect(code).toBe(age);
    });
    expect(sliced.slices.every((slice) => (slice[words - 1] as number) >>> ages.length % 32 === 0)).toBe(true);
  });

  test('every range [low, high] of whole ages keeps exactly the rows inside it, never an unknown age', () => {
    const all = new Uint32Array(words);
    ages.forEach((_, row) => setBit(all, row));
    let checked = 0;
    for (let low = 0; low < UNKNOWN_AGE_CODE; low++) {
      for (let high = low; high < UNKNOWN_AGE_CODE; high++) {
        const rows = all.slice();
        narrowAgeRange(rows, sliced, low, high);
        const want = expected(all, low, high);
        if (rows.some((x, w) => x !== want[w])) throw new Error(`range [${low}, ${high}]: got ${rows}, want ${want}`);
        checked++;
      }
    }
    expect(checked).toBe((255 * 256) / 2);
  });

  test('keeps only candidates: rows already narrowed away stay out', () => {
    const candidates = new Uint32Array(words);
    // Ages 3, 40, 41, unknown, 211, 0, 0 and 17.
    for (const row of [3, 40, 41, 255, 300, 511, 512, 515]) setBit(candidates, row);
    for (const [low, high] of [[0, 254], [3, 41], [40, 40], [254, 254], [0, 0], [200, 254]] as const) {
      const rows = candidates.slice();
      narrowAgeRange(rows, sliced, low, high);
      expect([...rows]).toEqual([...expected(candidates, low, high)]);
    }
  });

  test('on listed words it tests only the candidates there and drops the words it empties', () => {
    const candidates = new Uint32Array(words);
    // A few candidates in six listed words: ages 3, 40, 41, unknown, 211, 0, 0 and 17.
    for (const row of [3, 40, 41, 255, 300, 511, 512, 515]) setBit(candidates, row);
    for (const [low, high] of [[0, 254], [3, 41], [40, 40], [254, 254], [0, 0], [200, 254]] as const) {
      const rows = candidates.slice();
      const list = createWordList(words);
      list.at.set([0, 1, 7, 9, 15, 16]);
      list.length = 6;
      list.known = true;
      narrowAgeRange(rows, sliced, low, high, list);
      const want = expected(candidates, low, high);
      expect([...rows]).toEqual([...want]);
      expect([...list.at.subarray(0, list.length)]).toEqual([0, 1, 7, 9, 15, 16].filter((w) => want[w] !== 0));
    }
  });

  test('with a list not yet known it tests every word and lists those left non-zero', () => {
    const all = new Uint32Array(words);
    ages.forEach((_, row) => setBit(all, row));
    const rows = all.slice();
    const list = createWordList(words);
    narrowAgeRange(rows, sliced, 40, 41, list);
    const want = expected(all, 40, 41);
    expect([...rows]).toEqual([...want]);
    expect(list.known).toBe(true);
    expect([...list.at.subarray(0, list.length)]).toEqual([...want.keys()].filter((w) => want[w] !== 0));
  });

  test('a range as a bitmap of its own holds exactly its rows (none past the last row), with their number', () => {
    const all = new Uint32Array(words);
    ages.forEach((_, row) => setBit(all, row));
    for (const [low, high] of [[0, 254], [0, 0], [18, 65], [254, 254], [17, 17]] as const) {
      const { bits, size } = ageRangeBitmap(sliced, ages.length, low, high);
      const want = expected(all, low, high);
      expect([...bits]).toEqual([...want]);
      expect(size).toBe(popcount(want));
    }
  });
});
