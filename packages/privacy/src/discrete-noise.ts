/**
 * Exact samplers for integer noise: the discrete Laplace (two-sided
 * geometric) and the discrete Gaussian, after Canonne, Kamath and Steinke,
 * "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020),
 * Algorithms 1–3. Every step is integer arithmetic on rationals and uniform
 * integers drawn by rejection from a bit source, so no floating-point
 * rounding shapes the distribution (the low bits of a float Laplace sample
 * are a known leak: Mironov, CCS 2012).
 */
import { BiospecError } from '@biospec/protocol';

/** A non-negative rational num/den with integer parts (den > 0). */
export interface Rational {
  num: number;
  den: number;
}

/** A source of uniform random bits. */
export interface BitSource {
  /** `count` (1–26) fresh bits as an unsigned integer. */
  bits(count: number): number;
}

/** Uniform integer in [0, m), by rejection on the fewest bits that cover m − 1. */
export function sampleUniform(m: number, source: BitSource): number {
  if (!Number.isSafeInteger(m) || m < 1) throw new BiospecError('INTERNAL', `uniform range must be a positive safe integer, got ${m}`);
  if (m === 1) return 0;
  const bitsNeeded = m <= 2 ** 31 ? 32 - Math.clz32(m - 1) : Math.ceil(Math.log2(m)) + (2 ** Math.ceil(Math.log2(m)) >= m ? 0 : 1);
  for (;;) {
    let value = 0;
    let left = bitsNeeded;
    while (left > 0) {
      const take = Math.min(left, 26);
      value = value * 2 ** take + source.bits(take);
      left -= take;
    }
    if (value < m) return value;
  }
}

/** Bernoulli(num/den), for 0 ≤ num ≤ den. */
export function sampleBernoulli(p: Rational, source: BitSource): boolean {
  return sampleUniform(p.den, source) < p.num;
}

/** Bernoulli(exp(−γ)) for a rational γ ≥ 0 (Algorithm 1). */
export function sampleBernoulliExp(gamma: Rational, source: BitSource): boolean {
  const whole = Math.floor(gamma.num / gamma.den);
  for (let i = 0; i < whole; i++) {
    if (!bernoulliExpAtMostOne({ num: 1, den: 1 }, source)) return false;
  }
  return bernoulliExpAtMostOne({ num: gamma.num - whole * gamma.den, den: gamma.den }, source);
}

function bernoulliExpAtMostOne(gamma: Rational, source: BitSource): boolean {
  let k = 1;
  for (;;) {
    const den = gamma.den * k;
    if (!Number.isSafeInteger(den)) throw new BiospecError('INTERNAL', 'noise sampler: denominator overflow');
    if (!sampleBernoulli({ num: gamma.num, den }, source)) break;
    k += 1;
  }
  return k % 2 === 1;
}

/** Geometric(1 − exp(−x)) for a rational x > 0: the number of failures before a success. */
function sampleGeometricExp(x: Rational, source: BitSource): number {
  const t = x.den;
  let u: number;
  do {
    u = sampleUniform(t, source);
  } while (!sampleBernoulliExp({ num: u, den: t }, source));
  let v = 0;
  while (sampleBernoulliExp({ num: 1, den: 1 }, source)) v += 1;
  return Math.floor((v * t + u) / x.num);
}

/**
 * Discrete Laplace with the given rational scale b: P(x) ∝ exp(−|x|/b) over
 * the integers (Algorithm 2). Adding it to a count of sensitivity Δ with
 * b = Δ/ε is ε-differentially private.
 */
export function sampleDiscreteLaplace(scale: Rational, source: BitSource): number {
  if (scale.num === 0) return 0;
  const inverse = { num: scale.den, den: scale.num };
  for (;;) {
    const negative = source.bits(1) === 1;
    const magnitude = sampleGeometricExp(inverse, source);
    if (negative && magnitude === 0) continue;
    return negative ? -magnitude : magnitude;
  }
}

/** Discrete Gaussian N_Z(0, σ²) for a rational σ² > 0 (Algorithm 3). */
export function sampleDiscreteGaussian(sigmaSquared: Rational, source: BitSource): number {
  const { num: a, den: b } = sigmaSquared;
  let t = 0;
  while ((t + 1) * (t + 1) * b <= a) t += 1;
  t += 1;
  for (;;) {
    const y = sampleDiscreteLaplace({ num: t, den: 1 }, source);
    // (|y| − σ²/t)² / (2σ²) = (|y|·b·t − a)² / (2·a·b·t²)
    const diff = Math.abs(y) * b * t - a;
    const num = diff * diff;
    const den = 2 * a * b * t * t;
    if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den)) {
      throw new BiospecError('INTERNAL', 'noise sampler: discrete Gaussian parameters out of range');
    }
    if (sampleBernoulliExp(reduce({ num, den }), source)) return y;
  }
}

/**
 * A decimal number from configuration (ε, σ) as an exact rational: its
 * shortest decimal text read exactly, so 0.1 is 1/10, not the binary double.
 * @throws BiospecError INVALID_CONFIG with more than six decimals or not positive.
 */
export function decimalToRational(value: number, what: string): Rational {
  const text = String(value);
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(text);
  if (!match || !(value > 0)) {
    throw new BiospecError('INVALID_CONFIG', `${what} must be a positive decimal with at most 6 decimals, got ${text}`);
  }
  const decimals = match[2] ?? '';
  return reduce({ num: Number(`${match[1]}${decimals}`), den: 10 ** decimals.length });
}

export function reduce(r: Rational): Rational {
  let a = r.num;
  let b = r.den;
  while (b !== 0) [a, b] = [b, a % b];
  return a === 0 ? { num: 0, den: 1 } : { num: r.num / a, den: r.den / a };
}
