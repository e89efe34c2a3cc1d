import { NodeResult } from '@biospec/protocol';
import { z } from 'zod';
import { DEFAULT_MAX_TOKEN_BYTES, reject, signCompactJws, verifyCompactJws } from './compact-jws.js';
import type { KeyRing, SigningKey } from './keys.js';

/** `typ` header of a node's signed answer. */
export const RESULT_TOKEN_TYPE = 'biospec-result+jwt';

// NodeResult.fromJSON accepts anything; these are the fields a verifier relies on.
const ResultPayloadSchema = z.looseObject({
  nodeId: z.string().min(1),
  queryHash: z.string().regex(/^[0-9a-f]{64}$/, 'expected lowercase hex SHA-256'),
});

/** Signs a node's answer as a compact JWS (EdDSA) whose payload is the protobuf JSON form of `result`. */
export async function signResult(result: NodeResult, key: SigningKey): Promise<string> {
  return signCompactJws(NodeResult.toJSON(result), key, RESULT_TOKEN_TYPE);
}

/** What the verifier expects the answer to be about. */
export interface VerifyResultOptions {
  expectedNodeId?: string;
  expectedQueryHash?: string;
  maxTokenBytes?: number;
}

/**
 * Verifies a node's signed answer against that node's keys, offline. Any
 * failure, including a node id or query hash other than expected, is UNAUTHENTICATED
 * with the reason as message.
 */
export async function verifyResult(token: string, keys: KeyRing, options: VerifyResultOptions = {}): Promise<NodeResult> {
  const { payload } = await verifyCompactJws(token, {
    keys,
    typ: RESULT_TOKEN_TYPE,
    maxTokenBytes: options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES,
    unsignedReason: 'result is not signed',
  });
  const parsed = ResultPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.map(String).join('.') || 'result';
    reject('UNAUTHENTICATED', field, `invalid result field ${field}`);
  }
  const result = NodeResult.fromJSON(payload);
  if (options.expectedNodeId !== undefined && result.nodeId !== options.expectedNodeId) {
    reject('UNAUTHENTICATED', 'nodeId', 'result is from another node');
  }
  if (options.expectedQueryHash !== undefined && result.queryHash !== options.expectedQueryHash) {
    reject('UNAUTHENTICATED', 'queryHash', 'query hash does not match');
  }
  return result;
}
