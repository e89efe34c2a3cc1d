/**
 * One test suite for every RateLimitStore implementation (in memory, SQLite, PostgreSQL):
 * each runs it with its own factory. `reopen`, when given, closes and opens the same
 * storage again, to show the windows survive a restart.
 */
import { BiospecError } from '@biospec/protocol';
import { createRateLimiter, type RateLimiter, type RateLimitStore } from '../rate-limiter.js';
import type { RateLimit } from '../policy.js';

export interface RateLimitStoreHarness {
  /** A store over empty storage. */
  open(): Promise<RateLimitStore>;
  /** The same storage as the last `open()` or `reopen()`, opened again (the old store is closed first). */
  reopen?: () => Promise<RateLimitStore>;
}

async function refusal(promise: Promise<unknown>): Promise<BiospecError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BiospecError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const SHRINE_LIMITS: RateLimit[] = [
  { limit: 10, windowSeconds: 60 },
  { limit: 200, windowSeconds: 36_000 },
];

export function rateLimitStoreCompliance(name: string, harness: RateLimitStoreHarness): void {
  describe(`rate-limit store compliance: ${name}`, () => {
    let store: RateLimitStore;
    const limiter = async (limits: RateLimit[]): Promise<RateLimiter> => {
      store = await harness.open();
      return createRateLimiter(limits, { store });
    };
    afterEach(async () => {
      await store?.close();
    });

    test('allows the limit within a window, then refuses with the limit and the wait', async () => {
      const l = await limiter(SHRINE_LIMITS);
      const t0 = 1_000_000;
      for (let i = 0; i < 10; i++) await l.take('alice', t0 + i * 1000);
      const error = await refusal(l.take('alice', t0 + 15_000));
      expect(error.code).toBe('RATE_LIMITED');
      // The first question (at t0) leaves the window at t0 + 60 s, 45 s from now.
      expect(error.message).toBe('rate limit for alice: limit of 10 per 60 s reached, retry in 45 s');
      expect(error.retryAfterMs).toBe(45_000);
    });

    test('the window slides: each old question that leaves it frees one place', async () => {
      const l = await limiter([{ limit: 3, windowSeconds: 10 }]);
      await l.take('k', 0);
      await l.take('k', 4_000);
      await l.take('k', 8_000);
      await expect(l.take('k', 9_999)).rejects.toThrow(BiospecError);
      await l.take('k', 10_000);
      await expect(l.take('k', 13_999)).rejects.toThrow(BiospecError);
      await l.take('k', 14_000);
    });

    test('a refused question is not counted', async () => {
      const l = await limiter([{ limit: 1, windowSeconds: 10 }]);
      await l.take('k', 0);
      for (let t = 1000; t < 10_000; t += 1000) await expect(l.take('k', t)).rejects.toThrow(BiospecError);
      await l.take('k', 10_000);
    });

    test('the long window applies across many short ones', async () => {
      const l = await limiter(SHRINE_LIMITS);
      let t = 0;
      for (let i = 0; i < 200; i++) {
        await l.take('bob', t);
        t += 6_001; // 10 per minute at most
      }
      const error = await refusal(l.take('bob', t));
      expect(error.message).toMatch(/^rate limit for bob: limit of 200 per 36000 s reached, retry in \d+ s$/);
      await l.take('bob', 36_000_000 + 1);
    });

    test('keys are limited separately', async () => {
      const l = await limiter([{ limit: 1, windowSeconds: 60 }]);
      await l.take('alice', 0);
      await l.take('bob', 0);
      await expect(l.take('alice', 1)).rejects.toThrow(BiospecError);
    });

    test('concurrent takes never both pass on the last place', async () => {
      const l = await limiter([{ limit: 5, windowSeconds: 60 }]);
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => l.take('crowd', 1000)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
    });

    if (harness.reopen) {
      const reopen = harness.reopen;
      test('the windows survive a restart', async () => {
        const l = await limiter([{ limit: 2, windowSeconds: 60 }]);
        await l.take('carol', 1000);
        await l.take('carol', 2000);
        await store.close();
        store = await reopen();
        const again = createRateLimiter([{ limit: 2, windowSeconds: 60 }], { store });
        const error = await refusal(again.take('carol', 3000));
        expect(error.retryAfterMs).toBe(58_000);
        await again.take('carol', 61_001);
      });
    }
  });
}
