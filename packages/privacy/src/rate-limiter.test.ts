import { BiospecError } from '@biospec/protocol';
import { createRateLimiter } from './rate-limiter.js';

function thrown(fn: () => unknown): BiospecError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BiospecError) return error;
    throw error;
  }
  throw new Error('expected a BiospecError');
}

const SHRINE_LIMITS = [
  { limit: 10, windowSeconds: 60 },
  { limit: 200, windowSeconds: 36_000 },
];

describe('rate limiter', () => {
  test('allows the limit within a window, then refuses with the limit and the wait', () => {
    const limiter = createRateLimiter(SHRINE_LIMITS);
    const t0 = 1_000_000;
    for (let i = 0; i < 10; i++) limiter.take('alice', t0 + i * 1000);
    const error = thrown(() => limiter.take('alice', t0 + 15_000));
    expect(error.code).toBe('RATE_LIMITED');
    // The first question (at t0) leaves the window at t0 + 60 s, 45 s from now.
    expect(error.message).toBe('rate limit for alice: limit of 10 per 60 s reached, retry in 45 s');
  });

  test('the window slides: each old question that leaves it frees one place', () => {
    const limiter = createRateLimiter([{ limit: 3, windowSeconds: 10 }]);
    limiter.take('k', 0);
    limiter.take('k', 4_000);
    limiter.take('k', 8_000);
    expect(() => limiter.take('k', 9_999)).toThrow(BiospecError);
    limiter.take('k', 10_000);
    expect(() => limiter.take('k', 13_999)).toThrow(BiospecError);
    limiter.take('k', 14_000);
  });

  test('a refused question is not counted', () => {
    const limiter = createRateLimiter([{ limit: 1, windowSeconds: 10 }]);
    limiter.take('k', 0);
    for (let t = 1000; t < 10_000; t += 1000) expect(() => limiter.take('k', t)).toThrow(BiospecError);
    limiter.take('k', 10_000);
  });

  test('the long window applies across many short ones', () => {
    const limiter = createRateLimiter(SHRINE_LIMITS);
    let t = 0;
    for (let i = 0; i < 200; i++) {
      limiter.take('bob', t);
      t += 6_001; // 10 per minute at most
    }
    const error = thrown(() => limiter.take('bob', t));
    expect(error.message).toMatch(/^rate limit for bob: limit of 200 per 36000 s reached, retry in \d+ s$/);
    limiter.take('bob', 36_000_000 + 1);
  });

  test('keys are limited separately', () => {
    const limiter = createRateLimiter([{ limit: 1, windowSeconds: 60 }]);
    limiter.take('alice', 0);
    limiter.take('bob', 0);
    expect(() => limiter.take('alice', 1)).toThrow(BiospecError);
  });

  test('memory stays bounded: the least recently active key is forgotten beyond maxKeys', () => {
    const limiter = createRateLimiter([{ limit: 1, windowSeconds: 60 }], { maxKeys: 2 });
    limiter.take('a', 0);
    limiter.take('b', 1);
    limiter.take('c', 2);
    // 'a' was evicted, so it starts afresh; 'c' is still tracked.
    limiter.take('a', 3);
    expect(() => limiter.take('c', 4)).toThrow(BiospecError);
  });

  test('no limits allow everything; invalid limits are a configuration error', () => {
    const open = createRateLimiter([]);
    for (let i = 0; i < 1000; i++) open.take('k', 0);
    expect(thrown(() => createRateLimiter([{ limit: 0, windowSeconds: 60 }])).code).toBe('INVALID_CONFIG');
  });
});
