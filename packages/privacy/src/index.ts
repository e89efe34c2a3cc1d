export {
  DEFAULT_CONTRIBUTION_CAPS,
  DEFAULT_POLICY,
  DisclosurePolicySchema,
  EXACT_POLICY,
  POLICY_PRESETS,
  describeGuarantee,
  describePolicy,
  hasFormalGuarantee,
  parsePolicy,
  type DisclosurePolicy,
  type DisclosurePolicyInput,
  type LaplaceNoise,
  type NoNoise,
  type NoiseMechanism,
  type PolicyPresetName,
  type PrivacyBudget,
  type RateLimit,
  type ShrineNoise,
} from './policy.js';
export { noiseGeneration, planQuestion, type FigurePlan, type QuestionPlan } from './accounting.js';
export {
  decimalToRational,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  type BitSource,
  type Rational,
} from './discrete-noise.js';
export { questionBitSources, questionNoiseKey, type QuestionNoiseParts } from './noise.js';
export { heldFigure, protectAnswer, type ProtectedResult, type ProtectionContext, type TrueCount } from './protect.js';
export { createBudgetLedger, type BudgetCharge, type BudgetLedger, type BudgetStatus, type ChargeResult } from './budget-ledger.js';
export {
  checkRateLimits,
  createMemoryRateLimitStore,
  createRateLimiter,
  decide as decideRateLimit,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitStore,
} from './rate-limiter.js';
export { createSqliteRateLimitStore, RATE_LIMIT_MIGRATIONS } from './sqlite-rate-limit-store.js';
export {
  HOLD_QUEUE_MIGRATIONS,
  createHoldQueue,
  type HeldQuestion,
  type HoldQueue,
  type HoldQueueInit,
  type HoldRequest,
  type HoldStatus,
} from './hold-queue.js';
export {
  SUMMARY_EPSILON,
  SUMMARY_MATERIAL_MINIMUM,
  SUMMARY_STEP,
  protectCatalogueSummary,
  type CatalogueSummaryRelease,
  type SummaryCounts,
} from './summary.js';
