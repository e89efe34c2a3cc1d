/**
 * The part of the query model a web browser may load: the specimen vocabularies and their
 * labels, the AST types, strata domains and the canonical form. Nothing reachable from here
 * imports Node built-ins or @biospec/protocol, so the web UI bundles it and shows exactly the
 * canonical query the coordinator will sign (`browser.test.ts` keeps it so).
 */
export * from './specimen.js';
export * from './ast.js';
export * from './strata-domains.js';
export * from './vocab/duo.js';
export * from './vocab/icd10.js';
export * from './vocab/icd10-codes.js';
export * from './vocab/labels.js';
export { canonicalJson, canonicalise } from './canonical.js';
export { QUERY_LIMITS } from './limits.js';
