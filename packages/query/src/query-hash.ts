import { createHash } from 'node:crypto';
import type { Query } from './ast.js';
import { canonicalJson, canonicalise } from './canonical.js';

/**
 * Lowercase hex SHA-256 of the canonical JSON of the canonical query: the query's identity.
 * Kept apart from canonical.ts so the canonical form needs nothing from Node (the web UI bundles it).
 */
export function queryHash(query: Query): string {
  return createHash('sha256').update(canonicalJson(canonicalise(query)), 'utf8').digest('hex');
}
