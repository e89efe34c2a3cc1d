import { BiospecError } from '@biospec/protocol';
import { queryHash } from '@biospec/query';
import { sampleRequest } from './testing/compliance.js';
import { createWorkflowFixture, type WorkflowFixture } from './testing/workflow-fixture.js';
import type { AccessCaller } from './permissions.js';
import type { RequestAction, RequestState, SiteAction, SiteState } from './states.js';

let f: WorkflowFixture;
let owner: AccessCaller;
let staff: AccessCaller;
let steward: AccessCaller;

beforeAll(async () => {
  f = await createWorkflowFixture();
  owner = await f.caller('Rita Researcher', ['researcher']);
  staff = await f.caller('Sam Staff', ['staff']);
  steward = await f.caller('Nora North', ['steward:north']);
});
afterAll(() => f.close());

let next = 0;
/** A request stored directly in `state` (its sites in `siteState`), owned by `owner`. */
async function requestIn(state: RequestState, siteState: SiteState = 'pending'): Promise<string> {
  const id = `req-t${++next}`;
  const base = sampleRequest(id, { researcherId: owner.personId, state, origin: { kind: 'availability', query: { unit: 'specimens' }, queryHash: queryHash({ unit: 'specimens' }) } });
  await f.store.requests.create(
    { ...base, sites: base.sites.map((s) => ({ ...s, state: siteState })) },
    { requestId: id, nodeId: null, from: null, to: state, action: 'create', actor: { personId: owner.personId, name: null, role: 'researcher' }, at: base.createdAt, reason: '' },
  );
  return id;
}

async function refusal(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(BiospecError);
    return { code: (error as BiospecError).code, message: (error as BiospecError).message };
  }
  throw new Error('expected a refusal');
}

// Every action against every state it may not leave, with the exact refusal ("R" stands for the request id).
const ILLEGAL_REQUEST: [RequestAction, RequestState, string][] = [
  ['submit', 'submitted', 'request R is submitted; only a request that is draft or returned can be submitted'],
  ['submit', 'under_review', 'request R is under review; only a request that is draft or returned can be submitted'],
  ['submit', 'approved', 'request R is approved; only a request that is draft or returned can be submitted'],
  ['submit', 'declined', 'request R is declined; only a request that is draft or returned can be submitted'],
  ['submit', 'concluded', 'request R is concluded; only a request that is draft or returned can be submitted'],
  ['submit', 'abandoned', 'request R is abandoned; only a request that is draft or returned can be submitted'],
  ['review', 'draft', 'request R is draft; only a request that is submitted can be taken under review'],
  ['review', 'under_review', 'request R is under review; only a request that is submitted can be taken under review'],
  ['review', 'returned', 'request R is returned; only a request that is submitted can be taken under review'],
  ['review', 'approved', 'request R is approved; only a request that is submitted can be taken under review'],
  ['review', 'declined', 'request R is declined; only a request that is submitted can be taken under review'],
  ['review', 'concluded', 'request R is concluded; only a request that is submitted can be taken under review'],
  ['review', 'abandoned', 'request R is abandoned; only a request that is submitted can be taken under review'],
  ['return', 'draft', 'request R is draft; only a request that is under review can be returned for changes'],
  ['return', 'submitted', 'request R is submitted; only a request that is under review can be returned for changes'],
  ['return', 'returned', 'request R is returned; only a request that is under review can be returned for changes'],
  ['return', 'approved', 'request R is approved; only a request that is under review can be returned for changes'],
  ['return', 'declined', 'request R is declined; only a request that is under review can be returned for changes'],
  ['return', 'concluded', 'request R is concluded; only a request that is under review can be returned for changes'],
  ['return', 'abandoned', 'request R is abandoned; only a request that is under review can be returned for changes'],
  ['approve', 'draft', 'request R is draft; only a request that is under review can be approved'],
  ['approve', 'submitted', 'request R is submitted; only a request that is under review can be approved'],
  ['approve', 'returned', 'request R is returned; only a request that is under review can be approved'],
  ['approve', 'approved', 'request R is approved; only a request that is under review can be approved'],
  ['approve', 'declined', 'request R is declined; only a request that is under review can be approved'],
  ['approve', 'concluded', 'request R is concluded; only a request that is under review can be approved'],
  ['approve', 'abandoned', 'request R is abandoned; only a request that is under review can be approved'],
  ['decline', 'draft', 'request R is draft; only a request that is under review can be declined'],
  ['decline', 'submitted', 'request R is submitted; only a request that is under review can be declined'],
  ['decline', 'returned', 'request R is returned; only a request that is under review can be declined'],
  ['decline', 'approved', 'request R is approved; only a request that is under review can be declined'],
  ['decline', 'declined', 'request R is declined; only a request that is under review can be declined'],
  ['decline', 'concluded', 'request R is concluded; only a request that is under review can be declined'],
  ['decline', 'abandoned', 'request R is abandoned; only a request that is under review can be declined'],
  ['conclude', 'draft', 'request R is draft; only a request that is approved or declined can be concluded'],
  ['conclude', 'submitted', 'request R is submitted; only a request that is approved or declined can be concluded'],
  ['conclude', 'under_review', 'request R is under review; only a request that is approved or declined can be concluded'],
  ['conclude', 'returned', 'request R is returned; only a request that is approved or declined can be concluded'],
  ['conclude', 'concluded', 'request R is concluded; only a request that is approved or declined can be concluded'],
  ['conclude', 'abandoned', 'request R is abandoned; only a request that is approved or declined can be concluded'],
  ['abandon', 'declined', 'request R is declined; only a request that is draft, submitted, under review, returned or approved can be abandoned'],
  ['abandon', 'concluded', 'request R is concluded; only a request that is draft, submitted, under review, returned or approved can be abandoned'],
  ['abandon', 'abandoned', 'request R is abandoned; only a request that is draft, submitted, under review, returned or approved can be abandoned'],
];

const actorFor = (action: RequestAction) => (['review', 'return', 'approve', 'decline'].includes(action) ? staff : owner);

describe('illegal request transitions are refused, naming the state', () => {
  test.each(ILLEGAL_REQUEST)('%s from %s', async (action, state, message) => {
    const id = await requestIn(state);
    const before = (await f.store.requests.timeline(id)).length;
    expect(await refusal(() => f.workflow.act(actorFor(action), id, action, { reason: 'because' }))).toEqual({
      code: 'FAILED_PRECONDITION',
      message: message.replace('request R', `request ${id}`),
    });
    expect((await f.store.requests.get(id))?.state).toBe(state);
    expect(await f.store.requests.timeline(id)).toHaveLength(before);
  });

  test('the table holds every illegal pair: 7 actions x 8 states, less the 13 legal moves', () => {
    expect(ILLEGAL_REQUEST).toHaveLength(7 * 8 - 13);
  });

  test('editing is refused outside draft and returned', async () => {
    for (const state of ['submitted', 'under_review', 'approved', 'declined', 'concluded', 'abandoned'] as const) {
      const id = await requestIn(state);
      const label = state.replace('_', ' ');
      expect(await refusal(() => f.workflow.update(owner, id, { title: 'x' }))).toEqual({
        code: 'FAILED_PRECONDITION',
        message: `request ${id} is ${label}; only a draft or a returned request can be edited`,
      });
    }
  });
});

const ILLEGAL_SITE: [SiteAction, SiteState, string][] = [
  ['hold', 'on_hold', 'site north of request R is on hold; only a site that is pending can be put on hold'],
  ['hold', 'approved', 'site north of request R is approved; only a site that is pending can be put on hold'],
  ['hold', 'declined', 'site north of request R is declined; only a site that is pending can be put on hold'],
  ['hold', 'samples_available', 'site north of request R is samples available; only a site that is pending can be put on hold'],
  ['hold', 'samples_unavailable', 'site north of request R is samples unavailable; only a site that is pending can be put on hold'],
  ['approve', 'approved', 'site north of request R is approved; only a site that is pending or on hold can be approved'],
  ['approve', 'declined', 'site north of request R is declined; only a site that is pending or on hold can be approved'],
  ['approve', 'samples_available', 'site north of request R is samples available; only a site that is pending or on hold can be approved'],
  ['approve', 'samples_unavailable', 'site north of request R is samples unavailable; only a site that is pending or on hold can be approved'],
  ['decline', 'approved', 'site north of request R is approved; only a site that is pending or on hold can be declined'],
  ['decline', 'declined', 'site north of request R is declined; only a site that is pending or on hold can be declined'],
  ['decline', 'samples_available', 'site north of request R is samples available; only a site that is pending or on hold can be declined'],
  ['decline', 'samples_unavailable', 'site north of request R is samples unavailable; only a site that is pending or on hold can be declined'],
  ['samples-available', 'pending', 'site north of request R is pending; only a site that is approved can be reported as having the samples available'],
  ['samples-available', 'on_hold', 'site north of request R is on hold; only a site that is approved can be reported as having the samples available'],
  ['samples-available', 'declined', 'site north of request R is declined; only a site that is approved can be reported as having the samples available'],
  ['samples-available', 'samples_available', 'site north of request R is samples available; only a site that is approved can be reported as having the samples available'],
  ['samples-available', 'samples_unavailable', 'site north of request R is samples unavailable; only a site that is approved can be reported as having the samples available'],
  ['samples-unavailable', 'pending', 'site north of request R is pending; only a site that is approved can be reported as having the samples unavailable'],
  ['samples-unavailable', 'on_hold', 'site north of request R is on hold; only a site that is approved can be reported as having the samples unavailable'],
  ['samples-unavailable', 'declined', 'site north of request R is declined; only a site that is approved can be reported as having the samples unavailable'],
  ['samples-unavailable', 'samples_available', 'site north of request R is samples available; only a site that is approved can be reported as having the samples unavailable'],
  ['samples-unavailable', 'samples_unavailable', 'site north of request R is samples unavailable; only a site that is approved can be reported as having the samples unavailable'],
];

describe('illegal site transitions are refused, naming the state', () => {
  test.each(ILLEGAL_SITE)('%s from %s', async (action, state, message) => {
    const id = await requestIn('approved', state);
    expect(await refusal(() => f.workflow.decideSite(steward, id, 'north', action, { reason: 'because' }))).toEqual({
      code: 'FAILED_PRECONDITION',
      message: message.replace('request R', `request ${id}`),
    });
    expect((await f.store.requests.get(id))?.sites.find((s) => s.nodeId === 'north')?.state).toBe(state);
  });

  test('the table holds every illegal pair: 5 actions x 6 states, less the 7 legal moves', () => {
    expect(ILLEGAL_SITE).toHaveLength(5 * 6 - 7);
  });

  test.each(['draft', 'submitted', 'under_review', 'returned', 'declined', 'concluded', 'abandoned'] as const)(
    'a site cannot answer a request that is %s',
    async (state) => {
      const id = await requestIn(state);
      for (const action of ['hold', 'approve', 'decline', 'samples-available', 'samples-unavailable'] as const) {
        expect(await refusal(() => f.workflow.decideSite(steward, id, 'north', action, { reason: 'because' }))).toEqual({
          code: 'FAILED_PRECONDITION',
          message: `request ${id} is ${state.replace('_', ' ')}; sites answer only a request that staff approved`,
        });
      }
    },
  );
});

describe('what a transition needs besides its state', () => {
  test('returning or declining needs a reason; so does a site declining', async () => {
    for (const action of ['return', 'decline'] as const) {
      const id = await requestIn('under_review');
      expect(await refusal(() => f.workflow.act(staff, id, action, {}))).toEqual({ code: 'INVALID_ARGUMENT', message: `a reason is required to ${action} a request` });
    }
    const id = await requestIn('approved');
    expect(await refusal(() => f.workflow.decideSite(steward, id, 'north', 'decline', { reason: '  ' }))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'a reason is required to decline a request for a site',
    });
  });

  test('a draft without description, ethics reference or encryption key cannot be submitted', async () => {
    const view = await f.workflow.create(owner, {
      title: 'Incomplete',
      purpose: 'DUO:0000006',
      origin: { kind: 'count', query: { unit: 'donors' } },
      collections: [{ nodeId: 'north', collectionId: 'c1' }],
    });
    expect(await refusal(() => f.workflow.act(owner, view.request.id, 'submit'))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: `request ${view.request.id} cannot be submitted yet: description, ethicsReference, encryptionKey missing`,
    });
  });
});
