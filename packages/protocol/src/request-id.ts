import { randomUUID } from 'node:crypto';

/**
 * One id per researcher call (REST or gRPC), carried in every query the coordinator signs
 * for it (claim `request_id`), so the coordinator's access log and audit entry, and each
 * node's log and audit entry, can be joined. A caller may bring its own in the header or
 * metadata `x-request-id` (a load balancer's, say); one that does not fit the pattern is
 * replaced, never echoed.
 */
export const REQUEST_ID_HEADER = 'x-request-id';

/** 1 to 128 letters, digits, `.`, `_`, `:` or `-`: safe in logs, headers and JWT claims. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's request id when it fits {@link REQUEST_ID_PATTERN}, a new random one otherwise. */
export function requestIdFrom(value: unknown): string {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return typeof first === 'string' && REQUEST_ID_PATTERN.test(first) ? first : randomUUID();
}
