/**
 * A small seeded pseudo-random number generator (sfc32, seeded through the
 * cyrb128 string hash) with the draws the generator needs. Synthetic catalogues
 * must be reproducible byte for byte, so nothing here touches Math.random.
 */

import { BiospecError } from '@biospec/protocol';

/** A value table for {@link Random.weighted}, prepared once so each draw is a short scan. */
export interface WeightedTable<T> {
  readonly values: readonly T[];
  /** Running sums of the weights, last element = total. */
  readonly cumulative: Float64Array;
}

/** Seeded source of randomness; one instance yields one fixed sequence. */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Uniform float in [min, max). */
  float(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** One value of a weighted table, with probability proportional to its weight. */
  weighted<T>(table: WeightedTable<T>): T;
  /** Normally distributed float (Box–Muller). */
  normal(mean?: number, sd?: number): number;
}

/** Builds a {@link WeightedTable}; weights must be non-negative with a positive sum. */
export function weightedTable<T>(entries: readonly (readonly [T, number])[]): WeightedTable<T> {
  const cumulative = new Float64Array(entries.length);
  let total = 0;
  entries.forEach(([, weight], i) => {
    if (!(weight >= 0)) throw new BiospecError('INVALID_ARGUMENT', `weight must be non-negative, got ${weight}`);
    total += weight;
    cumulative[i] = total;
  });
  if (!(total > 0)) throw new BiospecError('INVALID_ARGUMENT', 'weighted table needs a positive total weight');
  return { values: entries.map(([value]) => value), cumulative };
}

/**
 * Hashes a seed to four 32-bit words (cyrb128). A number seed hashes as its
 * decimal string, so `42` and `'42'` give the same sequence.
 */
export function hashSeed(seed: number | string): [number, number, number, number] {
  const text = String(seed);
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const TWO_POW_32 = 4294967296;

class Sfc32 implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number | string) {
    [this.a, this.b, this.c, this.d] = hashSeed(seed);
    // The first outputs of sfc32 still show the structure of the seed words.
    for (let i = 0; i < 15; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / TWO_POW_32;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new BiospecError('INVALID_ARGUMENT', 'cannot pick from an empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  weighted<T>(table: WeightedTable<T>): T {
    const { cumulative, values } = table;
    const target = this.next() * (cumulative[cumulative.length - 1] as number);
    let i = 0;
    while (i < cumulative.length - 1 && target >= (cumulative[i] as number)) i++;
    return values[i] as T;
  }

  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + sd * z;
    }
    // 1 - next() lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.spareNormal = radius * Math.sin(angle);
    return mean + sd * radius * Math.cos(angle);
  }
}

/** Creates a seeded generator; equal seeds yield equal sequences. */
export function createRandom(seed: number | string): Random {
  return new Sfc32(seed);
}
