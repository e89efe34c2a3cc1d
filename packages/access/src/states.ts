/**
 * The two levels of state of an access request, as the BBMRI-ERIC Negotiator has them:
 * the request as a whole, and each site it asks. Pure tables and checks; the workflow
 * applies them and the repository stores the outcome atomically (compare and set).
 * `@biospec/access/states` exports this module alone: the CLI names the actions in its
 * commands without loading the rest of the package.
 */
import { BiospecError } from '@biospec/protocol/core';

export const REQUEST_STATES = ['draft', 'submitted', 'under_review', 'returned', 'approved', 'declined', 'concluded', 'abandoned'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export const SITE_STATES = ['pending', 'on_hold', 'approved', 'declined', 'samples_available', 'samples_unavailable'] as const;
export type SiteState = (typeof SITE_STATES)[number];

/** What a person does to a request; each moves it from some states to one. */
export const REQUEST_ACTIONS = ['submit', 'review', 'return', 'approve', 'decline', 'conclude', 'abandon'] as const;
export type RequestAction = (typeof REQUEST_ACTIONS)[number];

/** What a site's steward does to their site's answer. */
export const SITE_ACTIONS = ['hold', 'approve', 'decline', 'samples-available', 'samples-unavailable'] as const;
export type SiteAction = (typeof SITE_ACTIONS)[number];

interface Move<S> {
  from: readonly S[];
  to: S;
}

/**
 * The request's state machine:
 *
 *   draft ─submit→ submitted ─review→ under_review ─approve→ approved ─conclude→ concluded
 *     ▲                                   │  │ return                ╲ decline → declined ─conclude→ concluded
 *     └── returned ◄──────────────────────┘  ▼
 *         (edit, then submit again)     (abandon from any state before an end)
 */
export const REQUEST_MOVES: Readonly<Record<RequestAction, Move<RequestState>>> = {
  submit: { from: ['draft', 'returned'], to: 'submitted' },
  review: { from: ['submitted'], to: 'under_review' },
  return: { from: ['under_review'], to: 'returned' },
  approve: { from: ['under_review'], to: 'approved' },
  decline: { from: ['under_review'], to: 'declined' },
  conclude: { from: ['approved', 'declined'], to: 'concluded' },
  abandon: { from: ['draft', 'submitted', 'under_review', 'returned', 'approved'], to: 'abandoned' },
};

/** Each site's state machine: pending → on hold / approved / declined → samples available / unavailable. */
export const SITE_MOVES: Readonly<Record<SiteAction, Move<SiteState>>> = {
  hold: { from: ['pending'], to: 'on_hold' },
  approve: { from: ['pending', 'on_hold'], to: 'approved' },
  decline: { from: ['pending', 'on_hold'], to: 'declined' },
  'samples-available': { from: ['approved'], to: 'samples_available' },
  'samples-unavailable': { from: ['approved'], to: 'samples_unavailable' },
};

/** States a request can still be edited in (by its researcher). */
export const EDITABLE_STATES: readonly RequestState[] = ['draft', 'returned'];
/** States no action leaves. */
export const FINAL_REQUEST_STATES: readonly RequestState[] = ['concluded', 'abandoned'];
/** Site states under which the site's grant stands (unless revoked or expired). */
export const GRANTED_SITE_STATES: readonly SiteState[] = ['approved', 'samples_available'];

/** "under review", "samples available": a state as a person reads it. */
export function stateLabel(state: RequestState | SiteState): string {
  return state.replace(/_/g, ' ');
}

function oneOf(states: readonly string[]): string {
  const labels = states.map((s) => stateLabel(s as RequestState));
  return labels.length === 1 ? (labels[0] as string) : `${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}`;
}

const REQUEST_VERBS: Record<RequestAction, string> = {
  submit: 'submitted',
  review: 'taken under review',
  return: 'returned for changes',
  approve: 'approved',
  decline: 'declined',
  conclude: 'concluded',
  abandon: 'abandoned',
};

const SITE_VERBS: Record<SiteAction, string> = {
  hold: 'put on hold',
  approve: 'approved',
  decline: 'declined',
  'samples-available': 'reported as having the samples available',
  'samples-unavailable': 'reported as having the samples unavailable',
};

/**
 * The state `action` moves a request in state `current` to.
 * @throws BiospecError FAILED_PRECONDITION naming the request's state and the states the action needs.
 */
export function nextRequestState(requestId: string, current: RequestState, action: RequestAction): RequestState {
  const move = REQUEST_MOVES[action];
  if (!move.from.includes(current)) {
    throw new BiospecError(
      'FAILED_PRECONDITION',
      `request ${requestId} is ${stateLabel(current)}; only a request that is ${oneOf(move.from)} can be ${REQUEST_VERBS[action]}`,
      { issues: [{ field: 'state', message: `${stateLabel(current)}` }] },
    );
  }
  return move.to;
}

/**
 * The state `action` moves a site in state `current` to; sites decide only on a request staff approved.
 * @throws BiospecError FAILED_PRECONDITION naming the state of the request or of the site.
 */
export function nextSiteState(requestId: string, requestState: RequestState, nodeId: string, current: SiteState, action: SiteAction): SiteState {
  if (requestState !== 'approved') {
    throw new BiospecError(
      'FAILED_PRECONDITION',
      `request ${requestId} is ${stateLabel(requestState)}; sites answer only a request that staff approved`,
      { issues: [{ field: 'state', message: stateLabel(requestState) }] },
    );
  }
  const move = SITE_MOVES[action];
  if (!move.from.includes(current)) {
    throw new BiospecError(
      'FAILED_PRECONDITION',
      `site ${nodeId} of request ${requestId} is ${stateLabel(current)}; only a site that is ${oneOf(move.from)} can be ${SITE_VERBS[action]}`,
      { issues: [{ field: 'state', message: stateLabel(current) }] },
    );
  }
  return move.to;
}
