import { BiospecError } from '@biospec/protocol';
import fc from 'fast-check';
import { clampedGaussianNoise, laplaceNoise, noiseSeed, uniformFromSeed } from './noise.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const parts = { queryHash: 'q-hash-1', epoch: 7, cell: 'total', mechanism: 'laplace:0.5' };

describe('noiseSeed', () => {
  test('is HMAC-SHA256 over length-prefixed fields (vector computed independently with Python hmac)', () => {
    expect(hex(noiseSeed('node-secret', parts))).toBe('3fafb6818383efb7d12a18567be05d62c5bc9e5f7feeb5aca3f629fb3c099089');
  });

  test('a string secret and its UTF-8 bytes give the same seed', () => {
    expect(hex(noiseSeed(new TextEncoder().encode('node-secret'), parts))).toBe(hex(noiseSeed('node-secret', parts)));
  });

  test('the encoding is unambiguous: moving characters between fields changes the seed', () => {
    const a = noiseSeed('s', { queryHash: 'ab', epoch: 1, cell: 'c' });
    const b = noiseSeed('s', { queryHash: 'a', epoch: 1, cell: 'bc' });
    expect(hex(a)).not.toBe(hex(b));
  });

  test('every part, and the secret, changes the seed', () => {
    const base = hex(noiseSeed('s', parts));
    expect(hex(noiseSeed('t', parts))).not.toBe(base);
    expect(hex(noiseSeed('s', { ...parts, queryHash: 'q-hash-2' }))).not.toBe(base);
    expect(hex(noiseSeed('s', { ...parts, epoch: 8 }))).not.toBe(base);
    expect(hex(noiseSeed('s', { ...parts, cell: '[["sex","female"]]' }))).not.toBe(base);
    expect(hex(noiseSeed('s', { ...parts, mechanism: 'laplace:1' }))).not.toBe(base);
  });

  test('rejects an epoch that is not a non-negative integer', () => {
    expect(() => noiseSeed('s', { ...parts, epoch: 1.5 })).toThrow(BiospecError);
    expect(() => noiseSeed('s', { ...parts, epoch: -1 })).toThrow(BiospecError);
  });
});

describe('uniformFromSeed', () => {
  test('is strictly inside (0, 1) even for all-zero and all-one seeds', () => {
    for (const fill of [0x00, 0xff]) {
      const seed = new Uint8Array(32).fill(fill);
      for (let i = 0; i < 4; i++) {
        const u = uniformFromSeed(seed, i);
        expect(u).toBeGreaterThan(0);
        expect(u).toBeLessThan(1);
        expect(Number.isFinite(laplaceNoise(seed, 2))).toBe(true);
        expect(Number.isFinite(clampedGaussianNoise(seed, 6.5, 10))).toBe(true);
      }
    }
  });

  test('matches the independent computation of the first uniform', () => {
    expect(uniformFromSeed(noiseSeed('node-secret', parts), 0)).toBe(0.24877501843637428);
  });
});

describe('noise draws', () => {
  test('are bit-identical for the same inputs, computed in separate calls', () => {
    const draw = () => laplaceNoise(noiseSeed('node-secret', parts), 2);
    expect(Object.is(draw(), draw())).toBe(true);
    // Pinned value; Python's libm gives -1.3961183016246785 for the same seed.
    expect(draw()).toBe(-1.3961183016246785);
    expect(clampedGaussianNoise(noiseSeed('node-secret', parts), 6.5, 10)).toBeCloseTo(4.4337409830054035, 12);
  });

  test('Laplace over many distinct cells has mean ≈ 0 and mean absolute value ≈ scale', () => {
    const scale = 2;
    const n = 20_000;
    let sum = 0;
    let sumAbs = 0;
    for (let i = 0; i < n; i++) {
      const x = laplaceNoise(noiseSeed('secret', { queryHash: 'q', epoch: 1, cell: `cell-${i}` }), scale);
      sum += x;
      sumAbs += Math.abs(x);
    }
    // The mean's standard error is scale·√2/√n ≈ 0.02.
    expect(Math.abs(sum / n)).toBeLessThan(0.08);
    // E|X| = scale for Laplace(0, scale); its standard error is ≈ 0.014 here.
    expect(Math.abs(sumAbs / n - scale)).toBeLessThan(0.06);
  });

  test('clamped Gaussian has standard deviation ≈ sigma when the clamp is wide and respects a tight clamp', () => {
    const n = 20_000;
    let sumSq = 0;
    let sum = 0;
    let largestClamped = 0;
    for (let i = 0; i < n; i++) {
      const seed = noiseSeed('secret', { queryHash: 'q', epoch: 1, cell: `cell-${i}` });
      const wide = clampedGaussianNoise(seed, 6.5, 1000);
      sum += wide;
      sumSq += wide * wide;
      largestClamped = Math.max(largestClamped, Math.abs(clampedGaussianNoise(seed, 6.5, 10)));
    }
    expect(largestClamped).toBe(10);
    expect(Math.abs(sum / n)).toBeLessThan(0.2);
    expect(Math.abs(Math.sqrt(sumSq / n) - 6.5)).toBeLessThan(0.15);
  });

  test('property: clamped Gaussian never leaves [−clamp, clamp]', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.double({ min: 0.1, max: 100, noNaN: true }), fc.nat(50), (seed, sigma, clamp) => {
        expect(Math.abs(clampedGaussianNoise(seed, sigma, clamp))).toBeLessThanOrEqual(clamp);
      }),
    );
  });
});
