import { createHmac } from 'node:crypto';
import { BiospecError } from '@biospec/protocol';

/** What one noise draw is bound to; any change gives independent noise. */
export interface NoiseSeedParts {
  /** Hash of the canonical query. */
  queryHash: string;
  /** Data epoch: changes whenever the node's data changes. */
  epoch: number;
  /** Which figure of the result: the total or a stratum's canonical key. */
  cell: string;
  /**
   * Canonical noise parameters. Binding the draw to them means a node that
   * changes epsilon does not hand out two figures sharing one draw at two
   * scales, from which the true count could be solved.
   */
  mechanism?: string;
}

const DOMAIN = 'biospec/noise/v1';
const UNIFORMS_PER_SEED = 4;
const TWO_POW_32 = 2 ** 32;
const TWO_POW_52 = 2 ** 52;

/**
 * The 32-byte seed of one deterministic noise draw: HMAC-SHA256 keyed by the
 * node secret over a length-prefixed encoding of a domain tag and every part,
 * so no two distinct part lists share an encoding.
 * @throws BiospecError INVALID_ARGUMENT when the epoch is not a non-negative safe integer.
 */
export function noiseSeed(secret: string | Uint8Array, parts: NoiseSeedParts): Uint8Array {
  if (!Number.isSafeInteger(parts.epoch) || parts.epoch < 0) {
    throw new BiospecError('INVALID_ARGUMENT', `data epoch must be a non-negative integer, got ${parts.epoch}`);
  }
  const hmac = createHmac('sha256', typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
  for (const field of [DOMAIN, parts.queryHash, String(parts.epoch), parts.cell, parts.mechanism ?? '']) {
    const bytes = Buffer.from(field, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hmac.update(length).update(bytes);
  }
  return new Uint8Array(hmac.digest());
}

/**
 * The `index`-th (0–3) uniform number drawn from a seed, strictly inside (0, 1):
 * 52 bits of the seed k give (k + 0.5) / 2^52, which is exact in a double and
 * never 0 or 1, so logarithms of it and of 1 − it are finite.
 */
export function uniformFromSeed(seed: Uint8Array, index = 0): number {
  if (!Number.isInteger(index) || index < 0 || index >= UNIFORMS_PER_SEED || seed.length < 32) {
    throw new BiospecError('INVALID_ARGUMENT', `no uniform #${index} in a ${seed.length}-byte seed`);
  }
  const view = new DataView(seed.buffer, seed.byteOffset, seed.byteLength);
  const high = view.getUint32(index * 8) >>> 12;
  const low = view.getUint32(index * 8 + 4);
  return (high * TWO_POW_32 + low + 0.5) / TWO_POW_52;
}

/** Laplace(0, scale) noise by the inverse CDF of the seed's first uniform. */
export function laplaceNoise(seed: Uint8Array, scale: number): number {
  const centred = uniformFromSeed(seed, 0) - 0.5;
  const magnitude = -scale * Math.log(1 - 2 * Math.abs(centred));
  return centred < 0 ? -magnitude : magnitude;
}

/**
 * Normal(0, sigma) noise by Box–Muller from the seed's first two uniforms,
 * clamped to [−clamp, clamp] as SHRINE does.
 */
export function clampedGaussianNoise(seed: Uint8Array, sigma: number, clamp: number): number {
  const u1 = uniformFromSeed(seed, 0);
  const u2 = uniformFromSeed(seed, 1);
  const gaussian = sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.min(clamp, Math.max(-clamp, gaussian));
}
