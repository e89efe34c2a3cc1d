import { BiospecError } from '@biospec/protocol';
import { DEFAULT_POLICY, EXACT_POLICY, POLICY_PRESETS, describeGuarantee, describePolicy, hasFormalGuarantee, parsePolicy } from './policy.js';
import { POLICY_PRESET_NAMES } from './preset-names.js';

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

  test('fills nested defaults; Laplace noise always gets caps, other mechanisms count uncapped unless asked', () => {
    const shrine = parsePolicy({ noise: { mechanism: 'shrine' }, release: 'hold' });
    expect(shrine.noise).toEqual({ mechanism: 'shrine', bin: 5, sigma: 6.5, clamp: 10 });
    expect(shrine.contributionCaps).toBeNull();
    expect(shrine.release).toBe('hold');
    expect(parsePolicy({ noise: { mechanism: 'laplace', epsilon: 0.25 } }).contributionCaps).toEqual({ specimens: 5, aliquots: 25, donorCells: 5 });
    expect(parsePolicy({ contributionCaps: { specimens: 3 } }).contributionCaps).toEqual({ specimens: 3, aliquots: 25, donorCells: 5 });
    expect(parsePolicy({ budget: {} }).budget).toEqual({ epsilon: 2, windowDays: 30 });
  });

  test('a node.json of the fixed-period budget still loads: periodDays is the window; scope "project" is refused with the reason', () => {
    expect(parsePolicy({ budget: { epsilon: 3, periodDays: 7, scope: 'researcher' } }).budget).toEqual({ epsilon: 3, windowDays: 7 });
    const error = parseError({ budget: { scope: 'project' } });
    expect(error.issues).toEqual([
      { field: 'budget', message: 'scope "project" is no longer supported: the budget belongs to the person asking, whatever project they name' },
    ]);
  });

  test('Laplace noise without caps is refused: its scale comes from them', () => {
    expect(parseError({ contributionCaps: null }).issues).toEqual([
      { field: 'contributionCaps', message: 'Laplace noise needs contribution caps (its scale is set by them); remove the null to use the defaults' },
    ]);
  });

  test('ε and σ are exact decimals (the sampler works on rationals)', () => {
    expect(parseError({ noise: { mechanism: 'laplace', epsilon: 0.1234567 } }).issues[0]?.field).toBe('noise.epsilon');
    expect(parseError({ noise: { mechanism: 'shrine', sigma: 6.5001 } }).issues[0]?.field).toBe('noise.sigma');
  });

  test('parsed policies never share default objects', () => {
    const a = parsePolicy({});
    a.rateLimits[0]!.limit = 1;
    (a.contributionCaps as { specimens: number }).specimens = 99;
    expect(parsePolicy({}).rateLimits[0]!.limit).toBe(10);
    expect(parsePolicy({}).contributionCaps?.specimens).toBe(5);
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

describe('constants and presets', () => {
  test('DEFAULT_POLICY holds the documented defaults and cannot be mutated', () => {
    expect(DEFAULT_POLICY).toEqual({
      threshold: 10,
      rounding: 10,
      noise: { mechanism: 'laplace', epsilon: 0.1 },
      contributionCaps: { specimens: 5, aliquots: 25, donorCells: 5 },
      release: 'auto',
      budget: { epsilon: 2, windowDays: 30 },
      rateLimits: [
        { limit: 10, windowSeconds: 60 },
        { limit: 200, windowSeconds: 36_000 },
      ],
    });
    expect(Object.isFrozen(DEFAULT_POLICY.noise)).toBe(true);
  });

  test('the preset names the CLI lists without loading the presets are theirs, in their order', () => {
    expect(Object.keys(POLICY_PRESETS)).toEqual(POLICY_PRESET_NAMES);
  });

  test('every preset is a valid policy as written to node.json', () => {
    for (const preset of Object.values(POLICY_PRESETS)) expect(parsePolicy(JSON.parse(JSON.stringify(preset)))).toEqual(preset);
  });

  test('only policies with Laplace noise and caps claim a formal guarantee, and the others say so', () => {
    expect(hasFormalGuarantee(DEFAULT_POLICY)).toBe(true);
    expect(hasFormalGuarantee(POLICY_PRESETS['focus-like'])).toBe(true);
    expect(hasFormalGuarantee(POLICY_PRESETS['shrine-like'])).toBe(false);
    expect(hasFormalGuarantee(EXACT_POLICY)).toBe(false);
    expect(describeGuarantee(POLICY_PRESETS['shrine-like'])).toMatch(/^No formal guarantee/);
    expect(describeGuarantee(EXACT_POLICY)).toMatch(/^No formal guarantee/);
    expect(describeGuarantee(POLICY_PRESETS['mii-like'])).toBe(
      'Each figure is 0.28-differentially private for one donor; with no budget there is no bound over many questions.',
    );
  });
});

describe('describePolicy', () => {
  test('summarises the default policy and what it guarantees', () => {
    expect(describePolicy(DEFAULT_POLICY)).toBe(
      'discrete Laplace noise ε=0.1 per figure; figures under 10 shown as <10; rounded to 10; per donor at most 5 specimens, 25 aliquots, 5 cells counted; ' +
        'answers released automatically; budget ε=2 per person over any 30 days; rate limits 10 per 60 s, 200 per 36000 s. ' +
        'Each figure is 0.1-differentially private for one donor, and one person\'s questions at this node together cost each donor at most ε=2 over any 30 days.',
    );
  });

  test('describes SHRINE noise and hold mode', () => {
    const line = describePolicy({ ...POLICY_PRESETS['shrine-like'], release: 'hold' });
    expect(line).toContain('SHRINE-style noise (discrete Gaussian σ=6.5 clamped ±10, bins of 5)');
    expect(line).toContain('answers held for a steward');
    expect(line).toContain('No formal guarantee');
  });
});
