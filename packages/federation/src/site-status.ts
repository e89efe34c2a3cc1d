import { status as GrpcStatus } from '@grpc/grpc-js';
import { SiteStatus, type ErrorCode } from '@biospec/protocol';
import { nodeRefusalOf } from './node-refusal.js';

/** How one site's call ended, as the researcher is told it. */
export interface SiteFailure {
  status: SiteStatus;
  message: string;
  /** The node's hint of when to ask again, in milliseconds (busy, warming up, rate limit, budget). */
  retryAfterMs?: number;
  /** The node's error code, when it gave one its gRPC status agrees with (RATE_LIMITED, BUDGET_EXHAUSTED, ...). */
  reason?: ErrorCode;
}

/** What the researcher reads for a node whose count index is not ready yet, whatever the node's own wording. */
export const WARMING_UP_MESSAGE = 'count index warming up';

/**
 * Maps what a node call threw to the site's status: the one place this mapping lives.
 * A node that is down, slow or busy only changes its own row: it never fails the federated query.
 * RESOURCE_EXHAUSTED is `busy` when the node says BUSY (its load), `rejected` when it is the
 * researcher's rate limit or budget; UNAVAILABLE is `warming_up` when the node says WARMING_UP
 * (up, but not able to count yet), `unreachable` otherwise.
 */
export function siteFailureOf(reason: unknown): SiteFailure {
  const refusal = nodeRefusalOf(reason);
  const retry = refusal.retryAfterMs === undefined ? {} : { retryAfterMs: refusal.retryAfterMs };
  if (refusal.reason === 'BUSY') return { status: SiteStatus.SITE_STATUS_BUSY, message: refusal.details, ...retry };
  if (refusal.reason === 'WARMING_UP') return { status: SiteStatus.SITE_STATUS_WARMING_UP, message: WARMING_UP_MESSAGE, ...retry };
  const message = refusal.details;
  switch (refusal.code) {
    case GrpcStatus.DEADLINE_EXCEEDED:
      return { status: SiteStatus.SITE_STATUS_TIMEOUT, message: 'no answer within the deadline' };
    case GrpcStatus.UNAVAILABLE:
      return { status: SiteStatus.SITE_STATUS_UNREACHABLE, message };
    case GrpcStatus.UNAUTHENTICATED:
    case GrpcStatus.PERMISSION_DENIED:
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.RESOURCE_EXHAUSTED:
    case GrpcStatus.FAILED_PRECONDITION:
      return { status: SiteStatus.SITE_STATUS_REJECTED, message, ...retry, ...(refusal.reason === undefined ? {} : { reason: refusal.reason }) };
    default:
      return { status: SiteStatus.SITE_STATUS_ERROR, message };
  }
}
