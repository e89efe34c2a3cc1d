import { status as GrpcStatus } from '@grpc/grpc-js';
import { SiteStatus } from '@biospec/protocol';

/** How one site's call ended, as the researcher is told it. */
export interface SiteFailure {
  status: SiteStatus;
  message: string;
}

/**
 * Maps what a node call threw to the site's status. A node that is down or
 * slow only changes its own row: it never fails the federated query.
 */
export function siteFailureOf(reason: unknown): SiteFailure {
  const err = reason as { code?: unknown; details?: unknown; message?: unknown };
  const message = typeof err?.details === 'string' && err.details ? err.details : String(err?.message ?? reason);
  switch (err?.code) {
    case GrpcStatus.DEADLINE_EXCEEDED:
      return { status: SiteStatus.SITE_STATUS_TIMEOUT, message: 'no answer within the deadline' };
    case GrpcStatus.UNAVAILABLE:
      return { status: SiteStatus.SITE_STATUS_UNREACHABLE, message };
    case GrpcStatus.UNAUTHENTICATED:
    case GrpcStatus.PERMISSION_DENIED:
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.RESOURCE_EXHAUSTED:
    case GrpcStatus.FAILED_PRECONDITION:
      return { status: SiteStatus.SITE_STATUS_REJECTED, message };
    default:
      return { status: SiteStatus.SITE_STATUS_ERROR, message };
  }
}
