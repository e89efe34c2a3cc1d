import { BiospecError, DisclosureKind, type ReleasedFigure } from '@biospec/protocol';
import { MATERIAL_TYPES, strataCells, type Dimension, type Query } from '@biospec/query';
import fc from 'fast-check';
import { planQuestion } from './accounting.js';
import { DEFAULT_POLICY, EXACT_POLICY, POLICY_PRESETS, type DisclosurePolicy } from './policy.js';
import { heldFigure, protectAnswer, type ProtectionContext, type TrueCount } from './protect.js';

const context: ProtectionContext = { secret: 'node-secret', queryHash: 'q-1', epoch: 1, generation: 'g1' };
const policy = (overrides: Partial<DisclosurePolicy>): DisclosurePolicy => ({ ...DEFAULT_POLICY, ...overrides });
const exactWithThreshold = policy({ threshold: 10, rounding: 1, noise: { mechanism: 'none' }, contributionCaps: null });
const roundingOnly = policy({ threshold: 10, rounding: 10, noise: { mechanism: 'none' }, contributionCaps: null });
const { BELOW_THRESHOLD, NOISY, HELD } = {
  BELOW_THRESHOLD: DisclosureKind.DISCLOSURE_KIND_BELOW_THRESHOLD,
  NOISY: DisclosureKind.DISCLOSURE_KIND_NOISY,
  HELD: DisclosureKind.DISCLOSURE_KIND_HELD,
};

const protect = (raw: TrueCount, query: Query, p: DisclosurePolicy, ctx: ProtectionContext = context) =>
  protectAnswer(raw, query, planQuestion(query, p), p, ctx);
const byMaterial: Query = { unit: 'donors', stratify: ['material_type'] };
const materials = (counts: Partial<Record<string, number>>, total = Object.values(counts).reduce((a: number, b) => a + (b ?? 0), 0)): TrueCount => ({
  total,
  strata: Object.entries(counts).map(([material, count]) => ({ key: { material_type: material }, count: count as number })),
});
const noisyPolicyArb: fc.Arbitrary<DisclosurePolicy> = fc.oneof(
  fc.record({
    threshold: fc.integer({ min: 0, max: 30 }),
    rounding: fc.integer({ min: 1, max: 50 }),
    epsilon: fc.constantFrom(0.05, 0.1, 0.5, 1, 2),
  }).map(({ threshold, rounding, epsilon }) => policy({ threshold, rounding, noise: { mechanism: 'laplace', epsilon } })),
  fc.record({ threshold: fc.integer({ min: 0, max: 30 }), rounding: fc.integer({ min: 1, max: 20 }), bin: fc.integer({ min: 1, max: 10 }), clamp: fc.integer({ min: 0, max: 30 }) })
    .map(({ threshold, rounding, bin, clamp }) => policy({ threshold, rounding, noise: { mechanism: 'shrine', bin, sigma: 6.5, clamp }, contributionCaps: null })),
);
const dimensionsArb = fc.subarray<Dimension>(['material_type', 'sex', 'storage_temperature', 'age_band'], { maxLength: 2 });
/** A random true count over some of the cells of `dimensions` (the others are 0). */
const rawArb = (dimensions: Dimension[]) =>
  fc
    .array(fc.tuple(fc.nat(strataCells(dimensions).length - 1), fc.nat(300)), { maxLength: 8 })
    .map((pairs) => {
      const cells = strataCells(dimensions);
      const counts = new Map<number, number>();
      for (const [i, n] of pairs) counts.set(i, n);
      const strata = [...counts].map(([i, count]) => ({ key: cells[i] as Record<string, string>, count }));
      return { total: strata.reduce((a, s) => a + s.count, 0), strata };
    });
const contextArb = fc.record({ secret: fc.string(), queryHash: fc.string({ minLength: 1 }), epoch: fc.nat(), generation: fc.string() });

describe('the shape of an answer depends on the question and policy alone', () => {
  test('every cell of the stratification is released, in the fixed order, whatever the counts', () => {
    fc.assert(
      fc.property(
        dimensionsArb.filter((d) => d.length > 0).chain((d) => fc.tuple(fc.constant(d), rawArb(d), rawArb(d))),
        noisyPolicyArb,
        contextArb,
        ([dimensions, a, b], p, ctx) => {
          const query: Query = { unit: 'specimens', stratify: dimensions };
          const shapeOf = (raw: TrueCount) =>
            protect(raw, query, p, ctx).strata.map((s) => ({ key: s.key, disclosure: { ...s.figure!.disclosure, kind: undefined } }));
          expect(shapeOf(a)).toEqual(shapeOf(b));
          expect(shapeOf(a).map((s) => s.key)).toEqual(strataCells(dimensions));
          for (const s of protect(a, query, p, ctx).strata) expect([NOISY, BELOW_THRESHOLD]).toContain(s.figure!.disclosure!.kind);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a true 0 is released exactly as a small count would be: no cell is missing', () => {
    const result = protect(materials({ serum: 40 }), byMaterial, DEFAULT_POLICY);
    expect(result.strata).toHaveLength(MATERIAL_TYPES.length);
    expect(result.strata.map((s) => s.key.material_type)).toEqual([...MATERIAL_TYPES]);
  });

  test('a count naming a cell outside the domains is an internal error, not a new cell', () => {
    expect(() => protect(materials({ plasmid: 3 }), byMaterial, DEFAULT_POLICY)).toThrow(BiospecError);
  });
});

describe('noise first, everything else after', () => {
  /** The noise a figure got: its value at threshold 0 and rounding 1 for a count far from 0, minus the count. */
  const noiseOf = (p: DisclosurePolicy, ctx: ProtectionContext) =>
    (protect({ total: 100_000, strata: [] }, { unit: 'donors' }, { ...p, threshold: 0, rounding: 1 }, ctx).total.value as number) - 100_000;

  test('the released figure is threshold and rounding applied to max(0, true + noise), the noise not depending on the count', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0.05, 0.1, 0.5),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 20 }),
        fc.nat(60),
        contextArb,
        (epsilon, threshold, rounding, count, ctx) => {
          const p = policy({ threshold, rounding, noise: { mechanism: 'laplace', epsilon } });
          const noisy = Math.max(0, count + noiseOf(p, ctx));
          const rounded = Math.round(noisy / rounding) * rounding;
          const released = protect({ total: count, strata: [] }, { unit: 'donors' }, p, ctx).total;
          if (rounded < threshold) expect(released.display).toBe(`<${threshold}`);
          else expect(released.value).toBe(rounded);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('so a true 0 can be released as a figure above the threshold, and a count above it as "<threshold"', () => {
    const p = policy({ threshold: 10, rounding: 1, noise: { mechanism: 'laplace', epsilon: 0.1 } });
    const kinds = (count: number) =>
      Array.from({ length: 300 }, (_, i) => protect({ total: count, strata: [] }, { unit: 'donors' }, p, { ...context, queryHash: `q${i}` }).total);
    expect(kinds(0).some((f) => f.value !== undefined && f.value >= 10)).toBe(true);
    expect(kinds(15).some((f) => f.value === undefined)).toBe(true);
  });

  test('figures of specimens get noise scaled by the per-donor cap: the figure states its sensitivity, scale and ε', () => {
    const donors = protect({ total: 500, strata: [] }, { unit: 'donors' }, DEFAULT_POLICY).total.disclosure;
    const specimens = protect({ total: 500, strata: [] }, { unit: 'specimens' }, DEFAULT_POLICY).total.disclosure;
    const aliquots = protect({ total: 500, strata: [] }, { unit: 'aliquots' }, DEFAULT_POLICY).total.disclosure;
    expect(donors).toMatchObject({ mechanism: 'laplace', epsilon: 0.1, sensitivity: 1, noiseScale: 10 });
    expect(specimens).toMatchObject({ epsilon: 0.1, sensitivity: 5, noiseScale: 50 });
    expect(aliquots).toMatchObject({ epsilon: 0.1, sensitivity: 25, noiseScale: 250 });
    // Measured spread: mean |noise| of a discrete Laplace of scale b is about b.
    const meanAbs = (unit: Query['unit']) => {
      let sum = 0;
      for (let i = 0; i < 2000; i++) {
        const ctx = { ...context, queryHash: `spread-${i}` };
        const figure = protect({ total: 100_000, strata: [] }, { unit }, { ...DEFAULT_POLICY, threshold: 0, rounding: 1 }, ctx).total;
        sum += Math.abs((figure.value as number) - 100_000);
      }
      return sum / 2000;
    };
    expect(meanAbs('donors')).toBeGreaterThan(8.5);
    expect(meanAbs('donors')).toBeLessThan(11.5);
    expect(meanAbs('specimens')).toBeGreaterThan(43);
    expect(meanAbs('specimens')).toBeLessThan(57);
  });

  test('SHRINE-style: the clamped Gaussian is added to the true count, then binned and rounded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 20 }), fc.nat(100_000), contextArb, (bin, clamp, rounding, count, ctx) => {
        const p = policy({ threshold: 0, rounding, noise: { mechanism: 'shrine', bin, sigma: 6.5, clamp }, contributionCaps: null });
        const released = protect({ total: count, strata: [] }, { unit: 'donors' }, p, ctx).total;
        const step = rounding > 1 ? rounding : bin;
        expect(released.value! % step).toBe(0);
        expect(Math.abs(released.value! - count)).toBeLessThanOrEqual(clamp + bin / 2 + (rounding > 1 ? rounding / 2 : 0));
      }),
    );
  });

  test('the same question gets identical figures from separate calls; epoch, secret and generation each change them', () => {
    const raw = materials({ serum: 400, plasma: 300 });
    const a = protect(raw, byMaterial, DEFAULT_POLICY);
    expect(protect(structuredClone(raw), byMaterial, DEFAULT_POLICY, { ...context })).toEqual(a);
    const values = (r: ReturnType<typeof protectAnswer>) => [r.total, ...r.strata.map((s) => s.figure)].map((f) => f?.value ?? -1);
    for (const change of [{ epoch: 2 }, { secret: 'other' }, { generation: 'g2' }]) {
      expect(values(protect(raw, byMaterial, DEFAULT_POLICY, { ...context, ...change }))).not.toEqual(values(a));
    }
  });

  test('each cell gets its own noise draw', () => {
    const counts = Object.fromEntries(MATERIAL_TYPES.map((m) => [m, 500]));
    const result = protect(materials(counts), byMaterial, policy({ rounding: 1 }));
    expect(new Set(result.strata.map((s) => s.figure!.value)).size).toBeGreaterThan(5);
  });
});

describe('without noise (no formal guarantee): threshold, rounding and complementary suppression on true counts', () => {
  test('when the total is below the threshold every cell is suppressed', () => {
    const result = protect(materials({ serum: 5, plasma: 3 }), byMaterial, exactWithThreshold);
    expect(result.total.display).toBe('<10');
    expect(result.strata.every((s) => s.figure!.display === '<10')).toBe(true);
  });

  test('suppressed cells, true zeros included, take released cells with them until they hold the threshold', () => {
    const result = protect(materials({ serum: 3, plasma: 50, dna: 60, 'tissue-ffpe': 70 }), byMaterial, exactWithThreshold);
    expect(result.total.display).toBe('183');
    const display = Object.fromEntries(result.strata.map((s) => [s.key.material_type, s.figure!.display]));
    expect(display).toMatchObject({ serum: '<10', plasma: '<10', dna: '60', 'tissue-ffpe': '70', urine: '<10' });
  });

  test('suppressed cells cannot be recovered by subtracting the released ones from the total', () => {
    const a = protect(materials({ serum: 3, plasma: 50, dna: 60, 'tissue-ffpe': 70 }), byMaterial, exactWithThreshold);
    const b = protect(materials({ serum: 9, plasma: 44, dna: 60, 'tissue-ffpe': 70 }), byMaterial, exactWithThreshold);
    expect(b).toEqual(a);
  });

  test('the same holds for merely rounded releases', () => {
    const result = protect(materials({ serum: 4, plasma: 31, dna: 62 }), byMaterial, roundingOnly);
    expect(result.total.display).toBe('about 100 (rounded to 10)');
    const display = Object.fromEntries(result.strata.map((s) => [s.key.material_type, s.figure!.display]));
    expect(display).toMatchObject({ serum: '<10', plasma: '<10', dna: 'about 60 (rounded to 10)' });
  });

  test('property: the suppressed cells together always hold 0 or at least threshold units', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 20 }), rawArb(['material_type']), (threshold, rounding, raw) => {
        const p = policy({ threshold, rounding, noise: { mechanism: 'none' }, contributionCaps: null });
        const result = protect(raw, byMaterial, p);
        if (result.total.value === undefined) return;
        const countOf = new Map(raw.strata.map((s) => [s.key.material_type, s.count]));
        const hidden = result.strata.filter((s) => s.figure!.value === undefined);
        const hiddenSum = hidden.reduce((sum, s) => sum + (countOf.get(s.key.material_type) ?? 0), 0);
        expect(hidden.length === 0 || hiddenSum >= threshold).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('the exact policy releases true counts, zeros included', () => {
    const result = protect(materials({ serum: 3 }), byMaterial, EXACT_POLICY);
    expect(result.total.display).toBe('3');
    expect(result.strata.find((s) => s.key.material_type === 'plasma')?.figure?.display).toBe('0');
  });
});

describe('every preset', () => {
  test('is protected by the same rules: full shape, a disclosure on every figure, never a bare protected number', () => {
    for (const p of Object.values(POLICY_PRESETS)) {
      const result = protect(materials({ serum: 40, dna: 3 }), byMaterial, p);
      expect(result.strata).toHaveLength(MATERIAL_TYPES.length);
      for (const figure of [result.total, ...result.strata.map((s) => s.figure as ReleasedFigure)]) {
        expect(figure.disclosure?.mechanism).toBe(p.noise.mechanism);
        if (figure.value !== undefined) expect(figure.display).toMatch(/^about /);
      }
    }
  });
});

test('heldFigure has no value and says it is held', () => {
  const plan = planQuestion({ unit: 'donors' }, DEFAULT_POLICY);
  const held = heldFigure(DEFAULT_POLICY, plan.total);
  expect(held.value).toBeUndefined();
  expect(held.disclosure?.kind).toBe(HELD);
  expect(held.display).toBe('held for review');
});

describe('a collection domain supplied by the node (availability answers)', () => {
  const availability = { unit: 'specimens' as const, stratify: ['collection_id', 'material_type'] as const };
  const domains = { collection_id: ['breast', 'tumour-bank', '_undescribed'] };

  test('every (collection x material) cell is released in the fixed order, and the question costs 2ε like any stratified specimen question', () => {
    const plan = planQuestion(availability, DEFAULT_POLICY, domains);
    expect(plan).toMatchObject({ cellCount: 3 * MATERIAL_TYPES.length, cost: 0.2 });
    const raw: TrueCount = { total: 40, strata: [{ key: { collection_id: 'breast', material_type: 'tissue-ffpe' }, count: 40 }] };
    const released = protectAnswer(raw, availability, plan, DEFAULT_POLICY, context, domains);
    expect(released.strata.map((s) => s.key)).toEqual(strataCells(['collection_id', 'material_type'], domains));
    expect(released.strata[0]!.key).toEqual({ collection_id: 'breast', material_type: MATERIAL_TYPES[0] });
    expect(released.strata.every((s) => s.figure?.disclosure !== undefined)).toBe(true);
  });

  test('without the domain, or with a count of a collection outside it, protection refuses', () => {
    expect(() => planQuestion(availability, DEFAULT_POLICY)).toThrow("stratifying by collection_id needs the node's published collection domain");
    const stray: TrueCount = { total: 1, strata: [{ key: { collection_id: 'secret-collection', material_type: 'serum' }, count: 1 }] };
    expect(() => protectAnswer(stray, availability, planQuestion(availability, DEFAULT_POLICY, domains), DEFAULT_POLICY, context, domains)).toThrow(BiospecError);
  });

  test('researchers still cannot stratify a count by collection', async () => {
    const { parseQuery } = await import('@biospec/query');
    expect(() => parseQuery({ unit: 'specimens', stratify: ['collection_id'] })).toThrow(/unknown stratify dimension 'collection_id'/);
  });
});
