import { Buffer } from 'node:buffer';
import { BiospecError, type NodeResult } from '@biospec/protocol';
import { canonicalise, parseQuery, queryHash } from '@biospec/query';
import type { JWK } from 'jose';
import { z } from 'zod';
import { createKeyRing } from './keys.js';
import { verifyResult } from './result-token.js';

/** The largest signed answer a bundle may hold, the same bound the coordinator puts on a node's answer. */
const MAX_SAVED_ANSWER_BYTES = 1024 * 1024;

const JwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

/** A researcher's saved federated result: everything needed to re-verify it offline, years later. */
export const ResultBundleSchema = z.object({
  version: z.literal(1),
  query_hash: z.string().regex(/^[0-9a-f]{64}$/, 'expected lowercase hex SHA-256'),
  canonical_query: z.unknown(),
  created_at: z.string().min(1),
  sites: z.array(
    z.object({
      node_id: z.string().min(1),
      status: z.string(),
      signed_result: z.string().optional(),
    }),
  ),
  /** Each node's public keys as the coordinator knew them when the bundle was made. */
  jwks: z.record(z.string(), JwksSchema),
});

/** A saved result bundle (see {@link ResultBundleSchema}). */
export interface ResultBundle {
  version: 1;
  query_hash: string;
  canonical_query: unknown;
  created_at: string;
  sites: { node_id: string; status: string; signed_result?: string }[];
  jwks: Record<string, { keys: JWK[] }>;
}

/** The outcome for one site of a bundle. */
export interface SiteVerification {
  node_id: string;
  verified: boolean;
  /** The key id the answer was verified with. */
  kid?: string;
  reason?: string;
  result?: NodeResult;
}

/**
 * Re-verifies every site's signed answer in a bundle. With `trustedJwks`
 * (keys obtained out of band) only those keys count; otherwise the bundle's own,
 * which proves integrity but not who signed. Each result must answer the bundle's
 * query hash, and that hash must be the hash of the bundle's query.
 * Throws INVALID_ARGUMENT only when the bundle itself is not a bundle.
 */
export async function verifyBundle(
  bundle: ResultBundle,
  trustedJwks?: Record<string, { keys: JWK[] }>,
): Promise<SiteVerification[]> {
  const parsed = ResultBundleSchema.safeParse(bundle);
  if (!parsed.success) {
    throw new BiospecError('INVALID_ARGUMENT', 'not a result bundle', {
      issues: parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join('.'), message: issue.message })),
    });
  }
  const queryProblem = queryHashProblem(bundle);
  return Promise.all(
    bundle.sites.map(async (site): Promise<SiteVerification> => {
      const fail = (reason: string): SiteVerification => ({ node_id: site.node_id, verified: false, reason });
      if (queryProblem !== undefined) return fail(queryProblem);
      if (site.signed_result === undefined || site.signed_result === '') return fail(`no signed result (status ${site.status})`);
      const jwks = trustedJwks !== undefined ? trustedJwks[site.node_id] : bundle.jwks[site.node_id];
      if (jwks === undefined) return fail(trustedJwks !== undefined ? 'no trusted keys for this node' : 'no keys for this node in the bundle');
      try {
        const keys = await createKeyRing(jwks.keys);
        const result = await verifyResult(site.signed_result, keys, {
          expectedNodeId: site.node_id,
          expectedQueryHash: bundle.query_hash,
          // As large as a coordinator accepts from a node: stratified and availability answers list every cell.
          maxTokenBytes: MAX_SAVED_ANSWER_BYTES,
        });
        return { node_id: site.node_id, verified: true, kid: keyIdOf(site.signed_result), result };
      } catch (error) {
        return fail(BiospecError.from(error).message);
      }
    }),
  );
}

function queryHashProblem(bundle: ResultBundle): string | undefined {
  try {
    const hash = queryHash(canonicalise(parseQuery(bundle.canonical_query)));
    return hash === bundle.query_hash ? undefined : 'bundle query does not match its query hash';
  } catch (error) {
    return `bundle query is invalid: ${BiospecError.from(error).message}`;
  }
}

/** The `kid` of a compact JWS that has just verified (so its header is known to decode). */
function keyIdOf(token: string): string {
  return String((JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown }).kid);
}
