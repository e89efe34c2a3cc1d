import { createBackoff } from './backoff.js';

test('waits double up to the cap, each drawn from the upper half of its ceiling', () => {
  const low = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
  expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
  const high = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
  expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
});

test('jitter spreads nodes that failed together', () => {
  const waits = new Set(Array.from({ length: 50 }, () => createBackoff({ initialMs: 1000, maxMs: 30_000 }).next()));
  expect(waits.size).toBeGreaterThan(10);
  for (const wait of waits) {
    expect(wait).toBeGreaterThanOrEqual(500);
    expect(wait).toBeLessThanOrEqual(1000);
  }
});

test('a reset starts again from the initial wait; failures are counted until then', () => {
  const backoff = createBackoff({ initialMs: 100, maxMs: 10_000, random: () => 0 });
  for (let i = 0; i < 5; i++) backoff.next();
  expect(backoff.failures()).toBe(5);
  backoff.reset();
  expect(backoff.failures()).toBe(0);
  expect(backoff.next()).toBe(50);
});

test('no overflow after very many failures', () => {
  const backoff = createBackoff({ initialMs: 1000, maxMs: 30_000, random: () => 0.5 });
  for (let i = 0; i < 5000; i++) backoff.next();
  expect(backoff.next()).toBe(22_500);
});
