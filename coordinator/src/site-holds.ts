/**
 * A steward's held questions, through the coordinator: the coordinator checks the caller
 * stewards the site, signs a steward's request for that node alone (the action, the held
 * question, the reason and who asks, with the role that allowed it) and relays it, over the
 * node's connect-out link when it has one. The node verifies it against its pinned keys, decides
 * whether it takes decisions from the coordinator at all, and keeps the held figures: the
 * coordinator only ever sees the questions and their decisions.
 */
import { NodeServiceService, type HeldQuestionSummary } from '@biospec/protocol';
import { authorize, type AccessCaller } from '@biospec/access';
import { signStewardRequest, type SigningKey, type StewardClaims } from '@biospec/trust';
import type { CoordinatorAudit } from './coordinator-audit.js';
import type { Member } from './members.js';
import { nodeCallError } from './node-call-error.js';

/** What the coordinator needs to ask a member about its holds. */
export interface SiteHoldsContext {
  coordinatorId: string;
  signingKey: SigningKey;
  audit: CoordinatorAudit;
  /** The member that is the site, looked up once the caller is known to steward it (a non-member is refused there). */
  member(nodeId: string): Promise<Member>;
  deadline: Date;
}

/** A site's held questions as the steward sees them. */
export interface SiteHolds {
  nodeId: string;
  holds: HeldQuestionSummary[];
  /** How many matched at the node; `holds` lists at most 200 of them. */
  total: number;
}

/** The steward's identity as the node records it: the person record, a name, and the role that allowed the call. */
function stewardOf(caller: AccessCaller, role: string) {
  return { person: caller.personId, name: caller.name ?? caller.personId, role };
}

export async function listSiteHolds(c: SiteHoldsContext, caller: AccessCaller, nodeId: string, status?: StewardClaims['status']): Promise<SiteHolds> {
  const actor = authorize(caller, 'holds.list', { nodeId });
  const member = await c.member(nodeId);
  const signedRequest = signStewardRequest(
    { issuer: c.coordinatorId, audience: member.id, action: 'list-holds', steward: stewardOf(caller, actor.role), ...(status === undefined ? {} : { status }) },
    c.signingKey,
  );
  try {
    const response = await member.call(NodeServiceService.listHolds, { signedRequest }, c.deadline);
    return { nodeId: member.id, holds: response.holds, total: response.total };
  } catch (reason) {
    throw nodeCallError(member.id, reason);
  }
}

export async function decideSiteHold(
  c: SiteHoldsContext,
  caller: AccessCaller,
  nodeId: string,
  holdId: string,
  decision: { action: 'release' | 'decline'; reason?: string },
): Promise<HeldQuestionSummary> {
  const actor = authorize(caller, decision.action === 'release' ? 'holds.release' : 'holds.decline', { nodeId });
  const member = await c.member(nodeId);
  const signedRequest = signStewardRequest(
    {
      issuer: c.coordinatorId,
      audience: member.id,
      action: decision.action === 'release' ? 'release-hold' : 'decline-hold',
      steward: stewardOf(caller, actor.role),
      hold: holdId,
      ...(decision.reason === undefined ? {} : { reason: decision.reason }),
    },
    c.signingKey,
  );
  let hold: HeldQuestionSummary | undefined;
  try {
    ({ hold } = await member.call(NodeServiceService.decideHold, { signedRequest }, c.deadline));
  } catch (reason) {
    throw nodeCallError(member.id, reason);
  }
  if (hold === undefined) throw nodeCallError(member.id, new Error('the node answered a decision without the held question'));
  // The node's audit log has the decision; the coordinator's records that it relayed it, and for whom.
  await c.audit.recordAccess({
    actor: caller.personId,
    subject: holdId,
    action: decision.action === 'release' ? 'hold-released' : 'hold-declined',
    outcome: hold.status,
    detail: { nodeId: member.id, role: actor.role, ...(decision.reason === undefined ? {} : { reason: decision.reason }) },
  });
  return hold;
}
