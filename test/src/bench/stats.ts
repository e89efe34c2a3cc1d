/** Summary of repeated timings, in milliseconds. */
export interface Timing {
  runs: number;
  p50: number;
  p99: number;
  mean: number;
}

export function summarise(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  return { runs: sorted.length, p50: at(0.5), p99: at(0.99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times measured one after another. */
export async function time(fn: () => unknown, options: { runs: number; warmup?: number }): Promise<Timing> {
  for (let i = 0; i < (options.warmup ?? Math.min(5, options.runs)); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return summarise(samples);
}

/** How many times `fn` completes per second when run back to back for `seconds`. */
export async function rate(fn: () => unknown, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    await fn();
    n += 1;
  }
  return n / seconds;
}

export const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
