/**
 * Node membership: a node asks to join with a signed application (its descriptor and
 * public keys, signed with its own key: whoever sends it holds that key), staff approve or
 * decline it, and an approved node can be suspended and re-admitted. Only approved nodes
 * are asked questions.
 */
import { randomUUID } from 'node:crypto';
import { BiospecError } from '@biospec/protocol';
import { createKeyRing, reject, signCompactJws, verifyCompactJws, type SigningKey } from '@biospec/trust';
import { NODE_ID_PATTERN } from '@biospec/registry';
import { z } from 'zod';
import type { MembershipState } from './model.js';

/** `typ` of a membership application. */
export const MEMBERSHIP_APPLICATION_TYPE = 'biospec-membership+jwt';
/** How old an application may be when it arrives. */
const MAX_AGE_SECONDS = 24 * 3600;
const SKEW_SECONDS = 30;

/** What a node says about itself when it applies. */
export interface MembershipDescriptor {
  nodeId: string;
  name: string;
  /** host:port of its gRPC server. */
  endpoint: string;
  /** Its public signing keys (the node's `node.jwks.json`). */
  jwks: { keys: Record<string, unknown>[] };
  /** Who to contact at the institution (e-mail or a line of text). */
  contact?: string;
}

const ApplicationSchema = z.object({
  node_id: z.string().regex(NODE_ID_PATTERN, 'lowercase letters, digits and dashes, at most 63'),
  name: z.string().min(1).max(200),
  endpoint: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port'),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(10) }),
  contact: z.string().max(500).optional(),
  iat: z.number().int().nonnegative(),
  jti: z.string().min(1).max(128),
});

/** Signs a node's application with the node's own key. */
export function signMembershipApplication(descriptor: MembershipDescriptor, nodeKey: SigningKey, now = new Date()): string {
  return signCompactJws(
    {
      node_id: descriptor.nodeId,
      name: descriptor.name,
      endpoint: descriptor.endpoint,
      jwks: descriptor.jwks,
      ...(descriptor.contact === undefined ? {} : { contact: descriptor.contact }),
      iat: Math.floor(now.getTime() / 1000),
      jti: randomUUID(),
    },
    nodeKey,
    MEMBERSHIP_APPLICATION_TYPE,
  );
}

/**
 * Checks an application: signed by one of the keys it carries, fresh (at most a day old),
 * and well formed. Returns the descriptor.
 * @throws BiospecError INVALID_ARGUMENT for a malformed application, UNAUTHENTICATED when it is not signed by a key it carries.
 */
export async function verifyMembershipApplication(token: string, now = Date.now()): Promise<MembershipDescriptor> {
  const parts = token.split('.');
  let claimed: unknown;
  try {
    claimed = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    reject('INVALID_ARGUMENT', 'application', 'membership application is not a signed token');
  }
  const parsed = ApplicationSchema.safeParse(claimed);
  if (!parsed.success) {
    throw new BiospecError('INVALID_ARGUMENT', 'membership application is invalid', {
      issues: parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || 'application', message: i.message })),
    });
  }
  const ring = await createKeyRing(parsed.data.jwks.keys as Parameters<typeof createKeyRing>[0]);
  await verifyCompactJws(token, { keys: ring, typ: MEMBERSHIP_APPLICATION_TYPE, maxTokenBytes: 32_768, unsignedReason: 'membership application is not signed' });
  const nowSeconds = now / 1000;
  if (parsed.data.iat > nowSeconds + SKEW_SECONDS) reject('UNAUTHENTICATED', 'iat', 'membership application issued in the future');
  if (parsed.data.iat < nowSeconds - MAX_AGE_SECONDS) reject('UNAUTHENTICATED', 'iat', 'membership application is more than a day old; sign a new one');
  const { node_id, name, endpoint, contact } = parsed.data;
  return { nodeId: node_id, name, endpoint, jwks: { keys: ring.jwks().keys as Record<string, unknown>[] }, ...(contact === undefined ? {} : { contact }) };
}

/** What staff (or the node itself, by applying) do to a membership. */
export const MEMBERSHIP_ACTIONS = ['approve', 'decline', 'suspend', 'readmit'] as const;
export type MembershipAction = (typeof MEMBERSHIP_ACTIONS)[number];

const MOVES: Record<MembershipAction, { from: MembershipState[]; to: MembershipState }> = {
  approve: { from: ['applied'], to: 'approved' },
  decline: { from: ['applied'], to: 'declined' },
  suspend: { from: ['approved'], to: 'suspended' },
  readmit: { from: ['suspended'], to: 'approved' },
};

/**
 * The state `action` moves a membership in state `current` to.
 * @throws BiospecError FAILED_PRECONDITION naming the node's state.
 */
export function nextMembershipState(nodeId: string, current: MembershipState, action: MembershipAction): MembershipState {
  const move = MOVES[action];
  if (!move.from.includes(current)) {
    const verbs: Record<MembershipAction, string> = { approve: 'approved', decline: 'declined', suspend: 'suspended', readmit: 're-admitted' };
    throw new BiospecError('FAILED_PRECONDITION', `node ${nodeId} is ${current}; only a node that is ${move.from.join(' or ')} can be ${verbs[action]}`);
  }
  return move.to;
}
