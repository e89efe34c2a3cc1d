import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { ERROR_CODE_TRAILER, ERROR_CODES, RETRY_AFTER_TRAILER, grpcStatusOf, type ErrorCode } from '@biospec/protocol';

/** Why a node call failed, as far as the node said: the one place the client reads a refusal's reason. */
export interface NodeRefusal {
  /** The gRPC status code, when the failure carried one. */
  code: GrpcStatus | undefined;
  details: string;
  /**
   * The node's error code (BUSY, WARMING_UP, RATE_LIMITED, BUDGET_EXHAUSTED, …), only when it agrees
   * with the gRPC status code it is mapped to: a node cannot turn a crash into "busy".
   */
  reason: ErrorCode | undefined;
  /** The node's hint of when to ask again, in milliseconds. */
  retryAfterMs: number | undefined;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

function firstString(metadata: Metadata | undefined, key: string): string | undefined {
  const value = metadata?.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Decodes what a node call threw (a grpc-js ServiceError, or a stream refusal shaped like one):
 * the error code from the `biospec-error-code` trailer, or else from the `CODE: ` prefix every
 * node release puts in the details; the retry hint from the `retry-after-ms` trailer.
 */
export function nodeRefusalOf(reason: unknown): NodeRefusal {
  const err = reason as { code?: unknown; details?: unknown; message?: unknown; metadata?: unknown } | null | undefined;
  const code = typeof err?.code === 'number' ? (err.code as GrpcStatus) : undefined;
  const details = typeof err?.details === 'string' && err.details ? err.details : String(err?.message ?? reason);
  const metadata = err?.metadata instanceof Metadata ? err.metadata : undefined;
  const named = firstString(metadata, ERROR_CODE_TRAILER) ?? /^([A-Z_]+): /.exec(details)?.[1];
  const known = named !== undefined && KNOWN_CODES.has(named) ? (named as ErrorCode) : undefined;
  const agrees = known !== undefined && code !== undefined && grpcStatusOf(known) === code;
  const hint = Number(firstString(metadata, RETRY_AFTER_TRAILER));
  return {
    code,
    details,
    reason: agrees ? known : undefined,
    retryAfterMs: Number.isFinite(hint) && hint > 0 ? Math.ceil(hint) : undefined,
  };
}

/** The trailers a unary call would have carried for a refusal that came as a stream message instead. */
export function refusalTrailers(reason: string, retryAfterMs: number): Metadata {
  const metadata = new Metadata();
  if (reason) metadata.set(ERROR_CODE_TRAILER, reason);
  if (retryAfterMs > 0) metadata.set(RETRY_AFTER_TRAILER, String(retryAfterMs));
  return metadata;
}
