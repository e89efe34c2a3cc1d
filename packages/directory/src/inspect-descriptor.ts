import { Buffer } from 'node:buffer';
import { createKeyRing, SIGNING_ALGORITHM, verifyCompactJws } from '@biospec/trust';
import { DESCRIPTOR_TOKEN_TYPE, NodeDescriptorSchema, type NodeDescriptor, type PublicJwk } from './descriptor.js';

/**
 * Why a descriptor was dropped. The first four are facts about the message alone (every
 * peer reaches the same verdict); the others depend on what this directory trusts and has seen.
 */
export const DROP_REASONS = [
  'oversized',
  'unsigned',
  'malformed',
  'bad-signature',
  'untrusted-key',
  'replayed',
  'expired',
  'future',
  'capacity',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** A descriptor whose shape and signature check out; whether its key is trusted is decided elsewhere. */
export interface InspectedDescriptor {
  ok: true;
  token: string;
  descriptor: NodeDescriptor;
  /** The listed key that signed it. */
  signer: PublicJwk;
}

export interface FailedInspection {
  ok: false;
  reason: DropReason;
  detail: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Checks what can be checked without any trust state, in a fixed order so the reason is
 * the first thing wrong: size, signed at all, decodable, header, payload schema, and a
 * signature by one of the keys the descriptor itself lists.
 */
export async function inspectDescriptor(data: Uint8Array | string, maxBytes: number): Promise<InspectedDescriptor | FailedInspection> {
  const size = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.byteLength;
  if (size > maxBytes) return fail('oversized', `${size} bytes, limit ${maxBytes}`);
  const token = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');

  const parts = token.split('.');
  if (parts.length !== 3 || parts[2] === '') return fail('unsigned', 'not a signed compact JWS');
  if (!parts.every((part) => BASE64URL.test(part))) return fail('malformed', 'not base64url');
  const header = decodeJson(parts[0]!);
  const payload = decodeJson(parts[1]!);
  if (header === undefined || payload === undefined) return fail('malformed', 'header or payload is not a JSON object');
  if (header.alg === 'none') return fail('unsigned', 'algorithm none');
  if (header.alg !== SIGNING_ALGORITHM) return fail('malformed', `algorithm ${String(header.alg)} not allowed`);
  if (header.typ !== DESCRIPTOR_TOKEN_TYPE) return fail('malformed', `token type ${String(header.typ)} not allowed`);

  const parsed = NodeDescriptorSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail('malformed', `${issue?.path.join('.') || 'descriptor'}: ${issue?.message ?? 'invalid'}`);
  }
  const descriptor = parsed.data;
  const signer = descriptor.jwks.keys.find((k) => k.kid === header.kid);
  if (signer === undefined) return fail('bad-signature', `signing key ${String(header.kid)} is not among the descriptor's keys`);
  try {
    await verifyCompactJws(token, {
      keys: await createKeyRing([signer]),
      typ: DESCRIPTOR_TOKEN_TYPE,
      maxTokenBytes: maxBytes,
      unsignedReason: 'descriptor is not signed',
    });
  } catch {
    return fail('bad-signature', 'signature does not verify');
  }
  return { ok: true, token, descriptor, signer };
}

function fail(reason: DropReason, detail: string): FailedInspection {
  return { ok: false, reason, detail };
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
