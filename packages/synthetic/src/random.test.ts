import { BiospecError } from '@biospec/protocol';
import { createRandom, hashSeed, weightedTable } from './random.js';

const draws = (seed: number | string, n: number): number[] => {
  const rng = createRandom(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe('createRandom', () => {
  test('equal seeds give equal sequences, different seeds different ones', () => {
    expect(draws('site-a', 100)).toEqual(draws('site-a', 100));
    expect(draws('site-a', 100)).not.toEqual(draws('site-b', 100));
    expect(draws(1, 100)).not.toEqual(draws(2, 100));
  });

  test('a number seed equals its decimal string', () => {
    expect(draws(42, 10)).toEqual(draws('42', 10));
    expect(hashSeed(42)).toEqual(hashSeed('42'));
  });

  test('next() stays in [0, 1) and is roughly uniform', () => {
    const values = draws(7, 100_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeCloseTo(0.5, 2);
    const deciles = new Array<number>(10).fill(0);
    for (const v of values) deciles[Math.floor(v * 10)]! += 1;
    for (const count of deciles) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  test('int() covers both bounds and nothing outside', () => {
    const rng = createRandom('int');
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) seen.add(rng.int(3, 7));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  test('float() and chance() respect their parameters', () => {
    const rng = createRandom('float');
    let hits = 0;
    for (let i = 0; i < 20_000; i++) {
      const f = rng.float(-2, 5);
      expect(f).toBeGreaterThanOrEqual(-2);
      expect(f).toBeLessThan(5);
      if (rng.chance(0.25)) hits++;
    }
    expect(hits / 20_000).toBeCloseTo(0.25, 1);
    expect(rng.chance(0)).toBe(false);
    expect(rng.chance(1)).toBe(true);
  });

  test('weighted() follows the weights and never picks a zero weight', () => {
    const rng = createRandom('weighted');
    const table = weightedTable([
      ['a', 1],
      ['never', 0],
      ['b', 3],
    ] as const);
    const counts = { a: 0, b: 0, never: 0 };
    for (let i = 0; i < 40_000; i++) counts[rng.weighted(table)]++;
    expect(counts.never).toBe(0);
    expect(counts.b / counts.a).toBeGreaterThan(2.7);
    expect(counts.b / counts.a).toBeLessThan(3.3);
  });

  test('normal() has the requested mean and standard deviation', () => {
    const rng = createRandom('normal');
    const values = Array.from({ length: 50_000 }, () => rng.normal(60, 10));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    expect(mean).toBeGreaterThan(59.8);
    expect(mean).toBeLessThan(60.2);
    expect(sd).toBeGreaterThan(9.8);
    expect(sd).toBeLessThan(10.2);
  });

  test('pick() returns members and rejects empty arrays', () => {
    const rng = createRandom('pick');
    for (let i = 0; i < 100; i++) expect(['x', 'y']).toContain(rng.pick(['x', 'y']));
    expect(() => rng.pick([])).toThrow(BiospecError);
  });

  test('weightedTable() rejects negative or all-zero weights', () => {
    expect(() => weightedTable([['a', -1]])).toThrow(BiospecError);
    expect(() => weightedTable([['a', 0]])).toThrow(BiospecError);
  });
});
