/**
 * Which workflow actions the UI offers a person on a request, a site or a membership. The
 * coordinator decides (one rule per action, `packages/access`): these tables only keep the
 * pages from showing buttons that would certainly be refused, and mirror docs/ACCESS.md.
 */
import type { AccessRequestJson, MembershipAction, MembershipState, RequestAction, RequestState, SiteAction, SiteState } from '../api/access-types.js';

const REQUEST_MOVES: Record<RequestAction, readonly RequestState[]> = {
  submit: ['draft', 'returned'],
  review: ['submitted'],
  return: ['under_review'],
  approve: ['under_review'],
  decline: ['under_review'],
  conclude: ['approved', 'declined'],
  abandon: ['draft', 'submitted', 'under_review', 'returned', 'approved'],
};

const SITE_MOVES: Record<SiteAction, readonly SiteState[]> = {
  hold: ['pending'],
  approve: ['pending', 'on_hold'],
  decline: ['pending', 'on_hold'],
  'samples-available': ['approved'],
  'samples-unavailable': ['approved'],
};

const MEMBERSHIP_MOVES: Record<MembershipAction, readonly MembershipState[]> = {
  approve: ['applied'],
  decline: ['applied'],
  suspend: ['approved'],
  readmit: ['suspended'],
};

/** Actions whose reason the workflow requires. */
export const REASON_REQUIRED: ReadonlySet<string> = new Set(['return', 'decline', 'suspend']);

export function hasRole(roles: readonly string[], role: string): boolean {
  return roles.includes(role);
}

/** The nodes a person stewards (`steward:<node id>` roles). */
export function stewardedNodes(roles: readonly string[]): string[] {
  return roles.filter((r) => r.startsWith('steward:')).map((r) => r.slice('steward:'.length));
}

/** Request-level actions for this person: the researcher's own, and staff's. */
export function requestActions(request: AccessRequestJson, roles: readonly string[], personId: string): RequestAction[] {
  const own = request.researcherId === personId;
  const staff = hasRole(roles, 'staff');
  const allowed = (action: RequestAction): boolean => {
    switch (action) {
      case 'submit':
      case 'abandon':
        return own;
      case 'conclude':
        return own || staff;
      default:
        return staff;
    }
  };
  return (Object.keys(REQUEST_MOVES) as RequestAction[]).filter((a) => allowed(a) && REQUEST_MOVES[a].includes(request.state));
}

/** A steward's actions on their own site's answer. */
export function siteActions(site: { nodeId: string; state: SiteState }, roles: readonly string[]): SiteAction[] {
  if (!hasRole(roles, `steward:${site.nodeId}`)) return [];
  return (Object.keys(SITE_MOVES) as SiteAction[]).filter((a) => SITE_MOVES[a].includes(site.state));
}

export function membershipActions(state: MembershipState, roles: readonly string[]): MembershipAction[] {
  if (!hasRole(roles, 'staff')) return [];
  return (Object.keys(MEMBERSHIP_MOVES) as MembershipAction[]).filter((a) => MEMBERSHIP_MOVES[a].includes(state));
}

/** "under review", "samples available": a state as people read it. */
export function stateWords(state: string): string {
  return state.replace(/_/g, ' ');
}

export const REQUEST_ACTION_LABELS: Record<RequestAction, string> = {
  submit: 'Submit the request',
  review: 'Take under review',
  return: 'Return for changes',
  approve: 'Approve the request',
  decline: 'Decline the request',
  conclude: 'Conclude',
  abandon: 'Abandon the request',
};

export const SITE_ACTION_LABELS: Record<SiteAction, string> = {
  hold: 'Put on hold',
  approve: 'Approve for this site',
  decline: 'Decline for this site',
  'samples-available': 'Samples available',
  'samples-unavailable': 'Samples unavailable',
};

export const MEMBERSHIP_ACTION_LABELS: Record<MembershipAction, string> = {
  approve: 'Approve membership',
  decline: 'Decline membership',
  suspend: 'Suspend',
  readmit: 'Re-admit',
};

/** Requests that wait for staff (submitted, or under review). */
export function waitsForStaff(request: AccessRequestJson): boolean {
  return request.state === 'submitted' || request.state === 'under_review';
}
