import { BiospecError } from '@biospec/protocol';
import { queryHash } from '@biospec/query';
import { generateSigningKey, importSigningKey } from '@biospec/trust';
import { signMembershipApplication } from './membership.js';
import { authorize, type AccessCaller } from './permissions.js';
import { sampleRequest } from './testing/compliance.js';
import { createWorkflowFixture, requestInput, type WorkflowFixture } from './testing/workflow-fixture.js';
import type { RequestState, SiteState } from './states.js';

let f: WorkflowFixture;
const who: Record<string, AccessCaller> = {};

beforeAll(async () => {
  f = await createWorkflowFixture();
  who.owner = await f.caller('Rita Researcher', ['researcher']);
  who.otherResearcher = await f.caller('Oscar Other', ['researcher']);
  who.staff = await f.caller('Sam Staff', ['staff']);
  who.stewardNorth = await f.caller('Nora North', ['steward:north']);
  who.stewardWest = await f.caller('Walt West', ['steward:west']);
  who.operatorNorth = await f.caller('Otto Operator', ['operator:north']);
  who.nobody = await f.caller('Nobody', []);
});
afterAll(() => f.close());

let next = 0;
async function requestIn(state: RequestState, siteState: SiteState = 'pending'): Promise<string> {
  const id = `req-p${++next}`;
  const base = sampleRequest(id, { researcherId: who.owner!.personId, state, encryptionKey: f.encryptionKey.publicJwk, origin: { kind: 'availability', query: { unit: 'specimens' }, queryHash: queryHash({ unit: 'specimens' }) } });
  await f.store.requests.create(
    { ...base, sites: base.sites.map((s) => ({ ...s, state: siteState })) },
    { requestId: id, nodeId: null, from: null, to: state, action: 'create', actor: { personId: who.owner!.personId, name: null, role: 'researcher' }, at: base.createdAt, reason: '' },
  );
  return id;
}

async function outcome(run: () => unknown): Promise<{ code: string; message: string } | 'allowed'> {
  try {
    await run();
    return 'allowed';
  } catch (error) {
    if (!(error instanceof BiospecError)) throw error;
    return { code: error.code, message: error.message };
  }
}

const everyone = ['owner', 'otherResearcher', 'staff', 'stewardNorth', 'stewardWest', 'operatorNorth', 'nobody'];

interface Row {
  action: string;
  /** Takes the action as `caller` on fresh state where the action itself is legal. */
  run: (caller: AccessCaller) => Promise<unknown> | unknown;
  allowed: string[];
  /** The refusal every other caller gets ("R" stands for the request's id). */
  refusal: string;
}

const R = 'the one who made request R';
const ROWS: Row[] = [
  { action: 'ask a count', run: (c) => authorize(c, 'count.ask'), allowed: ['owner', 'otherResearcher'], refusal: 'asking a count question needs the role researcher' },
  { action: 'ask availability', run: (c) => authorize(c, 'availability.ask'), allowed: ['owner', 'otherResearcher'], refusal: 'asking an availability question needs the role researcher' },
  {
    action: 'list nodes',
    run: (c) => authorize(c, 'nodes.list'),
    allowed: everyone.filter((w) => w !== 'nobody'),
    refusal: 'listing the nodes needs the role researcher, staff, steward of a node or operator of a node',
  },
  {
    action: 'create a request',
    run: (c) => f.workflow.create(c, requestInput(f.encryptionKey.publicJwk)),
    allowed: ['owner', 'otherResearcher'],
    refusal: 'creating an access request needs the role researcher',
  },
  {
    action: 'list requests',
    run: (c) => f.workflow.list(c),
    allowed: everyone.filter((w) => w !== 'nobody'),
    refusal: 'listing access requests needs the role researcher, staff, steward of a node or operator of a node',
  },
  {
    action: 'view a request',
    run: async (c) => f.workflow.get(c, (current = await requestIn('approved'))),
    allowed: ['owner', 'staff', 'stewardNorth'],
    refusal: `viewing an access request needs the role researcher (${R}), staff, steward:north or steward:south`,
  },
  {
    action: 'comment',
    run: async (c) => f.workflow.comment(c, (current = await requestIn('approved')), { body: 'hello' }),
    allowed: ['owner', 'staff', 'stewardNorth'],
    refusal: `commenting on an access request needs the role researcher (${R}), staff, steward:north or steward:south`,
  },
  {
    action: 'edit',
    run: async (c) => f.workflow.update(c, (current = await requestIn('draft')), { title: 'Edited' }),
    allowed: ['owner'],
    refusal: `editing an access request needs the role researcher (${R})`,
  },
  {
    action: 'submit',
    run: async (c) => f.workflow.act(c, (current = await requestIn('draft')), 'submit'),
    allowed: ['owner'],
    refusal: `submitting an access request needs the role researcher (${R})`,
  },
  {
    action: 'review',
    run: async (c) => f.workflow.act(c, (current = await requestIn('submitted')), 'review'),
    allowed: ['staff'],
    refusal: 'taking an access request under review needs the role staff',
  },
  {
    action: 'return',
    run: async (c) => f.workflow.act(c, (current = await requestIn('under_review')), 'return', { reason: 'ethics reference missing' }),
    allowed: ['staff'],
    refusal: 'returning an access request for changes needs the role staff',
  },
  {
    action: 'approve',
    run: async (c) => f.workflow.act(c, (current = await requestIn('under_review')), 'approve'),
    allowed: ['staff'],
    refusal: 'approving an access request needs the role staff',
  },
  {
    action: 'decline',
    run: async (c) => f.workflow.act(c, (current = await requestIn('under_review')), 'decline', { reason: 'out of scope' }),
    allowed: ['staff'],
    refusal: 'declining an access request needs the role staff',
  },
  {
    action: 'conclude',
    run: async (c) => f.workflow.act(c, (current = await requestIn('approved')), 'conclude'),
    allowed: ['owner', 'staff'],
    refusal: `concluding an access request needs the role researcher (${R}) or staff`,
  },
  {
    action: 'abandon',
    run: async (c) => f.workflow.act(c, (current = await requestIn('submitted')), 'abandon'),
    allowed: ['owner'],
    refusal: `abandoning an access request needs the role researcher (${R})`,
  },
  {
    action: 'site hold',
    run: async (c) => f.workflow.decideSite(c, (current = await requestIn('approved')), 'north', 'hold', { reason: 'checking stock' }),
    allowed: ['stewardNorth'],
    refusal: "putting a site's answer on hold needs the role steward:north",
  },
  {
    action: 'site approve',
    run: async (c) => f.workflow.decideSite(c, (current = await requestIn('approved')), 'north', 'approve'),
    allowed: ['stewardNorth'],
    refusal: 'approving a request for a site needs the role steward:north',
  },
  {
    action: 'site decline',
    run: async (c) => f.workflow.decideSite(c, (current = await requestIn('approved')), 'north', 'decline', { reason: 'no consent' }),
    allowed: ['stewardNorth'],
    refusal: 'declining a request for a site needs the role steward:north',
  },
  {
    action: 'site samples available',
    run: async (c) => f.workflow.decideSite(c, (current = await requestIn('approved', 'approved')), 'north', 'samples-available'),
    allowed: ['stewardNorth'],
    refusal: 'reporting samples available at a site needs the role steward:north',
  },
  {
    action: 'site samples unavailable',
    run: async (c) => f.workflow.decideSite(c, (current = await requestIn('approved', 'approved')), 'north', 'samples-unavailable'),
    allowed: ['stewardNorth'],
    refusal: 'reporting samples unavailable at a site needs the role steward:north',
  },
  {
    action: 'revoke a grant',
    run: async (c) => {
      current = await requestIn('approved');
      const grant = await grantAt(current);
      return f.workflow.revokeGrant(c, grant, { reason: 'consent withdrawn' });
    },
    allowed: ['staff', 'stewardNorth'],
    refusal: 'revoking a grant needs the role staff or steward:north',
  },
  {
    action: 'fetch granted availability',
    run: async (c) => {
      current = await requestIn('approved');
      await grantAt(current);
      return f.workflow.prepareGrantedFetch(c, current, 'north');
    },
    allowed: ['owner'],
    refusal: `fetching granted availability needs the role researcher (${R})`,
  },
  {
    action: 'apply for membership',
    run: async (c) => (await freshMemberships()).memberships.apply(c, await application()),
    allowed: ['operatorNorth'],
    refusal: 'applying for membership of a node needs the role operator:north',
  },
  {
    action: 'view a membership',
    run: async (c) => (await freshMemberships('applied')).memberships.get(c, 'north'),
    allowed: ['staff', 'operatorNorth'],
    refusal: "viewing a node's membership needs the role staff or operator:north",
  },
  { action: 'list memberships', run: async (c) => (await freshMemberships()).memberships.list(c), allowed: ['staff'], refusal: 'listing node memberships needs the role staff' },
  {
    action: 'approve a membership',
    run: async (c) => (await freshMemberships('applied')).memberships.decide(c, 'north', 'approve'),
    allowed: ['staff'],
    refusal: "approving a node's membership needs the role staff",
  },
  {
    action: 'decline a membership',
    run: async (c) => (await freshMemberships('applied')).memberships.decide(c, 'north', 'decline', { reason: 'unknown institution' }),
    allowed: ['staff'],
    refusal: "declining a node's membership needs the role staff",
  },
  {
    action: 'suspend a node',
    run: async (c) => (await freshMemberships('approved')).memberships.decide(c, 'north', 'suspend', { reason: 'audit overdue' }),
    allowed: ['staff'],
    refusal: 'suspending a node needs the role staff',
  },
  {
    action: 're-admit a node',
    run: async (c) => (await freshMemberships('suspended')).memberships.decide(c, 'north', 'readmit'),
    allowed: ['staff'],
    refusal: 're-admitting a node needs the role staff',
  },
];

let current = '';

/** Approves `requestId` at north as its steward, which issues the site's grant; returns the grant id. */
async function grantAt(requestId: string): Promise<string> {
  await f.workflow.decideSite(who.stewardNorth!, requestId, 'north', 'approve');
  return (await f.store.grants.list({ requestId, nodeId: 'north' }))[0]!.id;
}

const nodeKey = generateSigningKey({ kid: 'north-1' }).then((k) => importSigningKey(k.privateJwk));
async function application(): Promise<string> {
  const key = await nodeKey;
  return signMembershipApplication({ nodeId: 'north', name: 'North', endpoint: 'north.example:50051', jwks: { keys: [key.publicJwk as Record<string, unknown>] } }, key, f.clock.now);
}

/** Memberships are one per node: each membership row runs on a store of its own, north's membership in `state`. */
async function freshMemberships(state?: 'applied' | 'approved' | 'suspended'): Promise<WorkflowFixture> {
  const g = await createWorkflowFixture();
  opened.push(g);
  if (state === undefined) return g;
  const staffActor = { personId: who.staff!.personId, name: null, role: 'staff' };
  await g.store.memberships.put(
    { nodeId: 'north', name: 'North', endpoint: 'north.example:50051', jwks: { keys: [] }, contact: null, state: 'applied', application: await application(), updatedAt: 'x' },
    { nodeId: 'north', from: null, to: 'applied', actor: staffActor, at: 'x', reason: '' },
  );
  if (state !== 'applied') await g.store.memberships.transition('north', 'applied', 'approved', staffActor, 'x', '');
  if (state === 'suspended') await g.store.memberships.transition('north', 'approved', 'suspended', staffActor, 'x', 'audit');
  return g;
}
const opened: WorkflowFixture[] = [];
afterAll(async () => {
  await Promise.all(opened.map((g) => g.close()));
});

const cases = ROWS.flatMap((row) => everyone.map((caller) => [row.action, caller, row] as const));

describe('every action checks its role; a wrong role gets PERMISSION_DENIED naming the role needed', () => {
  test.each(cases)('%s as %s', async (_action, caller, row) => {
    const result = await outcome(() => row.run(who[caller]!));
    if (row.allowed.includes(caller)) {
      expect(result).toBe('allowed');
    } else {
      expect(result).toEqual({ code: 'PERMISSION_DENIED', message: row.refusal.replace('request R', `request ${current}`) });
    }
  });
});
