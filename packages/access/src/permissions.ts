/**
 * Who may do what: one rule per action, checked once where the action is taken. A caller
 * without a role the rule accepts is refused with PERMISSION_DENIED naming the role needed.
 */
import { BiospecError } from '@biospec/protocol';
import { operatorOf, stewardOf } from '@biospec/registry';
import type { AccessRequest, Actor } from './model.js';

/** The person asking, as the coordinator resolved them. */
export interface AccessCaller {
  personId: string;
  name: string | null;
  /** Effective roles (registry record, and an identity provider's mapped roles). */
  roles: readonly string[];
  /** The pseudonym nodes see for this person. */
  pseudonym: string;
}

/** One way to be allowed: holding `role`, and, with `ownerOf`, being the researcher who made that request. */
export interface Accepted {
  role: string;
  ownerOf?: AccessRequest;
}

/** What a rule looks at: the request acted on, the node acted for. */
export interface RuleContext {
  request?: AccessRequest;
  nodeId?: string;
}

interface Rule {
  /** What the caller is doing, as the refusal says it. */
  does: string;
  accepts: (context: RuleContext) => Accepted[];
}

const researcher = (): Accepted[] => [{ role: 'researcher' }];
const staff = (): Accepted[] => [{ role: 'staff' }];
const owner = (c: RuleContext): Accepted[] => [{ role: 'researcher', ownerOf: need(c.request, 'request') }];
const stewardOfNode = (c: RuleContext): Accepted[] => [{ role: stewardOf(need(c.nodeId, 'nodeId')) }];
const stewardsOfRequest = (c: RuleContext): Accepted[] => need(c.request, 'request').sites.map((s) => ({ role: stewardOf(s.nodeId) }));
const anyRole = (): Accepted[] => [{ role: 'researcher' }, { role: 'staff' }, { role: 'steward:*' }, { role: 'operator:*' }];

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new BiospecError('INTERNAL', `permission rule needs ${what}`);
  return value;
}

/** Every action of the access workflow and of asking questions, with the roles that may take it. */
export const RULES = {
  'count.ask': { does: 'asking a count question', accepts: researcher },
  'availability.ask': { does: 'asking an availability question', accepts: researcher },
  'nodes.list': { does: 'listing the nodes', accepts: anyRole },
  'request.create': { does: 'creating an access request', accepts: researcher },
  'request.list': { does: 'listing access requests', accepts: anyRole },
  'request.view': { does: 'viewing an access request', accepts: (c) => [...owner(c), ...staff(), ...stewardsOfRequest(c)] },
  'request.comment': { does: 'commenting on an access request', accepts: (c) => [...owner(c), ...staff(), ...stewardsOfRequest(c)] },
  'request.edit': { does: 'editing an access request', accepts: owner },
  'request.submit': { does: 'submitting an access request', accepts: owner },
  'request.review': { does: 'taking an access request under review', accepts: staff },
  'request.return': { does: 'returning an access request for changes', accepts: staff },
  'request.approve': { does: 'approving an access request', accepts: staff },
  'request.decline': { does: 'declining an access request', accepts: staff },
  'request.conclude': { does: 'concluding an access request', accepts: (c) => [...owner(c), ...staff()] },
  'request.abandon': { does: 'abandoning an access request', accepts: owner },
  'site.hold': { does: "putting a site's answer on hold", accepts: stewardOfNode },
  'site.approve': { does: 'approving a request for a site', accepts: stewardOfNode },
  'site.decline': { does: 'declining a request for a site', accepts: stewardOfNode },
  'site.samples-available': { does: 'reporting samples available at a site', accepts: stewardOfNode },
  'site.samples-unavailable': { does: 'reporting samples unavailable at a site', accepts: stewardOfNode },
  'holds.list': { does: "listing a site's held questions", accepts: stewardOfNode },
  'holds.release': { does: 'releasing a held question', accepts: stewardOfNode },
  'holds.decline': { does: 'declining a held question', accepts: stewardOfNode },
  'grant.revoke': { does: 'revoking a grant', accepts: (c) => [...staff(), ...stewardOfNode(c)] },
  'granted.fetch': { does: 'fetching granted availability', accepts: owner },
  'membership.apply': { does: 'applying for membership of a node', accepts: (c) => [{ role: operatorOf(need(c.nodeId, 'nodeId')) }] },
  'membership.view': { does: "viewing a node's membership", accepts: (c) => [...staff(), { role: operatorOf(need(c.nodeId, 'nodeId')) }] },
  'membership.list': { does: 'listing node memberships', accepts: staff },
  'membership.approve': { does: "approving a node's membership", accepts: staff },
  'membership.decline': { does: "declining a node's membership", accepts: staff },
  'membership.suspend': { does: 'suspending a node', accepts: staff },
  'membership.readmit': { does: 're-admitting a node', accepts: staff },
  'network.health': { does: "viewing the network's health", accepts: staff },
} as const satisfies Record<string, Rule>;

export type Permission = keyof typeof RULES;

function holds(caller: AccessCaller, accepted: Accepted): boolean {
  const hasRole = accepted.role.endsWith(':*')
    ? caller.roles.some((r) => r.startsWith(accepted.role.slice(0, -1)))
    : caller.roles.includes(accepted.role);
  return hasRole && (accepted.ownerOf === undefined || accepted.ownerOf.researcherId === caller.personId);
}

function describe(accepted: Accepted): string {
  if (accepted.role.endsWith(':*')) return `${accepted.role.slice(0, -2)} of a node`;
  return accepted.ownerOf === undefined ? accepted.role : `${accepted.role} (the one who made request ${accepted.ownerOf.id})`;
}

function alternatives(list: readonly Accepted[]): string {
  const names = [...new Set(list.map(describe))];
  return names.length <= 1 ? (names[0] ?? 'none') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/**
 * Checks the caller may take `permission` in `context` and returns the actor to record
 * (with the role that allowed it).
 * @throws BiospecError PERMISSION_DENIED: "<doing what> needs the role <role>".
 */
export function authorize(caller: AccessCaller, permission: Permission, context: RuleContext = {}): Actor {
  const rule: Rule = RULES[permission];
  const accepted = rule.accepts(context);
  const match = accepted.find((a) => holds(caller, a));
  if (match === undefined) {
    throw new BiospecError('PERMISSION_DENIED', `${rule.does} needs the role ${alternatives(accepted)}`, {
      issues: [{ field: 'roles', message: `you have ${caller.roles.length === 0 ? 'no role' : caller.roles.join(', ')}` }],
    });
  }
  const role = match.role.endsWith(':*') ? (caller.roles.find((r) => r.startsWith(match.role.slice(0, -1))) as string) : match.role;
  return { personId: caller.personId, name: caller.name, role };
}

/** True when the caller may take `permission` (for filtering lists). */
export function may(caller: AccessCaller, permission: Permission, context: RuleContext = {}): boolean {
  return (RULES[permission] as Rule).accepts(context).some((a) => holds(caller, a));
}
