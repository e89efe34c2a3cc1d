// Apart from errors.ts so that what loads only the error type (worker threads, the CLI at start,
// through @biospec/protocol/core) does not load grpc-js.
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { BiospecError, ERROR_CODE_TRAILER, formatIssue, RETRY_AFTER_TRAILER, type ErrorCode } from './errors.js';

const GRPC: Record<ErrorCode, GrpcStatus> = {
  INVALID_QUERY: GrpcStatus.INVALID_ARGUMENT,
  INVALID_DATA: GrpcStatus.INVALID_ARGUMENT,
  INVALID_CONFIG: GrpcStatus.FAILED_PRECONDITION,
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  BUDGET_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED,
  // The node has more questions than it can answer in time and refuses this one at once (with a retry hint);
  // the code in the `biospec-error-code` trailer keeps it apart from a researcher's rate limit or budget.
  BUSY: GrpcStatus.RESOURCE_EXHAUSTED,
  TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  // The node is up but cannot answer counts yet (its count index is loading); the coordinator shows it apart from "unreachable".
  WARMING_UP: GrpcStatus.UNAVAILABLE,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  INTERNAL: GrpcStatus.INTERNAL,
};

/** The gRPC status a code is answered with. The only place this mapping lives. */
export function grpcStatusOf(code: ErrorCode): GrpcStatus {
  return GRPC[code];
}

/** A refusal as gRPC carries it: status code, details, and trailers with the error code and retry hint. */
export interface GrpcRefusal {
  code: GrpcStatus;
  details: string;
  message: string;
  /** The error code (BiospecError's), as sent in {@link ERROR_CODE_TRAILER}. */
  reason: ErrorCode;
  retryAfterMs: number | undefined;
  metadata: Metadata;
}

/** Shape of an error handed to a grpc-js callback: grpc-js sends `code` as the status and `metadata` as trailers. */
export function toGrpcError(reason: unknown): GrpcRefusal {
  const err = BiospecError.from(reason);
  const located = err.issues.length > 0 ? `: ${err.issues.map(formatIssue).join('; ')}` : '';
  const details = `${err.code}: ${err.message}${located}`;
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, err.code);
  if (err.retryAfterMs !== undefined) metadata.set(RETRY_AFTER_TRAILER, String(err.retryAfterMs));
  return { code: grpcStatusOf(err.code), details, message: details, reason: err.code, retryAfterMs: err.retryAfterMs, metadata };
}
