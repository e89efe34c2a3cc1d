import { BiospecError } from '@biospec/protocol';
import type { RateLimit } from './policy.js';

/** Sliding-window rate limits per key (a researcher's pseudonym), all enforced together. */
export interface RateLimiter {
  /**
   * Records one question for `key` if every limit allows it.
   * @throws BiospecError RATE_LIMITED naming the limit reached, with `retryAfterMs`: when one
   * more question would fit; nothing is recorded.
   */
  take(key: string, now?: number): Promise<void>;
  close(): Promise<void>;
}

/** What a store decided for one question. */
export type RateLimitDecision =
  | { allowed: true }
  | {
      allowed: false;
      /** The first limit (in the order given) that is reached. */
      limit: RateLimit;
      /** Milliseconds until the oldest question counted against that limit leaves its window. */
      retryAfterMs: number;
    };

/**
 * Where the windows are kept: in memory, in a SQLite file (so they survive restarts), or in a
 * database several coordinators share. `take` must decide and record atomically: two
 * concurrent takes (threads, processes, replicas) never both pass on the last place.
 */
export interface RateLimitStore {
  /**
   * Records one question for `key` at `now` (ms) if, for every limit, fewer than `limit` of its
   * questions fall in `(now - windowSeconds s, now]`; otherwise records nothing.
   */
  take(key: string, limits: readonly RateLimit[], now: number): Promise<RateLimitDecision> | RateLimitDecision;
  close(): Promise<void> | void;
}

/** Throws INVALID_CONFIG unless every limit is a pair of positive integers. */
export function checkRateLimits(limits: readonly RateLimit[]): void {
  for (const [index, { limit, windowSeconds }] of limits.entries()) {
    if (!Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(windowSeconds) || windowSeconds < 1) {
      throw new BiospecError('INVALID_CONFIG', `rate limit #${index} must have a positive integer limit and window`, {
        issues: [{ field: `rateLimits.${index}`, message: `got limit ${limit}, windowSeconds ${windowSeconds}` }],
      });
    }
  }
}

/**
 * The decision of the sliding-window log for one key, from its questions' times in
 * ascending order: the first limit reached, and when its oldest question counted leaves the window.
 */
export function decide(times: readonly number[], limits: readonly RateLimit[], now: number): RateLimitDecision {
  for (const limit of limits) {
    const windowStart = now - limit.windowSeconds * 1000;
    const inWindow = times.filter((t) => t > windowStart);
    const oldest = inWindow[inWindow.length - limit.limit];
    if (inWindow.length >= limit.limit && oldest !== undefined) return { allowed: false, limit, retryAfterMs: Math.max(1, oldest - windowStart) };
  }
  return { allowed: true };
}

/**
 * Enforces `limits` with the windows kept in `store` (default: in memory, lost on restart).
 * @throws BiospecError INVALID_CONFIG when a limit is not a pair of positive integers.
 */
export function createRateLimiter(limits: RateLimit[], init: { store?: RateLimitStore } = {}): RateLimiter {
  checkRateLimits(limits);
  const store = init.store ?? createMemoryRateLimitStore();
  return {
    async take(key, now = Date.now()) {
      if (limits.length === 0) return;
      const decision = await store.take(key, limits, now);
      if (decision.allowed) return;
      const { limit, windowSeconds } = decision.limit;
      const retrySeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      throw new BiospecError('RATE_LIMITED', `rate limit for ${key}: limit of ${limit} per ${windowSeconds} s reached, retry in ${retrySeconds} s`, {
        retryAfterMs: retrySeconds * 1000,
      });
    },
    async close() {
      await store.close();
    },
  };
}

/**
 * Windows in memory: a sliding-window log per key. Memory stays bounded: per key at most
 * the largest `limit` times are kept, keys idle for the longest window are forgotten, and
 * beyond `maxKeys` (default 100 000) the least recently active key is forgotten.
 */
export function createMemoryRateLimitStore(init: { maxKeys?: number } = {}): RateLimitStore {
  const maxKeys = init.maxKeys ?? 100_000;
  // Map iteration order is insertion order; re-inserting on use makes the first entry the least recently active.
  const history = new Map<string, number[]>();
  return {
    take(key, limits, now) {
      const longestWindowMs = Math.max(0, ...limits.map((l) => l.windowSeconds * 1000));
      const keep = Math.max(0, ...limits.map((l) => l.limit));
      for (const [k, times] of history) {
        const latest = times[times.length - 1];
        if (latest !== undefined && latest > now - longestWindowMs) break;
        history.delete(k);
      }
      const times = (history.get(key) ?? []).filter((t) => t > now - longestWindowMs);
      const decision = decide(times, limits, now);
      if (decision.allowed) {
        times.push(now);
        if (times.length > keep) times.splice(0, times.length - keep);
      }
      history.delete(key);
      history.set(key, times);
      if (history.size > maxKeys) {
        const leastRecent = history.keys().next();
        if (!leastRecent.done) history.delete(leastRecent.value);
      }
      return decision;
    },
    close() {
      history.clear();
    },
  };
}
