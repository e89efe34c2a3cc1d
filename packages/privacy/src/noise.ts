import { createCipheriv, createHmac } from 'node:crypto';
import { BiospecError } from '@biospec/protocol';
import type { BitSource } from './discrete-noise.js';

/** What one question's noise is bound to; any change gives independent noise. */
export interface QuestionNoiseParts {
  /** Hash of the canonical query. */
  queryHash: string;
  /** Data epoch: changes whenever the node's data changes. */
  epoch: number;
  /**
   * The noise generation: mechanism, its parameters, contribution caps and the
   * strata domains (see `noiseGeneration`). Figures drawn under two
   * generations never share a draw.
   */
  generation: string;
}

const DOMAIN = 'biospec/noise/v2';
/** Bytes of the question's AES-CTR stream reserved for each figure; more come from HMAC blocks. */
const BYTES_PER_FIGURE = 64;
const ZERO_IV = Buffer.alloc(16);

/**
 * The 32-byte key of one question's noise: HMAC-SHA256 keyed by the node
 * secret over a length-prefixed encoding of a domain tag and every part, so
 * no two distinct part lists share an encoding.
 * @throws BiospecError INVALID_ARGUMENT when the epoch is not a non-negative safe integer.
 */
export function questionNoiseKey(secret: string | Uint8Array, parts: QuestionNoiseParts): Buffer {
  if (!Number.isSafeInteger(parts.epoch) || parts.epoch < 0) {
    throw new BiospecError('INVALID_ARGUMENT', `data epoch must be a non-negative integer, got ${parts.epoch}`);
  }
  const hmac = createHmac('sha256', typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
  for (const field of [DOMAIN, parts.queryHash, String(parts.epoch), parts.generation]) {
    const bytes = Buffer.from(field, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hmac.update(length).update(bytes);
  }
  return hmac.digest();
}

/**
 * The random bits of every figure of one question: figure i (0 is the total,
 * then the strata cells in their fixed order) reads its own 64 bytes of one
 * AES-256-CTR keystream under the question key, then, if a draw ever needs
 * more, HMAC-SHA256(key, i ‖ block) blocks. One cipher call serves all the
 * figures of a question, so a 540-cell answer costs microseconds of keystream.
 */
export function questionBitSources(key: Uint8Array, figures: number): (index: number) => BitSource {
  const cipher = createCipheriv('aes-256-ctr', key, ZERO_IV);
  const stream = cipher.update(Buffer.alloc(figures * BYTES_PER_FIGURE));
  return (index) => {
    if (!Number.isInteger(index) || index < 0 || index >= figures) {
      throw new BiospecError('INTERNAL', `no figure #${index} among ${figures}`);
    }
    return bitSource(stream.subarray(index * BYTES_PER_FIGURE, (index + 1) * BYTES_PER_FIGURE), (block) => {
      const label = Buffer.alloc(8);
      label.writeUInt32BE(index, 0);
      label.writeUInt32BE(block, 4);
      return createHmac('sha256', key).update(label).digest();
    });
  };
}

/** Bits read most significant first from `first`, then from `more(0)`, `more(1)`, … */
function bitSource(first: Uint8Array, more: (block: number) => Uint8Array): BitSource {
  let bytes = first;
  let byteIndex = 0;
  let block = 0;
  // The bits of the current byte not yet read, in the low `left` bits of `current`.
  let current = 0;
  let left = 0;
  return {
    bits(count) {
      let value = 0;
      let wanted = count;
      while (wanted > 0) {
        if (left === 0) {
          if (byteIndex >= bytes.length) {
            bytes = more(block++);
            byteIndex = 0;
          }
          current = bytes[byteIndex++] as number;
          left = 8;
        }
        const take = Math.min(wanted, left);
        left -= take;
        value = value * (1 << take) + ((current >>> left) & ((1 << take) - 1));
        wanted -= take;
      }
      return value;
    },
  };
}
