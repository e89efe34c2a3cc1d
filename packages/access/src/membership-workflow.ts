/**
 * Node membership as a workflow: a node's operator sends its signed application, staff
 * approve or decline it, and suspend or re-admit an approved node. Each step is stored with
 * who, when and why, audited, and handed to the coordinator (`onChange`) so it starts or
 * stops asking that node at once.
 */
import { BiospecError } from '@biospec/protocol';
import type { PeopleRepository } from '@biospec/registry';
import { TransitionSchema, parseInput } from './inputs.js';
import { nextMembershipState, verifyMembershipApplication, type MembershipAction } from './membership.js';
import type { Membership, MembershipTransition } from './model.js';
import type { Notifier, Recipient } from './notifier.js';
import { authorize, type AccessCaller } from './permissions.js';
import type { MembershipRepository } from './repositories.js';
import type { AccessAuditEntry } from './workflow.js';

export interface MembershipWorkflowDeps {
  memberships: MembershipRepository;
  people: Pick<PeopleRepository, 'withRole'>;
  audit: (entry: AccessAuditEntry) => Promise<void>;
  notifier: Notifier;
  /** A membership changed state: the coordinator starts or stops asking the node. */
  onChange: (membership: Membership) => Promise<void> | void;
  onBackgroundError?: (error: unknown, what: string) => void;
  now?: () => Date;
}

export interface MembershipView {
  membership: Membership;
  history: MembershipTransition[];
}

export interface MembershipWorkflow {
  /** A node's signed application, sent by its operator; a declined node may apply again. */
  apply(caller: AccessCaller, application: string): Promise<MembershipView>;
  decide(caller: AccessCaller, nodeId: string, action: MembershipAction, input?: unknown): Promise<MembershipView>;
  get(caller: AccessCaller, nodeId: string): Promise<MembershipView>;
  list(caller: AccessCaller): Promise<Membership[]>;
  /**
   * Records a node admitted with `add-node` (the operator's shortcut) as approved, once, so
   * staff can suspend and re-admit it like any other.
   */
  adopt(membership: Omit<Membership, 'state' | 'updatedAt' | 'application'>): Promise<Membership>;
}

export function createMembershipWorkflow(deps: MembershipWorkflowDeps): MembershipWorkflow {
  const now = deps.now ?? (() => new Date());
  const { memberships } = deps;
  const mustGet = async (nodeId: string) => {
    const found = await memberships.get(nodeId);
    if (found === undefined) throw new BiospecError('NOT_FOUND', `no membership of node ${nodeId}`);
    return found;
  };
  const view = async (m: Membership): Promise<MembershipView> => ({ membership: m, history: await memberships.history(m.nodeId) });
  const tell = async (recipients: Recipient[], event: 'membership-applied' | 'membership-decided', m: Membership, text: string) => {
    if (recipients.length === 0) return;
    try {
      await deps.notifier.notify({ event, subject: `[biospec] node ${m.nodeId}: ${text}`, text: `${text}\nNode ${m.nodeId} (${m.name}) is now ${m.state}.\n`, nodeId: m.nodeId, recipients });
    } catch (error) {
      deps.onBackgroundError?.(error, `notification ${event} for node ${m.nodeId}`);
    }
  };
  const withRole = async (role: string): Promise<Recipient[]> =>
    (await deps.people.withRole(role as never)).map((p) => ({ personId: p.id, name: p.name, email: p.email, role }));

  return {
    async apply(caller, application) {
      const descriptor = await verifyMembershipApplication(application, now().getTime());
      const actor = authorize(caller, 'membership.apply', { nodeId: descriptor.nodeId });
      const at = now().toISOString();
      const existing = await memberships.get(descriptor.nodeId);
      if (existing !== undefined && existing.state !== 'declined') {
        throw new BiospecError('FAILED_PRECONDITION', `node ${descriptor.nodeId} is ${existing.state}; only a node without a membership, or a declined one, can apply`);
      }
      const stored = await memberships.put(
        {
          nodeId: descriptor.nodeId,
          name: descriptor.name,
          endpoint: descriptor.endpoint,
          jwks: descriptor.jwks,
          contact: descriptor.contact ?? null,
          state: 'applied',
          application,
          updatedAt: at,
        },
        { nodeId: descriptor.nodeId, from: existing?.state ?? null, to: 'applied', actor, at, reason: 'signed application' },
        existing === undefined ? undefined : 'declined',
      );
      await deps.audit({ actor: `${actor.role} ${caller.personId}`, subject: `node:${stored.nodeId}`, action: 'membership-applied', outcome: 'applied', detail: { endpoint: stored.endpoint, kids: stored.jwks.keys.map((k) => k.kid) } });
      await tell(await withRole('staff'), 'membership-applied', stored, 'asks to join the network');
      return view(stored);
    },

    async decide(caller, nodeId, action, input = {}) {
      const actor = authorize(caller, `membership.${action}`, { nodeId });
      const current = await mustGet(nodeId);
      const { reason } = parseInput(TransitionSchema, input, 'membership decision');
      const to = nextMembershipState(nodeId, current.state, action);
      if ((action === 'decline' || action === 'suspend') && reason.trim() === '') {
        throw new BiospecError('INVALID_ARGUMENT', `a reason is required to ${action} a node`, { issues: [{ field: 'reason', message: 'empty' }] });
      }
      const moved = await memberships.transition(nodeId, current.state, to, actor, now().toISOString(), reason);
      await deps.audit({ actor: `${actor.role} ${caller.personId}`, subject: `node:${nodeId}`, action: `membership-${action}`, outcome: to, detail: { from: current.state, ...(reason ? { reason } : {}) } });
      await deps.onChange(moved);
      const done: Record<MembershipAction, string> = { approve: 'approved', decline: 'declined', suspend: 'suspended', readmit: 're-admitted' };
      await tell([...(await withRole('staff')), ...(await withRole(`operator:${nodeId}`))], 'membership-decided', moved, `${done[action]}${reason ? `: ${reason}` : ''}`);
      return view(moved);
    },

    async get(caller, nodeId) {
      authorize(caller, 'membership.view', { nodeId });
      return view(await mustGet(nodeId));
    },

    async list(caller) {
      authorize(caller, 'membership.list');
      return memberships.list();
    },

    async adopt(membership) {
      const existing = await memberships.get(membership.nodeId);
      if (existing !== undefined) return existing;
      const at = now().toISOString();
      return memberships.put(
        { ...membership, state: 'approved', application: '', updatedAt: at },
        { nodeId: membership.nodeId, from: null, to: 'approved', actor: { personId: 'operator', name: null, role: 'add-node' }, at, reason: 'admitted with biospec coordinator add-node' },
      );
    },
  };
}
