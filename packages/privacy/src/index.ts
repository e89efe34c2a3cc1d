export {
  DEFAULT_POLICY,
  DisclosurePolicySchema,
  EXACT_POLICY,
  describePolicy,
  epsilonPerQuery,
  parsePolicy,
  type DisclosurePolicy,
  type DisclosurePolicyInput,
  type LaplaceNoise,
  type NoNoise,
  type NoiseMechanism,
  type PrivacyBudget,
  type RateLimit,
  type ShrineNoise,
} from './policy.js';
export { clampedGaussianNoise, laplaceNoise, noiseSeed, uniformFromSeed, type NoiseSeedParts } from './noise.js';
export {
  TOTAL_CELL,
  canonicalCellKey,
  heldFigure,
  protectCount,
  protectResult,
  type ProtectedResult,
  type ProtectionContext,
  type TrueCount,
} from './protect.js';
export {
  createBudgetLedger,
  type BudgetCharge,
  type BudgetKey,
  type BudgetLedger,
  type BudgetStatus,
  type ChargeResult,
} from './budget-ledger.js';
export { createRateLimiter, type RateLimiter, type RateLimiterInit } from './rate-limiter.js';
export {
  HOLD_QUEUE_MIGRATIONS,
  createHoldQueue,
  type HeldQuestion,
  type HoldQueue,
  type HoldQueueInit,
  type HoldRequest,
  type HoldStatus,
} from './hold-queue.js';
