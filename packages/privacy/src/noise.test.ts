import { BiospecError } from '@biospec/protocol';
import { questionBitSources, questionNoiseKey } from './noise.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const parts = { queryHash: 'q-hash-1', epoch: 7, generation: 'gen-1' };
/** Reads `bytes` whole bytes from a bit source. */
const readBytes = (source: { bits(n: number): number }, bytes: number) =>
  Buffer.from(Array.from({ length: bytes }, () => source.bits(8))).toString('hex');

describe('questionNoiseKey', () => {
  test('is HMAC-SHA256 over length-prefixed fields (vector computed independently with Python hmac)', () => {
    expect(hex(questionNoiseKey('node-secret', parts))).toBe('155f84e43e1b469a937d77dcc0c7213992864d348894d90c5b413b573b766dd4');
  });

  test('a string secret and its UTF-8 bytes give the same key', () => {
    expect(hex(questionNoiseKey(new TextEncoder().encode('node-secret'), parts))).toBe(hex(questionNoiseKey('node-secret', parts)));
  });

  test('the encoding is unambiguous: moving characters between fields changes the key', () => {
    const a = questionNoiseKey('s', { queryHash: 'ab', epoch: 1, generation: 'c' });
    const b = questionNoiseKey('s', { queryHash: 'a', epoch: 1, generation: 'bc' });
    expect(hex(a)).not.toBe(hex(b));
  });

  test('every part, and the secret, changes the key', () => {
    const base = hex(questionNoiseKey('s', parts));
    expect(hex(questionNoiseKey('t', parts))).not.toBe(base);
    expect(hex(questionNoiseKey('s', { ...parts, queryHash: 'q-hash-2' }))).not.toBe(base);
    expect(hex(questionNoiseKey('s', { ...parts, epoch: 8 }))).not.toBe(base);
    expect(hex(questionNoiseKey('s', { ...parts, generation: 'gen-2' }))).not.toBe(base);
  });

  test('rejects an epoch that is not a non-negative integer', () => {
    expect(() => questionNoiseKey('s', { ...parts, epoch: 1.5 })).toThrow(BiospecError);
    expect(() => questionNoiseKey('s', { ...parts, epoch: -1 })).toThrow(BiospecError);
  });
});

describe('questionBitSources', () => {
  const key = questionNoiseKey('node-secret', parts);

  test("figure i reads the i-th 64 bytes of the AES-256-CTR keystream, then HMAC blocks (vectors from Python's cryptography)", () => {
    const figure1 = questionBitSources(key, 3)(1);
    expect(readBytes(figure1, 8)).toBe('dcd0296a1c4d0d86');
    readBytes(figure1, 56);
    // Past its 64 bytes, figure 1 continues with HMAC-SHA256(key, be32(1) ‖ be32(0)).
    expect(readBytes(figure1, 8)).toBe('621228b3baf9554b');
  });

  test('are deterministic per figure and independent of how much other figures read', () => {
    const a = questionBitSources(key, 4);
    const b = questionBitSources(key, 4);
    readBytes(a(0), 200);
    expect(readBytes(a(2), 16)).toBe(readBytes(b(2), 16));
    expect(readBytes(a(1), 16)).not.toBe(readBytes(a(2), 16));
  });

  test('refuses a figure outside the answer', () => {
    expect(() => questionBitSources(key, 2)(2)).toThrow(BiospecError);
  });
});
