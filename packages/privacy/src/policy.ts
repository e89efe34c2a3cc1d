// `@biospec/privacy/policy` exports this module alone: a node's config is read (by the CLI too)
// without loading the privacy machinery.
import { BiospecError, type Issue } from '@biospec/protocol/core';
import type { ContributionCaps } from '@biospec/query';
import { z } from 'zod';
import type { PolicyPresetName } from './preset-names.js';

/** No noise: figures are released exact or merely rounded. No formal guarantee. */
export interface NoNoise {
  mechanism: 'none';
}

/**
 * The discrete Laplace (two-sided geometric) mechanism: each figure gets
 * integer noise of scale Δ/ε, Δ being how much one donor can change it
 * under the contribution caps. So ε is what one figure costs one donor.
 */
export interface LaplaceNoise {
  mechanism: 'laplace';
  /** Privacy loss of one figure for one donor; at most 6 decimals. */
  epsilon: number;
}

/**
 * SHRINE-style obfuscation: a discrete Gaussian of standard deviation
 * `sigma`, clamped to ±clamp, added first; the noisy count is then binned.
 * Clamped noise has no ε: no formal guarantee.
 */
export interface ShrineNoise {
  mechanism: 'shrine';
  /** Bin width in counts (SHRINE: 5). */
  bin: number;
  /** Standard deviation of the Gaussian (SHRINE: 6.5); at most 3 decimals. */
  sigma: number;
  /** The noise is clamped to ±clamp counts (SHRINE: 10). */
  clamp: number;
}

export type NoiseMechanism = NoNoise | LaplaceNoise | ShrineNoise;

/**
 * A privacy budget: the ε one person may spend at this node over any window
 * of `windowDays` days (a sliding window: every charge comes back
 * `windowDays` after it was made, so no two windows overlap into a double budget).
 */
export interface PrivacyBudget {
  /** Total ε one person may spend over any `windowDays` days. */
  epsilon: number;
  windowDays: number;
}

/** One sliding-window rate limit: at most `limit` questions per `windowSeconds`. */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/** A node's own disclosure-control policy. Every released figure is protected by it. */
export interface DisclosurePolicy {
  /** A released figure below this is shown as "<threshold" only. Default 10. */
  threshold: number;
  /** Released figures are multiples of this step. Default 10; 1 means no rounding. */
  rounding: number;
  /** Noise added first, before threshold and rounding. Default discrete Laplace, ε 0.1. */
  noise: NoiseMechanism;
  /**
   * Per-donor contribution bounds applied to every count (units beyond them are
   * not counted); required with Laplace noise, whose scale they set. Null: uncapped.
   */
  contributionCaps: ContributionCaps | null;
  /** 'auto' releases answers at once; 'hold' keeps them until a steward releases them. */
  release: 'auto' | 'hold';
  /** Privacy budget per person kept by this node, or null for none. */
  budget: PrivacyBudget | null;
  /** Rate limits per person; all must allow a question. */
  rateLimits: RateLimit[];
}

/** The default caps: every donor of the synthetic catalogues fits them; see docs/PRIVACY.md. */
export const DEFAULT_CONTRIBUTION_CAPS: ContributionCaps = Object.freeze({ specimens: 5, aliquots: 25, donorCells: 5 });

const positiveInt = z.number().int().min(1);
const exactDecimal = (what: string, max: number) =>
  z
    .number()
    .positive()
    .max(max)
    .refine((value) => /^\d+(\.\d{1,6})?$/.test(String(value)), `${what} must be a decimal with at most 6 decimals`);

const NoiseSchema = z.discriminatedUnion('mechanism', [
  z.strictObject({ mechanism: z.literal('none') }),
  z.strictObject({
    mechanism: z.literal('laplace'),
    epsilon: exactDecimal('epsilon', 10).default(0.1).describe('ε of each released figure: exact discrete Laplace noise of scale (per-donor cap) / ε.'),
  }),
  z.strictObject({
    mechanism: z.literal('shrine'),
    bin: positiveInt.default(5).describe('SHRINE\'s bin: figures are released as multiples of it.'),
    sigma: exactDecimal('sigma', 1000)
      .refine((value) => /^\d+(\.\d{1,3})?$/.test(String(value)), 'sigma must have at most 3 decimals')
      .default(6.5)
      .describe('Standard deviation of SHRINE\'s Gaussian noise.'),
    // The wire carries the clamp as an unsigned integer.
    clamp: z.number().int().min(0).default(10).describe('The noise is clamped to ± this.'),
  }),
]);

const CapsSchema = z.strictObject({
  specimens: positiveInt.max(1000).default(DEFAULT_CONTRIBUTION_CAPS.specimens).describe('Most specimens counted per donor.'),
  aliquots: positiveInt.max(1000).default(DEFAULT_CONTRIBUTION_CAPS.aliquots).describe('Most aliquots counted per donor.'),
  donorCells: positiveInt.max(1000).default(DEFAULT_CONTRIBUTION_CAPS.donorCells).describe('Most strata cells one donor counts in.'),
});

/**
 * `periodDays` and `scope: "researcher"` were the keys of the fixed-period
 * budget; an existing node.json keeps working: `periodDays` is read as
 * `windowDays`. `scope: "project"` is refused: a budget a researcher can renew
 * by naming a new project bounds nothing.
 */
const BudgetSchema = z.preprocess(
  (input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
    const { periodDays, scope, ...rest } = input as Record<string, unknown>;
    const out: Record<string, unknown> = { ...rest };
    if (periodDays !== undefined && out['windowDays'] === undefined) out['windowDays'] = periodDays;
    if (scope !== undefined && scope !== 'researcher') out['scope'] = scope;
    return out;
  },
  z.strictObject(
    {
      epsilon: z.number().positive().finite().default(2).describe('The ε a person may spend at this node over any window.'),
      windowDays: z.number().int().min(1).max(3660).default(30).describe('The sliding window, in days.'),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys' && iss.keys.includes('scope')
          ? 'scope "project" is no longer supported: the budget belongs to the person asking, whatever project they name'
          : undefined,
    },
  ),
);

const RateLimitSchema = z.strictObject({
  limit: positiveInt.describe('Most questions per window.'),
  windowSeconds: positiveInt.describe('The sliding window, in seconds.'),
});

/**
 * Validates a disclosure policy from configuration and fills defaults (see
 * {@link DEFAULT_POLICY}). Unknown keys are rejected at every level.
 */
export const DisclosurePolicySchema = z
  .strictObject({
    threshold: z.number().int().min(0).default(10).describe('A released figure below this is shown as "<threshold" only.'),
    rounding: positiveInt.default(10).describe('Released figures are multiples of this; 1 means no rounding.'),
    noise: NoiseSchema.default((): NoiseMechanism => ({ mechanism: 'laplace', epsilon: 0.1 })).describe(
      'Noise added first, before threshold and rounding: `none`, `laplace` (exact discrete Laplace, a formal ε guarantee) or `shrine` (SHRINE\'s clamped Gaussian).',
    ),
    contributionCaps: CapsSchema.nullable()
      .optional()
      .describe('Per-donor contribution bounds applied to every count; required with Laplace noise (its scale); `null`: uncapped. Default: specimens 5, aliquots 25, donorCells 5 with Laplace noise, else uncapped.'),
    release: z.enum(['auto', 'hold']).default('auto').describe('`auto` releases answers at once; `hold` keeps them until a steward releases them (`biospec node holds`, or in the web UI where the node\'s `holds.decisionsFromCoordinator` allows).'),
    budget: BudgetSchema.nullable()
      .default((): PrivacyBudget => ({ epsilon: 2, windowDays: 30 }))
      .describe('Privacy budget per person kept by this node over a sliding window; `null` for none.'),
    // Factories, so no two parsed policies share (and could mutate) one default object.
    rateLimits: z
      .array(RateLimitSchema)
      .default(() => [
        { limit: 10, windowSeconds: 60 },
        { limit: 200, windowSeconds: 36_000 },
      ])
      .describe('Rate limits per person, all enforced together; the windows are kept in `state/rate-limits.db`.'),
  })
  .transform((policy, ctx): DisclosurePolicy => {
    // Laplace noise is scaled to the caps, so it always has some; other mechanisms count uncapped unless asked.
    const caps =
      policy.contributionCaps === undefined
        ? policy.noise.mechanism === 'laplace'
          ? { ...DEFAULT_CONTRIBUTION_CAPS }
          : null
        : policy.contributionCaps;
    if (policy.noise.mechanism === 'laplace' && caps === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['contributionCaps'],
        message: 'Laplace noise needs contribution caps (its scale is set by them); remove the null to use the defaults',
      });
    }
    return { ...policy, contributionCaps: caps } as DisclosurePolicy;
  });

/** What a configuration file may contain: every field optional, defaults filled by {@link parsePolicy}. */
export type DisclosurePolicyInput = z.input<typeof DisclosurePolicySchema>;

/**
 * The default node policy: discrete Laplace noise with ε 0.1 per figure and
 * per donor (specimens and aliquots capped per donor), then figures under 10
 * shown as "<10" and the rest rounded to 10, released automatically; a budget
 * of ε 2 per person over any 30 days; SHRINE's rate limits (10 per minute,
 * 200 per 10 hours). docs/PRIVACY.md has the reasoning and the table behind the numbers.
 */
export const DEFAULT_POLICY: DisclosurePolicy = deepFreeze({
  threshold: 10,
  rounding: 10,
  noise: { mechanism: 'laplace', epsilon: 0.1 },
  contributionCaps: { ...DEFAULT_CONTRIBUTION_CAPS },
  release: 'auto',
  budget: { epsilon: 2, windowDays: 30 },
  rateLimits: [
    { limit: 10, windowSeconds: 60 },
    { limit: 200, windowSeconds: 36_000 },
  ],
});

/**
 * Releases true counts unchanged: no threshold, no rounding, no noise, no caps,
 * no budget, no rate limits. For tests and for computing demo ground truth
 * ONLY; a node must never run with it in production, since every figure it releases is exact.
 */
export const EXACT_POLICY: DisclosurePolicy = deepFreeze({
  threshold: 0,
  rounding: 1,
  noise: { mechanism: 'none' },
  contributionCaps: null,
  release: 'auto',
  budget: null,
  rateLimits: [],
});

/**
 * Named starting points for `node.json` (`biospec node init --policy NAME`).
 * The three "-like" ones take another system's published mechanism and
 * parameters and apply them under this project's rules (noise first, every
 * cell released, charge from the question): they are comparisons, and only
 * `default` states a bound over a window.
 */
export const POLICY_PRESETS: Readonly<Record<PolicyPresetName, DisclosurePolicy>> = deepFreeze({
  default: DEFAULT_POLICY,
  // samply/focus defaults: Laplace ε 0.1, patient sensitivity 1, specimen sensitivity 20, rounding to 10; no budget.
  'focus-like': {
    ...DEFAULT_POLICY,
    contributionCaps: { specimens: 20, aliquots: 20, donorCells: 3 },
    budget: null,
  },
  // The MII feasibility process (DSF plugin): Laplace sensitivity 1, ε 0.28, rounded to tens; no budget.
  'mii-like': {
    ...DEFAULT_POLICY,
    noise: { mechanism: 'laplace', epsilon: 0.28 },
    budget: null,
  },
  // SHRINE: counts of 10 or fewer withheld, Gaussian σ 6.5 clamped to ±10, bins of 5.
  'shrine-like': {
    ...DEFAULT_POLICY,
    threshold: 11,
    rounding: 1,
    noise: { mechanism: 'shrine', bin: 5, sigma: 6.5, clamp: 10 },
    contributionCaps: null,
    budget: null,
  },
});

export type { PolicyPresetName } from './preset-names.js';

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
  if (issue.code === 'unrecognized_keys' && !issue.message.startsWith('scope "project"')) {
    return issue.keys.map((key) => ({ field: [...at, key].join('.'), message: `unknown key "${key}"` }));
  }
  return [{ field: at.length > 0 ? at.join('.') : '(root)', message: issue.message }];
}

/** Whether figures under this policy carry a formal (ε-differential-privacy) guarantee. */
export function hasFormalGuarantee(policy: DisclosurePolicy): boolean {
  return policy.noise.mechanism === 'laplace' && policy.contributionCaps !== null;
}

/** One human line, e.g. for a node descriptor or an operator's log. */
export function describePolicy(policy: DisclosurePolicy): string {
  const parts: string[] = [];
  parts.push(describeNoise(policy));
  parts.push(policy.threshold > 0 ? `figures under ${policy.threshold} shown as <${policy.threshold}` : 'no low-count threshold');
  parts.push(policy.rounding > 1 ? `rounded to ${policy.rounding}` : 'not rounded');
  if (policy.contributionCaps !== null) {
    const c = policy.contributionCaps;
    parts.push(`per donor at most ${c.specimens} specimens, ${c.aliquots} aliquots, ${c.donorCells} cells counted`);
  }
  parts.push(policy.release === 'auto' ? 'answers released automatically' : 'answers held for a steward');
  parts.push(policy.budget === null ? 'no privacy budget' : `budget ε=${policy.budget.epsilon} per person over any ${policy.budget.windowDays} days`);
  parts.push(
    policy.rateLimits.length === 0
      ? 'no rate limits'
      : `rate limits ${policy.rateLimits.map((r) => `${r.limit} per ${r.windowSeconds} s`).join(', ')}`,
  );
  return `${parts.join('; ')}. ${describeGuarantee(policy)}`;
}

/** What the policy guarantees one donor, in one sentence that never overstates it. */
export function describeGuarantee(policy: DisclosurePolicy): string {
  if (!hasFormalGuarantee(policy)) {
    return policy.noise.mechanism === 'none'
      ? 'No formal guarantee: figures are exact or only rounded, and repeated or differenced questions can reveal one donor.'
      : 'No formal guarantee: clamped noise has no ε, and averaging reworded questions removes it.';
  }
  const epsilon = (policy.noise as LaplaceNoise).epsilon;
  return policy.budget === null
    ? `Each figure is ${epsilon}-differentially private for one donor; with no budget there is no bound over many questions.`
    : `Each figure is ${epsilon}-differentially private for one donor, and one person's questions at this node together cost each donor at most ε=${policy.budget.epsilon} over any ${policy.budget.windowDays} days.`;
}

function describeNoise(policy: DisclosurePolicy): string {
  const { noise } = policy;
  switch (noise.mechanism) {
    case 'none':
      return 'no noise';
    case 'laplace':
      return `discrete Laplace noise ε=${noise.epsilon} per figure`;
    case 'shrine':
      return `SHRINE-style noise (discrete Gaussian σ=${noise.sigma} clamped ±${noise.clamp}, bins of ${noise.bin})`;
  }
}
