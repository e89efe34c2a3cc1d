import { createHash } from 'node:crypto';
import {
  decimalToRational,
  sampleBernoulliExp,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  sampleUniform,
  type BitSource,
} from './discrete-noise.js';

import { questionBitSources } from './noise.js';

/** A fixed, independent stream per index (as the node draws them), so every run of the suite draws the same samples. */
const streamFor = (label: string, i: number): BitSource =>
  questionBitSources(createHash('sha256').update(`${label}/${i}`).digest(), 1)(0);

/** Pearson's chi-square of observed counts against expected probabilities (tails pooled into the last bins). */
function chiSquare(samples: number[], pmf: (x: number) => number, range: number): { stat: number; bins: number } {
  const n = samples.length;
  const observed = new Map<number, number>();
  for (const s of samples) {
    const bin = Math.max(-range - 1, Math.min(range + 1, s));
    observed.set(bin, (observed.get(bin) ?? 0) + 1);
  }
  let inside = 0;
  for (let x = -range; x <= range; x++) inside += pmf(x);
  const tail = (1 - inside) / 2;
  let stat = 0;
  for (let bin = -range - 1; bin <= range + 1; bin++) {
    const p = Math.abs(bin) === range + 1 ? tail : pmf(bin);
    const expected = p * n;
    const seen = observed.get(bin) ?? 0;
    stat += (seen - expected) ** 2 / expected;
  }
  return { stat, bins: 2 * range + 3 };
}

// Upper 0.1 % points of chi-square with 22 and 24 degrees of freedom.
const CHI2_999 = { 22: 48.27, 24: 51.18 } as Record<number, number>;

describe('uniform and Bernoulli draws', () => {
  test('sampleUniform covers [0, m) evenly, including non-powers of two', () => {
    const counts = new Array<number>(6).fill(0);
    const source = streamFor('uniform', 0);
    for (let i = 0; i < 60_000; i++) {
      const x = sampleUniform(6, source);
      counts[x] = (counts[x] as number) + 1;
    }
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  test('Bernoulli(exp(−γ)) has mean exp(−γ) for γ below and above 1', () => {
    for (const gamma of [{ num: 1, den: 3 }, { num: 5, den: 2 }]) {
      const source = streamFor(`bexp-${gamma.num}`, 0);
      let hits = 0;
      const n = 40_000;
      for (let i = 0; i < n; i++) if (sampleBernoulliExp(gamma, source)) hits++;
      const p = Math.exp(-gamma.num / gamma.den);
      expect(Math.abs(hits / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
  });
});

describe('discrete Laplace', () => {
  test.each([
    [{ num: 2, den: 1 }, 10],
    [{ num: 10, den: 3 }, 10],
  ])('matches its probability mass function exp(−|x|/b) (scale %j)', (scale, range) => {
    const alpha = Math.exp(-scale.den / scale.num);
    const pmf = (x: number) => ((1 - alpha) / (1 + alpha)) * alpha ** Math.abs(x);
    const samples = Array.from({ length: 30_000 }, (_, i) => sampleDiscreteLaplace(scale, streamFor(`dlap-${scale.num}/${scale.den}`, i)));
    const { stat, bins } = chiSquare(samples, pmf, range);
    expect(stat).toBeLessThan(CHI2_999[bins - 1] as number);
  });

  test('is deterministic for a seed and differs between seeds', () => {
    const a = Array.from({ length: 50 }, (_, i) => sampleDiscreteLaplace({ num: 10, den: 1 }, streamFor('det', i)));
    const b = Array.from({ length: 50 }, (_, i) => sampleDiscreteLaplace({ num: 10, den: 1 }, streamFor('det', i)));
    expect(a).toEqual(b);
    expect(new Set(a).size).toBeGreaterThan(10);
    for (const x of a) expect(Number.isInteger(x)).toBe(true);
  });
});

describe('discrete Gaussian', () => {
  test('matches its probability mass function exp(−x²/2σ²) (σ = 6.5, SHRINE)', () => {
    const sigma2 = 169 / 4;
    let z = 0;
    for (let x = -200; x <= 200; x++) z += Math.exp(-(x * x) / (2 * sigma2));
    const pmf = (x: number) => Math.exp(-(x * x) / (2 * sigma2)) / z;
    const samples = Array.from({ length: 30_000 }, (_, i) => sampleDiscreteGaussian({ num: 169, den: 4 }, streamFor('dgauss', i)));
    const { stat, bins } = chiSquare(samples, pmf, 11);
    expect(stat).toBeLessThan(CHI2_999[bins - 1] as number);
  });
});

describe('decimalToRational', () => {
  test('reads the decimal text exactly', () => {
    expect(decimalToRational(0.1, 'ε')).toEqual({ num: 1, den: 10 });
    expect(decimalToRational(0.28, 'ε')).toEqual({ num: 7, den: 25 });
    expect(decimalToRational(2, 'ε')).toEqual({ num: 2, den: 1 });
    expect(decimalToRational(42.25, 'σ²')).toEqual({ num: 169, den: 4 });
  });

  test('refuses more than six decimals, zero and negatives', () => {
    expect(() => decimalToRational(0.1234567, 'noise.epsilon')).toThrow('noise.epsilon must be a positive decimal with at most 6 decimals, got 0.1234567');
    expect(() => decimalToRational(0, 'ε')).toThrow();
    expect(() => decimalToRational(-1, 'ε')).toThrow();
    expect(() => decimalToRational(1e-7, 'ε')).toThrow();
  });
});
