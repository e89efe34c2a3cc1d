/**
 * `@biospec/query/model`: all of the package but the query schema (schema.ts, which loads zod):
 * the specimen model, vocabularies, AST, strata, canonical form and hash, row batches. Worker
 * threads import this instead of the root, so they start without loading zod or gRPC.
 */
export * from './specimen.js';
export * from './ast.js';
export * from './strata.js';
export * from './vocab/duo.js';
export * from './vocab/icd10.js';
export * from './vocab/icd10-codes.js';
export * from './vocab/labels.js';
export * from './canonical.js';
export * from './query-hash.js';
export * from './contribution.js';
export * from './reference-evaluator.js';
export { QUERY_LIMITS } from './limits.js';
export { formatJsonPath } from './json-path.js';
export { ageInYears, dateParts, type DateParts } from './age.js';
export * from './row-batch.js';
