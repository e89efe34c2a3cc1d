import { BiospecError } from '@biospec/protocol';
import { DEFAULT_POLICY, EXACT_POLICY, describePolicy, epsilonPerQuery, parsePolicy } from './policy.js';

function parseError(input: unknown): BiospecError {
  try {
    parsePolicy(input);
  } catch (error) {
    if (error instanceof BiospecError) return error;
    throw error;
  }
  throw new Error('expected parsePolicy to throw');
}

describe('parsePolicy', () => {
  test('an empty or missing policy is the default policy', () => {
    expect(parsePolicy({})).toEqual(DEFAULT_POLICY);
    expect(parsePolicy(undefined)).toEqual(DEFAULT_POLICY);
  });

  test('fills nested defaults', () => {
    const policy = parsePolicy({ noise: { mechanism: 'shrine' }, budget: { scope: 'project' }, release: 'hold' });
    expect(policy.noise).toEqual({ mechanism: 'shrine', bin: 5, sigma: 6.5, clamp: 10 });
    expect(policy.budget).toEqual({ epsilon: 10, periodDays: 30, scope: 'project' });
    expect(policy.release).toBe('hold');
    expect(policy.threshold).toBe(10);
  });

  test('parsed policies never share default objects', () => {
    const a = parsePolicy({});
    a.rateLimits[0]!.limit = 1;
    expect(parsePolicy({}).rateLimits[0]!.limit).toBe(10);
  });

  test('accepts an explicit null budget and empty rate limits', () => {
    const policy = parsePolicy({ budget: null, rateLimits: [] });
    expect(policy.budget).toBeNull();
    expect(policy.rateLimits).toEqual([]);
  });

  test('reports every bad and unknown key with its path, as INVALID_CONFIG', () => {
    const error = parseError({
      threshold: -1,
      rounding: 0,
      noise: { mechanism: 'laplace', epsilon: 0, extra: true },
      rateLimits: [{ limit: 10, windowSeconds: 60 }, { limit: 0, windowSeconds: 60 }],
      colour: 'blue',
    });
    expect(error.code).toBe('INVALID_CONFIG');
    const fields = error.issues.map((issue) => issue.field).sort();
    expect(fields).toEqual(['colour', 'noise.epsilon', 'noise.extra', 'rateLimits.1.limit', 'rounding', 'threshold']);
  });

  test('rejects an unknown noise mechanism', () => {
    const error = parseError({ noise: { mechanism: 'gaussian' } });
    expect(error.issues.map((issue) => issue.field)).toEqual(['noise.mechanism']);
  });
});

describe('constants', () => {
  test('DEFAULT_POLICY holds the documented defaults and cannot be mutated', () => {
    expect(DEFAULT_POLICY).toEqual({
      threshold: 10,
      rounding: 10,
      noise: { mechanism: 'laplace', epsilon: 0.5 },
      release: 'auto',
      budget: { epsilon: 10, periodDays: 30, scope: 'researcher' },
      rateLimits: [
        { limit: 10, windowSeconds: 60 },
        { limit: 200, windowSeconds: 36_000 },
      ],
    });
    expect(Object.isFrozen(DEFAULT_POLICY.noise)).toBe(true);
  });

  test('EXACT_POLICY protects nothing', () => {
    expect(EXACT_POLICY).toMatchObject({ threshold: 0, rounding: 1, noise: { mechanism: 'none' }, budget: null });
  });
});

describe('epsilonPerQuery', () => {
  test('a plain count costs epsilon; a stratified one costs 2 epsilon whatever the number of cells', () => {
    expect(epsilonPerQuery(DEFAULT_POLICY, 0)).toBe(0.5);
    expect(epsilonPerQuery(DEFAULT_POLICY, 1)).toBe(1);
    expect(epsilonPerQuery(DEFAULT_POLICY, 40)).toBe(1);
  });

  test('mechanisms without an epsilon cost nothing', () => {
    expect(epsilonPerQuery(EXACT_POLICY, 3)).toBe(0);
    expect(epsilonPerQuery(parsePolicy({ noise: { mechanism: 'shrine' } }), 3)).toBe(0);
  });
});

describe('describePolicy', () => {
  test('summarises the default policy on one line', () => {
    const line = describePolicy(DEFAULT_POLICY);
    expect(line).toBe(
      'counts under 10 shown as <10; Laplace noise ε=0.5; rounded to 10; answers released automatically; ' +
        'budget ε=10 per researcher per 30 days; rate limits 10 per 60 s, 200 per 36000 s',
    );
    expect(line).not.toContain('\n');
  });

  test('describes SHRINE noise and hold mode', () => {
    const line = describePolicy(parsePolicy({ noise: { mechanism: 'shrine' }, release: 'hold', budget: null, rateLimits: [] }));
    expect(line).toContain('SHRINE noise (bin 5, σ=6.5, clamped ±10)');
    expect(line).toContain('answers held for a steward');
    expect(line).toContain('no privacy budget');
  });
});
