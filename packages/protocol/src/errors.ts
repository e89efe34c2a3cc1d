/**
 * Every failure the federation reports has one of these codes. The code, not
 * the message, decides the gRPC and HTTP status (see {@link httpStatusOf}, and grpcStatusOf in grpc-errors.ts).
 */
export const ERROR_CODES = [
  'INVALID_QUERY',
  'INVALID_DATA',
  'INVALID_CONFIG',
  'INVALID_ARGUMENT',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'BUDGET_EXHAUSTED',
  'RATE_LIMITED',
  'BUSY',
  'TOO_LARGE',
  'UNAVAILABLE',
  'WARMING_UP',
  'DEADLINE_EXCEEDED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** One problem found in input data or a query, located as precisely as possible. */
export interface Issue {
  /** 1-based line in the source file, when the input is a file. */
  line?: number;
  /** Field, column, JSON path or resource path the problem is in. */
  field?: string;
  message: string;
}

/** The one error type of the project: a stable code, a safe message, optional located issues. */
export class BiospecError extends Error {
  override readonly name: string;
  readonly code: ErrorCode;
  readonly issues: readonly Issue[];
  /** For a refusal that may succeed later (BUSY, WARMING_UP): how long to wait before asking again. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: { issues?: readonly Issue[]; cause?: unknown; retryAfterMs?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = `BiospecError[${code}]`;
    this.issues = options.issues ?? [];
    this.retryAfterMs = options.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(options.retryAfterMs));
  }

  /** Normalises anything thrown into a BiospecError; unknown failures become INTERNAL. */
  static from(reason: unknown): BiospecError {
    if (reason instanceof BiospecError) return reason;
    return new BiospecError('INTERNAL', 'internal error', { cause: reason });
  }
}

export function isBiospecError(value: unknown): value is BiospecError {
  return value instanceof BiospecError;
}

const HTTP: Record<ErrorCode, number> = {
  INVALID_QUERY: 400,
  INVALID_DATA: 400,
  INVALID_CONFIG: 500,
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 412,
  BUDGET_EXHAUSTED: 429,
  RATE_LIMITED: 429,
  BUSY: 503,
  TOO_LARGE: 413,
  UNAVAILABLE: 503,
  WARMING_UP: 503,
  DEADLINE_EXCEEDED: 504,
  INTERNAL: 500,
};

/** The HTTP status a code is answered with. The only place this mapping lives. */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP[code];
}

/** Trailing metadata of a refused call: the error code, so a client can tell BUSY from RATE_LIMITED (both RESOURCE_EXHAUSTED). */
export const ERROR_CODE_TRAILER = 'biospec-error-code';
/** Trailing metadata of a refusal that may succeed later: milliseconds to wait before asking again. */
export const RETRY_AFTER_TRAILER = 'retry-after-ms';

/** "line 12, field sex: unknown value 'x'" */
export function formatIssue(issue: Issue): string {
  const where = [issue.line !== undefined ? `line ${issue.line}` : '', issue.field ? `field ${issue.field}` : '']
    .filter(Boolean)
    .join(', ');
  return where ? `${where}: ${issue.message}` : issue.message;
}
