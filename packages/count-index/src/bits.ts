/**
 * Word-level helpers for bitmaps stored as Uint32Array: bit `i` of a bitmap is
 * bit `i % 32` of word `i >> 5`, so row order is bit order.
 */

/** Words needed for `rows` bits. */
export function wordsFor(rows: number): number {
  return (rows + 31) >>> 5;
}

/** Set bits of a 32-bit word (SWAR, no table). */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Set bits of a whole bitmap. */
export function popcount(bits: Uint32Array): number {
  let n = 0;
  for (let w = 0; w < bits.length; w++) {
    const x = bits[w] as number;
    if (x !== 0) n += popcount32(x);
  }
  return n;
}

/** Bits 0..b of a word (b in 0..31). */
export function bitsUpTo(b: number): number {
  return b === 31 ? -1 : (1 << (b + 1)) - 1;
}

export function setBit(bits: Uint32Array, i: number): void {
  bits[i >>> 5] = (bits[i >>> 5] as number) | (1 << (i & 31));
}

export function clearBit(bits: Uint32Array, i: number): void {
  bits[i >>> 5] = (bits[i >>> 5] as number) & ~(1 << (i & 31));
}

export function hasBit(bits: Uint32Array, i: number): boolean {
  return ((bits[i >>> 5] as number) & (1 << (i & 31))) !== 0;
}

/** True when any bit in rows [from, to) is set. */
export function anyInRange(bits: Uint32Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (hasBit(bits, i)) return true;
  return false;
}
