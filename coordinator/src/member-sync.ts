/**
 * Replicas on one database share memberships, but each asks the nodes of its own member
 * registry: a node that staff approve, suspend or re-admit through one replica must be asked
 * (or no longer asked) by the others too. Each replica brings its registry in line with the
 * approved memberships of the shared store on a timer (`database.membershipSyncSeconds`).
 */
import type { Membership, MembershipRepository } from '@biospec/access';
import type { MemberEntry, MemberRegistry } from './members.js';

export interface MemberSyncResult {
  admitted: string[];
  removed: string[];
}

/**
 * Admits every approved membership the registry lacks and removes every member whose
 * membership is no longer approved (suspended); a member with no membership record is kept,
 * as at start every member has one.
 */
export async function syncMembers(
  registry: MemberRegistry,
  memberships: Pick<MembershipRepository, 'list'>,
  entryOf: (membership: Membership) => MemberEntry,
): Promise<MemberSyncResult> {
  const all = await memberships.list();
  const approved = all.filter((m) => m.state === 'approved');
  const admitted: string[] = [];
  for (const membership of approved) {
    if (registry.get(membership.nodeId) !== undefined) continue;
    await registry.admit(entryOf(membership));
    admitted.push(membership.nodeId);
  }
  const stopped = new Set(all.filter((m) => m.state !== 'approved').map((m) => m.nodeId));
  const removed = registry
    .current()
    .map((m) => m.id)
    .filter((id) => stopped.has(id));
  for (const id of removed) registry.remove(id);
  return { admitted, removed };
}
