import { Buffer } from 'node:buffer';
import { sign } from 'node:crypto';
import { generateSigningKey, importSigningKey, type SigningKey } from '@biospec/trust';
import type { DescriptorInput, PublicJwk } from './descriptor.js';
import type { Directory, DirectoryEntry } from './directory.js';

/** Test helpers shared by this package's tests (not exported from the package). */

export async function newKey(): Promise<SigningKey> {
  return importSigningKey((await generateSigningKey()).privateJwk);
}

export function publicJwk(key: SigningKey): PublicJwk {
  return key.publicJwk as PublicJwk;
}

/** A plausible descriptor for `nodeId`, listing `keys` (the signing key first). */
export function descriptorFor(nodeId: string, keys: SigningKey[], overrides: Partial<DescriptorInput> = {}): DescriptorInput {
  return {
    nodeId,
    name: `Biobank ${nodeId}`,
    institution: `Institute of ${nodeId}`,
    endpoint: `${nodeId}.example.org:50051`,
    jwks: { keys: keys.map(publicJwk) },
    software: { name: 'biospec', version: '0.1.0' },
    policy: { text: 'counts under 10 shown as <10; rounded to 10', threshold: 10, rounding: 10, noise: 'laplace', release: 'auto' },
    catalogue: { donors: { value: 1200, display: 'about 1200 donors (noisy, Laplace ε=0.01, rounded to 100)' }, materialTypes: ['serum', 'tissue-ffpe'], epoch: 3 },
    dataEpoch: 3,
    ...overrides,
  };
}

/** Signs any header and payload as a compact JWS with `key`, bypassing every check `signDescriptor` makes. */
export function signRaw(header: Record<string, unknown>, payload: unknown, key: SigningKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(null, Buffer.from(input, 'ascii'), key.key).toString('base64url')}`;
}

export function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** The payload of a compact JWS, unverified. */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. Never a fixed sleep. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Node id → descriptor content as one directory sees it, for comparing directories. */
export function viewOf(directory: Directory): Record<string, string> {
  return Object.fromEntries(directory.current().map((e: DirectoryEntry) => [e.nodeId, JSON.stringify({ ...e.descriptor, seq: 0, iat: 0, p2p: undefined })]));
}
