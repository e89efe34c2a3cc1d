import { BiospecError, type Issue } from '@biospec/protocol';
import { z } from 'zod';

/** No noise: figures are released exact or merely rounded. */
export interface NoNoise {
  mechanism: 'none';
}

/** Laplace mechanism with scale 1/epsilon on each released figure (sensitivity 1). */
export interface LaplaceNoise {
  mechanism: 'laplace';
  /** Privacy loss per released figure; smaller is noisier. */
  epsilon: number;
}

/** SHRINE's obfuscation: bin, add a clamped Gaussian, bin again. */
export interface ShrineNoise {
  mechanism: 'shrine';
  /** Bin width in counts (SHRINE: 5). */
  bin: number;
  /** Standard deviation of the Gaussian (SHRINE: 6.5). */
  sigma: number;
  /** The noise is clamped to ±clamp counts (SHRINE: 10). */
  clamp: number;
}

export type NoiseMechanism = NoNoise | LaplaceNoise | ShrineNoise;

/** A privacy budget: how much epsilon a researcher (or project) may spend per period. */
export interface PrivacyBudget {
  /** Total epsilon available per period. */
  epsilon: number;
  /** Length of a budget period in days; periods are fixed windows that renew automatically. */
  periodDays: number;
  /** Whose budget a question is charged to. */
  scope: 'researcher' | 'project';
}

/** One sliding-window rate limit: at most `limit` questions per `windowSeconds`. */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/** A node's own disclosure-control policy. Every released figure is protected by it. */
export interface DisclosurePolicy {
  /** Counts below this are never released as numbers, only as "<threshold". Default 10. */
  threshold: number;
  /** Released figures are multiples of this step. Default 10; 1 means no rounding. */
  rounding: number;
  /** Noise added before rounding. Default Laplace with epsilon 0.5. */
  noise: NoiseMechanism;
  /** 'auto' releases answers at once; 'hold' keeps them until a steward releases them. */
  release: 'auto' | 'hold';
  /** Privacy budget kept by this node, or null for none. */
  budget: PrivacyBudget | null;
  /** Rate limits per researcher; all must allow a question. */
  rateLimits: RateLimit[];
}

const positiveInt = z.number().int().min(1);
const positiveFinite = z.number().positive().finite();

const NoiseSchema = z.discriminatedUnion('mechanism', [
  z.strictObject({ mechanism: z.literal('none') }),
  z.strictObject({ mechanism: z.literal('laplace'), epsilon: positiveFinite.default(0.5) }),
  z.strictObject({
    mechanism: z.literal('shrine'),
    bin: positiveInt.default(5),
    sigma: positiveFinite.default(6.5),
    // The wire carries the clamp as an unsigned integer.
    clamp: z.number().int().min(0).default(10),
  }),
]);

const BudgetSchema = z.strictObject({
  epsilon: positiveFinite.default(10),
  periodDays: positiveFinite.default(30),
  scope: z.enum(['researcher', 'project']).default('researcher'),
});

const RateLimitSchema = z.strictObject({ limit: positiveInt, windowSeconds: positiveInt });

/**
 * Validates a disclosure policy from configuration and fills defaults (see
 * {@link DEFAULT_POLICY}). Unknown keys are rejected at every level.
 */
export const DisclosurePolicySchema = z.strictObject({
  threshold: z.number().int().min(0).default(10),
  rounding: positiveInt.default(10),
  noise: NoiseSchema.default((): NoiseMechanism => ({ mechanism: 'laplace', epsilon: 0.5 })),
  release: z.enum(['auto', 'hold']).default('auto'),
  budget: BudgetSchema.nullable().default((): PrivacyBudget => ({ epsilon: 10, periodDays: 30, scope: 'researcher' })),
  // Factories, so no two parsed policies share (and could mutate) one default object.
  rateLimits: z.array(RateLimitSchema).default(() => [
    { limit: 10, windowSeconds: 60 },
    { limit: 200, windowSeconds: 36_000 },
  ]),
}) satisfies z.ZodType<DisclosurePolicy, unknown>;

/** What a configuration file may contain: every field optional, defaults filled by {@link parsePolicy}. */
export type DisclosurePolicyInput = z.input<typeof DisclosurePolicySchema>;

/**
 * The default node policy: counts under 10 shown as "<10", Laplace noise with
 * epsilon 0.5, rounding to 10, automatic release, a budget of epsilon 10 per
 * researcher per 30 days, and SHRINE's rate limits (10 per minute, 200 per 10 hours).
 */
export const DEFAULT_POLICY: DisclosurePolicy = deepFreeze({
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

/**
 * Releases true counts unchanged: no threshold, no rounding, no noise, no budget,
 * no rate limits. For tests and for computing demo ground truth ONLY; a node
 * must never run with it in production, since every figure it releases is exact.
 */
export const EXACT_POLICY: DisclosurePolicy = deepFreeze({
  threshold: 0,
  rounding: 1,
  noise: { mechanism: 'none' },
  release: 'auto',
  budget: null,
  rateLimits: [],
});

/**
 * Parses a policy from untrusted configuration, filling defaults.
 * @throws BiospecError INVALID_CONFIG with one issue per problem, located by path.
 */
export function parsePolicy(input: unknown): DisclosurePolicy {
  const result = DisclosurePolicySchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap(toIssues);
  throw new BiospecError('INVALID_CONFIG', `invalid disclosure policy: ${issues.length} problem(s)`, { issues });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function toIssues(issue: z.core.$ZodIssue): Issue[] {
  const at = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ field: [...at, key].join('.'), message: `unknown key "${key}"` }));
  }
  return [{ field: at.length > 0 ? at.join('.') : '(root)', message: issue.message }];
}

/**
 * Epsilon one question spends under this policy.
 *
 * Each counted unit is assumed to fall in exactly one stratum cell, so the cells
 * of a stratified result are disjoint and compose in parallel: all cells together
 * cost one epsilon. The total is a second release over the same units and
 * composes sequentially with the cells. A plain count therefore costs epsilon and
 * a stratified one 2 × epsilon, however many cells it has.
 *
 * Only the Laplace mechanism has an epsilon; under 'none' and 'shrine' a question
 * costs 0, so the budget never runs out and only rate limits bound repetition.
 */
export function epsilonPerQuery(policy: DisclosurePolicy, strataCount: number): number {
  if (policy.noise.mechanism !== 'laplace') return 0;
  return strataCount > 0 ? 2 * policy.noise.epsilon : policy.noise.epsilon;
}

/** One human line, e.g. for a node descriptor or an operator's log. */
export function describePolicy(policy: DisclosurePolicy): string {
  const parts: string[] = [];
  parts.push(policy.threshold > 0 ? `counts under ${policy.threshold} shown as <${policy.threshold}` : 'no low-count threshold');
  parts.push(describeNoise(policy.noise));
  parts.push(policy.rounding > 1 ? `rounded to ${policy.rounding}` : 'not rounded');
  parts.push(policy.release === 'auto' ? 'answers released automatically' : 'answers held for a steward');
  parts.push(
    policy.budget === null
      ? 'no privacy budget'
      : `budget ε=${policy.budget.epsilon} per ${policy.budget.scope} per ${policy.budget.periodDays} days`,
  );
  parts.push(
    policy.rateLimits.length === 0
      ? 'no rate limits'
      : `rate limits ${policy.rateLimits.map((r) => `${r.limit} per ${r.windowSeconds} s`).join(', ')}`,
  );
  return parts.join('; ');
}

function describeNoise(noise: NoiseMechanism): string {
  switch (noise.mechanism) {
    case 'none':
      return 'no noise';
    case 'laplace':
      return `Laplace noise ε=${noise.epsilon}`;
    case 'shrine':
      return `SHRINE noise (bin ${noise.bin}, σ=${noise.sigma}, clamped ±${noise.clamp})`;
  }
}
