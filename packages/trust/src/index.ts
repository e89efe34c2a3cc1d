export {
  SIGNING_ALGORITHM,
  createKeyRing,
  generateSigningKey,
  importSigningKey,
  type KeyRing,
  type KeyRingOptions,
  type RingKey,
  type SigningKey,
} from './keys.js';
export { REPLAY_CACHE_MIGRATIONS, createReplayCache, type ReplayCache } from './replay-cache.js';
export { DEFAULT_MAX_TOKEN_BYTES, reject, signCompactJws, verifyCompactJws, type VerifiedJws } from './compact-jws.js';
export {
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_QUERY_LIFETIME_SECONDS,
  MAX_QUERY_LIFETIME_SECONDS,
  QUERY_TOKEN_TYPE,
  QUESTION_KINDS,
  signQuery,
  signQueryForEach,
  verifyQuery,
  type SignedQuery,
  type QueryClaims,
  type QuestionKind,
  type RevocationStamp,
  type SignQueryInput,
  type VerifyQueryOptions,
} from './query-token.js';
export {
  DEFAULT_STEWARD_TOKEN_LIFETIME_SECONDS,
  HOLD_STATUSES,
  STEWARD_ACTIONS,
  STEWARD_TOKEN_TYPE,
  signStewardRequest,
  verifyStewardRequest,
  type SignStewardRequestInput,
  type StewardAction,
  type StewardClaims,
  type StewardIdentity,
  type VerifyStewardRequestOptions,
} from './steward-token.js';
export { RESULT_TOKEN_TYPE, signResult, verifyResult, type VerifyResultOptions } from './result-token.js';
export { ResultBundleSchema, verifyBundle, type ResultBundle, type SiteVerification } from './bundle.js';
export {
  DEFAULT_RESEARCHER_TOKEN_LIFETIME_SECONDS,
  RESEARCHER_ROLES,
  ROLE_PATTERN,
  createResearcherVerifier,
  rolesFromClaims,
  issueResearcherToken,
  type IssueResearcherTokenInput,
  type LocalIssuer,
  type RemoteIssuer,
  type ResearcherIdentity,
  type ResearcherRole,
  type RoleMapping,
  type ResearcherVerifier,
  type ResearcherVerifierOptions,
} from './researcher-token.js';
export {
  AUDIT_LOG_MIGRATIONS,
  GENESIS_HASH,
  createAuditLog,
  type AuditEntry,
  type AuditLogOptions,
  type AuditSigner,
  type AuditInput,
  type AuditListOptions,
  type AuditLog,
  type ChainVerification,
} from './audit-log.js';
export {
  AUDIT_CHECKPOINT_TYPE,
  defaultHeadFile,
  peekCheckpoint,
  readHeadFile,
  signCheckpoint,
  verifyCheckpoint,
  type AuditCheckpoint,
  type VerifiedCheckpoint,
} from './audit-checkpoint.js';
export { verifyAuditEvidence, type AuditProblem, type AuditVerification, type AuditVerifyOptions } from './audit-verify.js';
export { auditStoreOf, type AuditStore } from './audit-store.js';
export { hashOf, type AuditRow } from './audit-chain.js';
