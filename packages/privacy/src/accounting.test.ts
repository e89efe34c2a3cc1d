import type { Query } from '@biospec/query';
import fc from 'fast-check';
import { noiseGeneration, planQuestion } from './accounting.js';
import { DEFAULT_POLICY, EXACT_POLICY, POLICY_PRESETS } from './policy.js';

describe('what a question costs, from the question alone', () => {
  test('a plain count costs ε; stratified specimens or aliquots 2ε; stratified donors ε + min(donorCells, cells)·ε', () => {
    expect(planQuestion({ unit: 'donors' }, DEFAULT_POLICY).cost).toBe(0.1);
    expect(planQuestion({ unit: 'specimens', stratify: ['material_type'] }, DEFAULT_POLICY).cost).toBe(0.2);
    expect(planQuestion({ unit: 'aliquots', stratify: ['material_type', 'sex'] }, DEFAULT_POLICY).cost).toBe(0.2);
    // Donors: one donor can be counted in up to 5 cells (the cap), each moving its cell by one.
    expect(planQuestion({ unit: 'donors', stratify: ['material_type'] }, DEFAULT_POLICY).cost).toBe(0.6);
    expect(planQuestion({ unit: 'donors', stratify: ['sex'] }, DEFAULT_POLICY).cost).toBe(0.5);
  });

  test('mechanisms without ε cost nothing', () => {
    expect(planQuestion({ unit: 'donors', stratify: ['sex'] }, POLICY_PRESETS['shrine-like']).cost).toBe(0);
    expect(planQuestion({ unit: 'donors' }, EXACT_POLICY).cost).toBe(0);
  });

  test('property: the plan of a question never depends on anything but the question and the policy', () => {
    fc.assert(
      fc.property(fc.constantFrom<Query['unit']>('donors', 'specimens', 'aliquots'), fc.subarray(['sex', 'material_type'] as const), (unit, stratify) => {
        const query: Query = { unit, ...(stratify.length ? { stratify: [...stratify] } : {}) };
        expect(planQuestion(query, DEFAULT_POLICY)).toEqual(planQuestion(structuredClone(query), structuredClone(DEFAULT_POLICY)));
      }),
    );
  });
});

describe('noise generation', () => {
  test('changes with ε, caps and secret; never shows the secret', () => {
    const base = noiseGeneration(DEFAULT_POLICY, 'secret-1');
    expect(noiseGeneration(DEFAULT_POLICY, 'secret-1')).toBe(base);
    expect(noiseGeneration(DEFAULT_POLICY, 'secret-2')).not.toBe(base);
    expect(noiseGeneration({ ...DEFAULT_POLICY, noise: { mechanism: 'laplace', epsilon: 0.2 } }, 'secret-1')).not.toBe(base);
    expect(noiseGeneration({ ...DEFAULT_POLICY, contributionCaps: { specimens: 4, aliquots: 25, donorCells: 5 } }, 'secret-1')).not.toBe(base);
    expect(base).not.toContain('secret-1');
  });
});
