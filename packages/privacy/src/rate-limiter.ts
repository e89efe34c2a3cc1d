import { BiospecError } from '@biospec/protocol';
import type { RateLimit } from './policy.js';

/** Sliding-window rate limits per key (a researcher), all enforced together. */
export interface RateLimiter {
  /**
   * Records one question for `key` if every limit allows it.
   * @throws BiospecError RATE_LIMITED naming the limit reached and when to retry; nothing is recorded.
   */
  take(key: string, now?: number): void;
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterInit {
  /**
   * Most keys tracked at once (default 100 000). Beyond it the least recently
   * active key is forgotten; idle keys are forgotten anyway once their longest
   * window has passed.
   */
  maxKeys?: number;
}

/**
 * An in-memory sliding-window-log limiter: a question is allowed when, for each
 * limit, fewer than `limit` questions of the key fall in the last `windowSeconds`.
 * Memory stays bounded: per key at most the largest `limit` timestamps are kept,
 * and keys idle for the longest window are evicted.
 * @throws BiospecError INVALID_CONFIG when a limit is not a pair of positive integers.
 */
export function createRateLimiter(limits: RateLimit[], init: RateLimiterInit = {}): RateLimiter {
  for (const [index, { limit, windowSeconds }] of limits.entries()) {
    if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(windowSeconds) || windowSeconds < 1) {
      throw new BiospecError('INVALID_CONFIG', `rate limit #${index} must have a positive integer limit and window`, {
        issues: [{ field: `rateLimits.${index}`, message: `got limit ${limit}, windowSeconds ${windowSeconds}` }],
      });
    }
  }
  const maxKeys = init.maxKeys ?? 100_000;
  const longestWindowMs = Math.max(0, ...limits.map((l) => l.windowSeconds * 1000));
  const keep = Math.max(0, ...limits.map((l) => l.limit));
  // Map iteration order is insertion order; re-inserting on use makes the first entry the least recently active.
  const history = new Map<string, number[]>();

  const evictIdle = (now: number) => {
    for (const [key, times] of history) {
      const latest = times[times.length - 1];
      if (latest !== undefined && latest > now - longestWindowMs) break;
      history.delete(key);
    }
  };

  return {
    take(key, now = Date.now()) {
      if (limits.length === 0) return;
      evictIdle(now);
      const times = (history.get(key) ?? []).filter((t) => t > now - longestWindowMs);
      for (const { limit, windowSeconds } of limits) {
        const windowStart = now - windowSeconds * 1000;
        const inWindow = times.filter((t) => t > windowStart);
        const oldest = inWindow[inWindow.length - limit];
        if (inWindow.length >= limit && oldest !== undefined) {
          const retrySeconds = Math.max(1, Math.ceil((oldest - windowStart) / 1000));
          history.delete(key);
          history.set(key, times);
          throw new BiospecError(
            'RATE_LIMITED',
            `rate limit for ${key}: limit of ${limit} per ${windowSeconds} s reached, retry in ${retrySeconds} s`,
          );
        }
      }
      times.push(now);
      if (times.length > keep) times.splice(0, times.length - keep);
      history.delete(key);
      history.set(key, times);
      if (history.size > maxKeys) {
        const leastRecent = history.keys().next();
        if (!leastRecent.done) history.delete(leastRecent.value);
      }
    },
  };
}
