/** How long a node waits before dialling again after a failure. */
export interface BackoffOptions {
  /** The first wait's ceiling, in milliseconds. */
  initialMs: number;
  /** No wait is longer than this. */
  maxMs: number;
  /** Growth of the ceiling per consecutive failure; default 2. */
  multiplier?: number;
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
}

export interface Backoff {
  /** The wait before the next attempt; each call counts one more consecutive failure. */
  next(): number;
  /** After a connection that held: the next wait starts from `initialMs` again. */
  reset(): void;
  /** Consecutive failures counted since the last reset. */
  failures(): number;
}

/**
 * Capped exponential backoff with jitter: the n-th consecutive wait is drawn uniformly from
 * [c/2, c), c = min(maxMs, initialMs × multiplier^(n-1)). The jitter spreads the nodes of a
 * network that lost their coordinator at once, so its restart is not met by all of them in the
 * same instant; the lower half keeps a failing node from retrying in a tight loop.
 */
export function createBackoff(options: BackoffOptions): Backoff {
  const multiplier = options.multiplier ?? 2;
  const random = options.random ?? Math.random;
  let failures = 0;
  return {
    next() {
      const ceiling = Math.min(options.maxMs, options.initialMs * multiplier ** failures);
      failures += 1;
      return Math.round(ceiling / 2 + random() * (ceiling / 2));
    },
    reset() {
      failures = 0;
    },
    failures: () => failures,
  };
}
