import { BiospecError, DisclosureKind, type ReleasedFigure } from '@biospec/protocol';
import fc from 'fast-check';
import { DEFAULT_POLICY, EXACT_POLICY, type DisclosurePolicy, type NoiseMechanism } from './policy.js';
import { canonicalCellKey, heldFigure, protectCount, protectResult, type TrueCount } from './protect.js';

const context = { secret: 'node-secret', queryHash: 'q-1', epoch: 1 };
const policy = (overrides: Partial<DisclosurePolicy>): DisclosurePolicy => ({ ...DEFAULT_POLICY, ...overrides });
const exactWithThreshold = policy({ threshold: 10, rounding: 1, noise: { mechanism: 'none' } });
const roundingOnly = policy({ threshold: 10, rounding: 10, noise: { mechanism: 'none' } });
const shrine = policy({ rounding: 1, noise: { mechanism: 'shrine', bin: 5, sigma: 6.5, clamp: 10 } });
const { BELOW_THRESHOLD, EXACT, ROUNDED, NOISY, HELD } = {
  BELOW_THRESHOLD: DisclosureKind.DISCLOSURE_KIND_BELOW_THRESHOLD,
  EXACT: DisclosureKind.DISCLOSURE_KIND_EXACT,
  ROUNDED: DisclosureKind.DISCLOSURE_KIND_ROUNDED,
  NOISY: DisclosureKind.DISCLOSURE_KIND_NOISY,
  HELD: DisclosureKind.DISCLOSURE_KIND_HELD,
};

const noiseArb: fc.Arbitrary<NoiseMechanism> = fc.oneof(
  fc.constant({ mechanism: 'none' as const }),
  fc.record({ mechanism: fc.constant('laplace' as const), epsilon: fc.double({ min: 0.01, max: 5, noNaN: true }) }),
  fc.record({
    mechanism: fc.constant('shrine' as const),
    bin: fc.integer({ min: 1, max: 10 }),
    sigma: fc.double({ min: 0.1, max: 20, noNaN: true }),
    clamp: fc.integer({ min: 0, max: 30 }),
  }),
);
const policyArb: fc.Arbitrary<DisclosurePolicy> = fc.record({
  threshold: fc.integer({ min: 0, max: 30 }),
  rounding: fc.integer({ min: 1, max: 50 }),
  noise: noiseArb,
  release: fc.constantFrom('auto' as const, 'hold' as const),
  budget: fc.constant(null),
  rateLimits: fc.constant([]),
});
const strataArb = fc.array(fc.nat(200), { maxLength: 6 }).map((counts) => ({
  total: counts.reduce((a, b) => a + b, 0),
  strata: counts.map((count, i) => ({ key: { material_type: `m${i}` }, count })),
}));
const contextArb = fc.record({ secret: fc.string(), queryHash: fc.string({ minLength: 1 }), epoch: fc.nat() });

function figuresOf(result: { total: ReleasedFigure; strata: { figure?: ReleasedFigure }[] }): ReleasedFigure[] {
  return [result.total, ...result.strata.map((s) => s.figure as ReleasedFigure)];
}

describe('protectCount', () => {
  test('exact policy releases true counts, including 0', () => {
    expect(protectCount(42, EXACT_POLICY, context)).toEqual({
      value: 42,
      display: '42',
      disclosure: { kind: EXACT, threshold: 0, rounding: 1, mechanism: 'none', epsilon: 0, sigma: 0, clamp: 0 },
    });
    expect(protectCount(0, EXACT_POLICY, context)).toMatchObject({ value: 0, display: '0' });
  });

  test('counts below the threshold, 0 included, are released as "<threshold" without a value', () => {
    for (const count of [0, 1, 9]) {
      const released = protectCount(count, exactWithThreshold, context);
      expect(released.value).toBeUndefined();
      expect(released.display).toBe('<10');
      expect(released.disclosure?.kind).toBe(BELOW_THRESHOLD);
    }
    expect(protectCount(10, exactWithThreshold, context)).toMatchObject({ value: 10, display: '10' });
  });

  test('rounding only rounds to the nearest step and says so', () => {
    expect(protectCount(123, roundingOnly, context)).toEqual({
      value: 120,
      display: 'about 120 (rounded to 10)',
      disclosure: { kind: ROUNDED, threshold: 10, rounding: 10, mechanism: 'none', epsilon: 0, sigma: 0, clamp: 0 },
    });
    expect(protectCount(125, roundingOnly, context).value).toBe(130);
  });

  test('a figure that rounds below the threshold is released as below it', () => {
    const coarse = policy({ threshold: 10, rounding: 25, noise: { mechanism: 'none' } });
    expect(protectCount(12, coarse, context)).toMatchObject({ value: undefined, display: '<10' });
  });

  test('Laplace figures carry the mechanism, epsilon and rounding in the display and disclosure', () => {
    const released = protectCount(1234, DEFAULT_POLICY, context);
    expect(released.value! % 10).toBe(0);
    expect(released.display).toBe(`about ${released.value} (noisy, Laplace ε=0.5, rounded to 10)`);
    expect(released.disclosure).toEqual({ kind: NOISY, threshold: 10, rounding: 10, mechanism: 'laplace', epsilon: 0.5, sigma: 0, clamp: 0 });
    const unrounded = protectCount(1234, policy({ rounding: 1 }), context);
    expect(unrounded.display).toBe(`about ${unrounded.value} (noisy, Laplace ε=0.5)`);
  });

  test('Laplace noise on released figures has mean ≈ 0 and mean absolute value ≈ 1/ε', () => {
    const p = policy({ threshold: 0, rounding: 1, noise: { mechanism: 'laplace', epsilon: 0.25 } });
    const n = 10_000;
    let sum = 0;
    let sumAbs = 0;
    for (let i = 0; i < n; i++) {
      const error = protectCount(1000, p, { ...context, queryHash: `q-${i}` }).value! - 1000;
      sum += error;
      sumAbs += Math.abs(error);
    }
    // Scale 4; standard errors ≈ 0.06 (mean) and 0.04 (mean absolute value), plus rounding to integers.
    expect(Math.abs(sum / n)).toBeLessThan(0.25);
    expect(Math.abs(sumAbs / n - 4)).toBeLessThan(0.2);
  });

  test('SHRINE figures are binned and carry sigma and clamp', () => {
    const released = protectCount(1234, shrine, context);
    expect(released.value! % 5).toBe(0);
    expect(released.display).toBe(`about ${released.value} (noisy, SHRINE σ=6.5 clamped ±10, binned to 5)`);
    expect(released.disclosure).toEqual({ kind: NOISY, threshold: 10, rounding: 5, mechanism: 'shrine', epsilon: 0, sigma: 6.5, clamp: 10 });
    const rounded = protectCount(1234, { ...shrine, rounding: 10 }, context);
    expect(rounded.display).toBe(`about ${rounded.value} (noisy, SHRINE σ=6.5 clamped ±10, binned to 5, rounded to 10)`);
    expect(rounded.disclosure?.rounding).toBe(10);
  });

  test('rejects counts that are not non-negative integers', () => {
    expect(() => protectCount(-1, DEFAULT_POLICY, context)).toThrow(BiospecError);
    expect(() => protectCount(2.5, DEFAULT_POLICY, context)).toThrow(BiospecError);
  });

  test('the same question gets the same figure in separate calls; the epoch and the secret change it', () => {
    const fine = policy({ threshold: 0, rounding: 1 });
    let epochChanged = 0;
    let secretChanged = 0;
    const n = 200;
    for (let i = 0; i < n; i++) {
      const ctx = { ...context, queryHash: `q-${i}` };
      const first = protectCount(1000, fine, ctx);
      expect(protectCount(1000, fine, { ...ctx })).toEqual(first);
      if (protectCount(1000, fine, { ...ctx, epoch: 2 }).value !== first.value) epochChanged++;
      if (protectCount(1000, fine, { ...ctx, secret: 'other-secret' }).value !== first.value) secretChanged++;
    }
    expect(epochChanged / n).toBeGreaterThan(0.6);
    expect(secretChanged / n).toBeGreaterThan(0.6);
  });

  test('changing epsilon draws fresh noise rather than rescaling the same draw', () => {
    const at = (epsilon: number) => policy({ threshold: 0, rounding: 1, noise: { mechanism: 'laplace', epsilon } });
    // With one shared draw, the noise at ε=0.25 would be twice the noise at ε=0.5,
    // and the true count would follow from the two figures.
    const rescaled = [0, 1, 2, 3, 4, 5].map((i) => {
      const ctx = { ...context, queryHash: `q-${i}` };
      const x = protectCount(1000, at(0.5), ctx).value! - 1000;
      const y = protectCount(1000, at(0.25), ctx).value! - 1000;
      return Math.abs(y - 2 * x) <= 1;
    });
    expect(rescaled.every(Boolean)).toBe(false);
  });
});

describe('protectResult properties', () => {
  test('a true count under the threshold is never released as a number, in any policy, count or stratum', () => {
    fc.assert(
      fc.property(policyArb, strataArb, contextArb, (p, raw, ctx) => {
        const result = protectResult(raw, p, ctx);
        const pairs: [number, ReleasedFigure][] = [
          [raw.total, result.total],
          ...raw.strata.map((s, i): [number, ReleasedFigure] => [s.count, result.strata[i]!.figure!]),
        ];
        for (const [trueCount, released] of pairs) {
          if (trueCount < p.threshold) {
            expect(released.value).toBeUndefined();
            expect(released.disclosure?.kind).toBe(BELOW_THRESHOLD);
            expect(released.display).toBe(`<${p.threshold}`);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  test('every figure is labelled: a value is never below the threshold or negative, and only exact figures show a bare number', () => {
    fc.assert(
      fc.property(policyArb, strataArb, contextArb, (p, raw, ctx) => {
        for (const released of figuresOf(protectResult(raw, p, ctx))) {
          const d = released.disclosure!;
          expect(d).toMatchObject({ threshold: p.threshold, mechanism: p.noise.mechanism });
          if (released.value === undefined) {
            expect(d.kind).toBe(BELOW_THRESHOLD);
            continue;
          }
          expect(released.value).toBeGreaterThanOrEqual(Math.max(0, p.threshold));
          expect(released.value % d.rounding).toBe(0);
          if (d.kind === EXACT) expect(released.display).toBe(String(released.value));
          else expect(released.display).toMatch(new RegExp(`^about ${released.value} \\((noisy|rounded)`));
        }
      }),
      { numRuns: 500 },
    );
  });

  test('the same question gets identical results from separate calls', () => {
    fc.assert(
      fc.property(policyArb, strataArb, contextArb, (p, raw, ctx) => {
        expect(protectResult(structuredClone(raw), p, { ...ctx })).toEqual(protectResult(raw, p, ctx));
      }),
    );
  });

  test('rounding only: multiple of the step, within half a step of the truth', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.nat(100_000), (rounding, count) => {
        const released = protectCount(count, policy({ threshold: 0, rounding, noise: { mechanism: 'none' } }), context);
        expect(released.value! % rounding).toBe(0);
        expect(Math.abs(released.value! - count)).toBeLessThanOrEqual(rounding / 2);
      }),
    );
  });

  test('SHRINE: multiple of the bin (or of the rounding), within bin + clamp (+ half a rounding step) of the truth', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 20 }),
        fc.nat(100_000),
        contextArb,
        (bin, clamp, rounding, count, ctx) => {
          const p = policy({ threshold: 0, rounding, noise: { mechanism: 'shrine', bin, sigma: 6.5, clamp } });
          const released = protectCount(count, p, ctx);
          const step = rounding > 1 ? rounding : bin;
          expect(released.value! % step).toBe(0);
          expect(Math.abs(released.value! - count)).toBeLessThanOrEqual(bin + clamp + (rounding > 1 ? rounding / 2 : 0));
        },
      ),
    );
  });

  test('Laplace: multiple of the rounding step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.nat(100_000), contextArb, (rounding, count, ctx) => {
        const released = protectCount(count, policy({ threshold: 0, rounding }), ctx);
        expect(released.value! % rounding).toBe(0);
      }),
    );
  });
});

describe('protectResult strata', () => {
  const stratified = (counts: Record<string, number>, total = Object.values(counts).reduce((a, b) => a + b, 0)): TrueCount => ({
    total,
    strata: Object.entries(counts).map(([material, count]) => ({ key: { material_type: material }, count })),
  });
  const shown = (result: ReturnType<typeof protectResult>) =>
    Object.fromEntries(result.strata.map((s) => [s.key.material_type, s.figure!.display]));

  test('each cell gets its own noise draw', () => {
    const counts = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`m${i}`, 500]));
    const result = protectResult(stratified(counts), policy({ rounding: 1 }), context);
    const values = new Set(result.strata.map((s) => s.figure!.value));
    expect(values.size).toBeGreaterThan(5);
  });

  test('when the total is below the threshold every cell is suppressed', () => {
    const result = protectResult(stratified({ serum: 5, plasma: 3 }), exactWithThreshold, context);
    expect(result.total.display).toBe('<10');
    expect(shown(result)).toEqual({ serum: '<10', plasma: '<10' });
  });

  test('a single suppressed cell takes the next-smallest released cell with it', () => {
    const result = protectResult(stratified({ serum: 3, plasma: 50, dna: 60, tissue: 70 }), exactWithThreshold, context);
    expect(result.total.display).toBe('183');
    expect(shown(result)).toEqual({ serum: '<10', plasma: '<10', dna: '60', tissue: '70' });
  });

  test('suppressed cells cannot be recovered by subtracting the released ones from the total', () => {
    // Two data sets that differ only in the suppressed cells give identical releases,
    // so total − released cells (183 − 60 − 70 = 53) cannot say which one is true.
    const a = protectResult(stratified({ serum: 3, plasma: 50, dna: 60, tissue: 70 }), exactWithThreshold, context);
    const b = protectResult(stratified({ serum: 9, plasma: 44, dna: 60, tissue: 70 }), exactWithThreshold, context);
    expect(b).toEqual(a);
    const released = a.strata.filter((s) => s.figure!.value !== undefined).reduce((sum, s) => sum + s.figure!.value!, 0);
    expect(a.total.value! - released).toBe(53);
  });

  test('the same holds for merely rounded releases', () => {
    const result = protectResult(stratified({ serum: 4, plasma: 31, dna: 62 }), roundingOnly, context);
    expect(result.total.display).toBe('about 100 (rounded to 10)');
    expect(shown(result)).toEqual({ serum: '<10', plasma: '<10', dna: 'about 60 (rounded to 10)' });
  });

  test('several small cells are suppressed together with enough others to reach the threshold', () => {
    const result = protectResult(stratified({ a: 2, b: 3, c: 40, d: 50 }), exactWithThreshold, context);
    expect(shown(result)).toEqual({ a: '<10', b: '<10', c: '<10', d: '50' });
  });

  test('when no released cell is left to suppress, the total is suppressed', () => {
    // The cells need not add up to the total (e.g. an 'unknown' group left out).
    const result = protectResult(stratified({ serum: 4 }, 4), exactWithThreshold, context);
    expect(result.total.display).toBe('<10');
    const partial = protectResult({ total: 30, strata: [{ key: { material_type: 'serum' }, count: 4 }] }, exactWithThreshold, context);
    expect(partial.total.display).toBe('<10');
    expect(shown(partial)).toEqual({ serum: '<10' });
  });

  test('property: without noise, the suppressed cells together always hold 0 or at least threshold units', () => {
    const noNoisePolicy: fc.Arbitrary<DisclosurePolicy> = fc.record({
      threshold: fc.integer({ min: 1, max: 30 }),
      rounding: fc.integer({ min: 1, max: 20 }),
      noise: fc.constant({ mechanism: 'none' as const }),
      release: fc.constant('auto' as const),
      budget: fc.constant(null),
      rateLimits: fc.constant([]),
    });
    fc.assert(
      fc.property(noNoisePolicy, strataArb, (p, raw) => {
        const result = protectResult(raw, p, context);
        if (result.total.value === undefined) return;
        const hidden = raw.strata.filter((_, i) => result.strata[i]!.figure!.value === undefined);
        const hiddenSum = hidden.reduce((sum, s) => sum + s.count, 0);
        expect(hidden.length === 0 || hiddenSum >= p.threshold).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test('with noise no extra cell is suppressed', () => {
    const result = protectResult(stratified({ serum: 3, plasma: 500, dna: 600 }), policy({ rounding: 1 }), context);
    expect(result.strata.map((s) => s.figure!.disclosure!.kind)).toEqual([BELOW_THRESHOLD, NOISY, NOISY]);
  });

  test('strata keep their keys and order', () => {
    const raw: TrueCount = { total: 30, strata: [{ key: { sex: 'female', material_type: 'serum' }, count: 30 }] };
    expect(protectResult(raw, EXACT_POLICY, context).strata).toEqual([
      { key: { sex: 'female', material_type: 'serum' }, figure: protectCount(30, EXACT_POLICY, context) },
    ]);
  });
});

describe('helpers', () => {
  test('canonicalCellKey does not depend on key order', () => {
    expect(canonicalCellKey({ sex: 'female', material_type: 'serum' })).toBe(canonicalCellKey({ material_type: 'serum', sex: 'female' }));
    expect(canonicalCellKey({ a: 'b' })).toBe('[["a","b"]]');
  });

  test('heldFigure has no value and says it is held', () => {
    const held = heldFigure(DEFAULT_POLICY);
    expect(held.value).toBeUndefined();
    expect(held.disclosure?.kind).toBe(HELD);
    expect(held.display).toBe('held for review');
  });
});
