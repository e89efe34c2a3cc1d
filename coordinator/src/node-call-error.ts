import { BiospecError, type ErrorCode } from '@biospec/protocol';
import { nodeRefusalOf } from '@biospec/federation';
import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * A unary node call's failure as the caller's error: the node's own code and message, so its
 * refusal reaches REST with the HTTP status of that code (`httpStatusOf`). A failure the node did
 * not name is DEADLINE_EXCEEDED or UNAVAILABLE when gRPC says so, INTERNAL otherwise.
 */
export function nodeCallError(nodeId: string, reason: unknown): BiospecError {
  const refusal = nodeRefusalOf(reason);
  const fallback: ErrorCode =
    refusal.code === GrpcStatus.DEADLINE_EXCEEDED ? 'DEADLINE_EXCEEDED' : refusal.code === GrpcStatus.UNAVAILABLE ? 'UNAVAILABLE' : 'INTERNAL';
  const message = refusal.details.replace(/^[A-Z_]+: /, '');
  return new BiospecError(refusal.reason ?? fallback, `node ${nodeId}: ${message}`, { cause: reason });
}
