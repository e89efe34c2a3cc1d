import type { AccessRequestJson } from '../api/access-types.js';
import { membershipActions, requestActions, siteActions, stewardedNodes } from './access.js';

const request = (state: AccessRequestJson['state']): AccessRequestJson => ({
  id: 'req-1',
  researcherId: 'p-alice',
  state,
  title: 't',
  description: '',
  ethicsReference: '',
  purpose: 'DUO:0000006',
  origin: { kind: 'availability', queryHash: 'h', query: {} },
  collections: [],
  attachments: [],
  encryptionKey: null,
  sites: [],
  createdAt: '',
  updatedAt: '',
});

describe('the actions the UI offers', () => {
  test('the researcher submits, abandons and concludes their own request', () => {
    expect(requestActions(request('draft'), ['researcher'], 'p-alice')).toEqual(['submit', 'abandon']);
    expect(requestActions(request('approved'), ['researcher'], 'p-alice')).toEqual(['conclude', 'abandon']);
    expect(requestActions(request('draft'), ['researcher'], 'p-bob')).toEqual([]);
  });

  test('staff review, return, approve and decline', () => {
    expect(requestActions(request('submitted'), ['staff'], 'p-staff')).toEqual(['review']);
    expect(requestActions(request('under_review'), ['staff'], 'p-staff')).toEqual(['return', 'approve', 'decline']);
  });

  test("a steward decides only their own site's answer", () => {
    expect(siteActions({ nodeId: 'a', state: 'pending' }, ['steward:a'])).toEqual(['hold', 'approve', 'decline']);
    expect(siteActions({ nodeId: 'a', state: 'approved' }, ['steward:a'])).toEqual(['samples-available', 'samples-unavailable']);
    expect(siteActions({ nodeId: 'b', state: 'pending' }, ['steward:a'])).toEqual([]);
    expect(stewardedNodes(['researcher', 'steward:a', 'operator:a', 'steward:b'])).toEqual(['a', 'b']);
  });

  test('staff move memberships', () => {
    expect(membershipActions('applied', ['staff'])).toEqual(['approve', 'decline']);
    expect(membershipActions('approved', ['staff'])).toEqual(['suspend']);
    expect(membershipActions('suspended', ['staff'])).toEqual(['readmit']);
    expect(membershipActions('applied', ['researcher'])).toEqual([]);
  });
});
