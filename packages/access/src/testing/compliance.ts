/**
 * Compliance suites for the access store's repositories: what every implementation (SQLite,
 * and PostgreSQL in `@biospec/postgres`) must do. Call each from a test file with a factory
 * that opens a fresh, empty store:
 *
 *   requestRepositoryCompliance('sqlite', { open: () => createSqliteAccessStore(':memory:') });
 *
 * Reopening (durability) is checked with `reopen` when the implementation can do it;
 * `concurrentWriterCompliance` races two stores on the same data (`openAnother`).
 */
import type { AccessRequest, Actor, Grant, Membership } from '../model.js';
import type { AccessStore, NewTransition } from '../repositories.js';

export interface StoreFactory {
  open(): AccessStore | Promise<AccessStore>;
  /** Closes `store` and opens the same data again (a restart); absent for stores that cannot. */
  reopen?(store: AccessStore): AccessStore | Promise<AccessStore>;
  /**
   * A second store on the data of the store opened last, as another coordinator process
   * opens it (its own connection); absent for stores that cannot be shared.
   */
  openAnother?(): AccessStore | Promise<AccessStore>;
}

const staff: Actor = { personId: 'p-staff', name: 'Sam Staff', role: 'staff' };
const researcher: Actor = { personId: 'p-res', name: 'Rita Researcher', role: 'researcher' };
const steward: Actor = { personId: 'p-stew', name: null, role: 'steward:north' };

const HASH = 'a'.repeat(64);

export function sampleRequest(id: string, overrides: Partial<AccessRequest> = {}): AccessRequest {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id,
    researcherId: 'p-res',
    state: 'draft',
    title: `Request ${id}`,
    description: 'a study',
    ethicsReference: 'EC-1',
    purpose: 'DUO:0000006',
    origin: { kind: 'availability', queryHash: HASH, query: { unit: 'specimens' } },
    collections: [
      { nodeId: 'north', collectionId: 'c1' },
      { nodeId: 'south', collectionId: 'c9' },
    ],
    attachments: [{ name: 'protocol.pdf', sha256: 'b'.repeat(64), bytes: 1234 }],
    encryptionKey: { kty: 'OKP', crv: 'X25519', x: 'x' },
    sites: [
      { nodeId: 'north', state: 'pending', collections: ['c1'], updatedAt: at, remindedAt: null },
      { nodeId: 'south', state: 'pending', collections: ['c9'], updatedAt: at, remindedAt: null },
    ],
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

function created(id: string, at = '2026-01-01T00:00:00.000Z'): NewTransition {
  return { requestId: id, nodeId: null, from: null, to: 'draft', action: 'create', actor: researcher, at, reason: '' };
}

export function sampleGrant(id: string, overrides: Partial<Grant> = {}): Grant {
  return {
    id,
    requestId: 'req-1',
    nodeId: 'north',
    subject: 'r-abc',
    issuedAt: '2026-01-02T00:00:00.000Z',
    expiresAt: '2026-02-01T00:00:00.000Z',
    token: 'h.p.s',
    revokedAt: null,
    revokedBy: null,
    revokeReason: null,
    ...overrides,
  };
}

function withStore(factory: StoreFactory, run: (store: AccessStore) => Promise<void> | void) {
  return async () => {
    const store = await factory.open();
    try {
      await run(store);
    } finally {
      await store.close();
    }
  };
}

async function rejection(run: () => unknown): Promise<{ code?: string; message: string }> {
  try {
    await run();
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
  throw new Error('expected a rejection');
}

export function requestRepositoryCompliance(name: string, factory: StoreFactory): void {
  describe(`RequestRepository compliance: ${name}`, () => {
    test(
      'a created request reads back whole, with its sites and its first transition',
      withStore(factory, async (store) => {
        const request = sampleRequest('req-1');
        expect(await store.requests.create(request, created('req-1'))).toEqual(request);
        expect(await store.requests.get('req-1')).toEqual(request);
        expect(await store.requests.get('req-none')).toBeUndefined();
        expect(await store.requests.timeline('req-1')).toEqual([{ seq: expect.any(Number), ...created('req-1') }]);
      }),
    );

    test(
      'a used id is ALREADY_EXISTS',
      withStore(factory, async (store) => {
        await store.requests.create(sampleRequest('req-1'), created('req-1'));
        expect(await rejection(() => store.requests.create(sampleRequest('req-1'), created('req-1')))).toMatchObject({ code: 'ALREADY_EXISTS' });
      }),
    );

    test(
      'transitions are compare-and-set on the request and on each site, and keep the timeline in order',
      withStore(factory, async (store) => {
        await store.requests.create(sampleRequest('req-1'), created('req-1'));
        const t = (over: Partial<NewTransition>): NewTransition => ({
          requestId: 'req-1',
          nodeId: null,
          from: 'draft',
          to: 'submitted',
          action: 'submit',
          actor: researcher,
          at: '2026-01-02T00:00:00.000Z',
          reason: '',
          ...over,
        });
        expect((await store.requests.transition(t({}))).state).toBe('submitted');
        expect(await rejection(() => store.requests.transition(t({})))).toMatchObject({ code: 'FAILED_PRECONDITION', message: 'request req-1 is now submitted, not draft' });
        await store.requests.transition(t({ from: 'submitted', to: 'under_review', action: 'review', actor: staff }));
        await store.requests.transition(t({ from: 'under_review', to: 'approved', action: 'approve', actor: staff, reason: 'fine' }));
        const moved = await store.requests.transition(t({ nodeId: 'north', from: 'pending', to: 'on_hold', action: 'hold', actor: steward, reason: 'checking' }));
        expect(moved.sites.find((s) => s.nodeId === 'north')).toMatchObject({ state: 'on_hold', updatedAt: '2026-01-02T00:00:00.000Z' });
        expect(moved.sites.find((s) => s.nodeId === 'south')?.state).toBe('pending');
        expect(await rejection(() => store.requests.transition(t({ nodeId: 'north', from: 'pending', to: 'approved', action: 'approve', actor: steward })))).toMatchObject({
          code: 'FAILED_PRECONDITION',
          message: 'site north of request req-1 is now on hold, not pending',
        });
        expect(await rejection(() => store.requests.transition(t({ nodeId: 'west', from: 'pending', to: 'approved', action: 'approve' })))).toMatchObject({ code: 'NOT_FOUND' });
        expect(await rejection(() => store.requests.transition(t({ requestId: 'req-none' })))).toMatchObject({ code: 'NOT_FOUND' });
        const timeline = await store.requests.timeline('req-1');
        expect(timeline.map((x) => [x.nodeId, x.from, x.to, x.actor.role, x.reason])).toEqual([
          [null, null, 'draft', 'researcher', ''],
          [null, 'draft', 'submitted', 'researcher', ''],
          [null, 'submitted', 'under_review', 'staff', ''],
          [null, 'under_review', 'approved', 'staff', 'fine'],
          ['north', 'pending', 'on_hold', 'steward:north', 'checking'],
        ]);
        expect(timeline.map((x) => x.seq)).toEqual([...timeline.map((x) => x.seq)].sort((a, b) => a - b));
        expect(timeline[4]!.actor).toEqual(steward);
      }),
    );

    test(
      "updating fields needs the expected state, replaces the sites and keeps a staying site's answer",
      withStore(factory, async (store) => {
        const request = sampleRequest('req-1', { state: 'returned' });
        await store.requests.create(request, created('req-1'));
        const fields = { ...request, title: 'New title', collections: [{ nodeId: 'north', collectionId: 'c2' }] };
        const sites = [{ ...request.sites[0]!, collections: ['c2'] }];
        expect(await rejection(() => store.requests.updateFields('req-1', fields, sites, 'draft', '2026-01-03T00:00:00.000Z'))).toMatchObject({
          code: 'FAILED_PRECONDITION',
        });
        const updated = await store.requests.updateFields('req-1', fields, sites, 'returned', '2026-01-03T00:00:00.000Z');
        expect(updated).toMatchObject({ title: 'New title', updatedAt: '2026-01-03T00:00:00.000Z', collections: [{ nodeId: 'north', collectionId: 'c2' }] });
        expect(updated.sites).toEqual(sites);
      }),
    );

    test(
      'lists filter by researcher, node and state, newest first',
      withStore(factory, async (store) => {
        await store.requests.create(sampleRequest('req-a', { createdAt: '2026-01-01T00:00:00.000Z' }), created('req-a'));
        await store.requests.create(
          sampleRequest('req-b', {
            researcherId: 'p-other',
            createdAt: '2026-01-02T00:00:00.000Z',
            collections: [{ nodeId: 'south', collectionId: 'c9' }],
            sites: [{ nodeId: 'south', state: 'pending', collections: ['c9'], updatedAt: '2026-01-02T00:00:00.000Z', remindedAt: null }],
          }),
          created('req-b'),
        );
        expect((await store.requests.list()).map((r) => r.id)).toEqual(['req-b', 'req-a']);
        expect((await store.requests.list({ researcherId: 'p-res' })).map((r) => r.id)).toEqual(['req-a']);
        expect((await store.requests.list({ nodeIds: ['north'] })).map((r) => r.id)).toEqual(['req-a']);
        expect((await store.requests.list({ nodeIds: ['south', 'north'] })).map((r) => r.id)).toEqual(['req-b', 'req-a']);
        expect(await store.requests.list({ nodeIds: [] })).toEqual([]);
        expect(await store.requests.list({ states: ['approved'] })).toEqual([]);
        expect((await store.requests.list({ states: ['draft'], researcherId: 'p-other' })).map((r) => r.id)).toEqual(['req-b']);
      }),
    );

    test(
      'comments keep their order, author and site',
      withStore(factory, async (store) => {
        await store.requests.create(sampleRequest('req-1'), created('req-1'));
        await store.requests.addComment({ id: 'c-2', requestId: 'req-1', nodeId: null, author: staff, body: 'first', at: '2026-01-02T00:00:00.000Z' });
        await store.requests.addComment({ id: 'c-1', requestId: 'req-1', nodeId: 'north', author: steward, body: 'second', at: '2026-01-02T00:00:00.000Z' });
        expect(await store.requests.comments('req-1')).toEqual([
          { id: 'c-2', requestId: 'req-1', nodeId: null, author: staff, body: 'first', at: '2026-01-02T00:00:00.000Z' },
          { id: 'c-1', requestId: 'req-1', nodeId: 'north', author: steward, body: 'second', at: '2026-01-02T00:00:00.000Z' },
        ]);
        expect(await rejection(() => store.requests.addComment({ id: 'c-3', requestId: 'req-none', nodeId: null, author: staff, body: 'x', at: 'now' }))).toMatchObject({
          code: 'NOT_FOUND',
        });
      }),
    );

    test(
      'sites awaiting an answer on approved requests, with when they were asked and reminded',
      withStore(factory, async (store) => {
        await store.requests.create(sampleRequest('req-1', { state: 'under_review' }), created('req-1'));
        expect(await store.requests.awaitingSites()).toEqual([]);
        await store.requests.transition({ requestId: 'req-1', nodeId: null, from: 'under_review', to: 'approved', action: 'approve', actor: staff, at: '2026-01-05T00:00:00.000Z', reason: '' });
        await store.requests.transition({ requestId: 'req-1', nodeId: 'south', from: 'pending', to: 'approved', action: 'approve', actor: steward, at: '2026-01-06T00:00:00.000Z', reason: '' });
        expect(await store.requests.awaitingSites()).toEqual([{ requestId: 'req-1', nodeId: 'north', askedAt: '2026-01-05T00:00:00.000Z', remindedAt: null }]);
        await store.requests.markReminded('req-1', 'north', '2026-01-08T00:00:00.000Z');
        expect((await store.requests.awaitingSites())[0]?.remindedAt).toBe('2026-01-08T00:00:00.000Z');
      }),
    );

    if (factory.reopen) {
      test('a restart loses no request, transition or comment', async () => {
        let store = await factory.open();
        try {
          await store.requests.create(sampleRequest('req-1'), created('req-1'));
          await store.requests.transition({ requestId: 'req-1', nodeId: null, from: 'draft', to: 'submitted', action: 'submit', actor: researcher, at: '2026-01-02T00:00:00.000Z', reason: '' });
          await store.requests.addComment({ id: 'c-1', requestId: 'req-1', nodeId: null, author: staff, body: 'kept', at: '2026-01-02T00:00:00.000Z' });
          const before = { request: await store.requests.get('req-1'), timeline: await store.requests.timeline('req-1'), comments: await store.requests.comments('req-1') };
          store = await factory.reopen!(store);
          expect({ request: await store.requests.get('req-1'), timeline: await store.requests.timeline('req-1'), comments: await store.requests.comments('req-1') }).toEqual(before);
        } finally {
          await store.close();
        }
      });
    }
  });
}

export function grantRepositoryCompliance(name: string, factory: StoreFactory): void {
  describe(`GrantRepository compliance: ${name}`, () => {
    const withRequest = (run: (store: AccessStore) => Promise<void> | void) =>
      withStore(factory, async (store) => {
        await store.requests.create(sampleRequest('req-1'), created('req-1'));
        await run(store);
      });

    test(
      'grants read back, by request and node, oldest first; a used id is ALREADY_EXISTS',
      withRequest(async (store) => {
        const a = sampleGrant('g-a', { issuedAt: '2026-01-03T00:00:00.000Z', nodeId: 'south' });
        const b = sampleGrant('g-b');
        await store.grants.add(a);
        await store.grants.add(b);
        expect(await store.grants.get('g-a')).toEqual(a);
        expect(await store.grants.get('g-none')).toBeUndefined();
        expect((await store.grants.list()).map((g) => g.id)).toEqual(['g-b', 'g-a']);
        expect(await store.grants.list({ requestId: 'req-1', nodeId: 'south' })).toEqual([a]);
        expect(await store.grants.list({ requestId: 'req-other' })).toEqual([]);
        expect(await rejection(() => store.grants.add(b))).toMatchObject({ code: 'ALREADY_EXISTS' });
      }),
    );

    test(
      'revoking stores the list atomically with the revocation; versions must follow one another',
      withRequest(async (store) => {
        await store.grants.add(sampleGrant('g-a'));
        await store.grants.add(sampleGrant('g-b', { expiresAt: '2026-01-10T00:00:00.000Z' }));
        expect(await store.grants.revocationList()).toBeUndefined();
        const list1 = { version: 1, issuedAt: '2026-01-04T00:00:00.000Z', token: 'list-1' };
        await store.grants.revoke(['g-a', 'g-b'], 'staff p-staff', 'ethics withdrawn', '2026-01-04T00:00:00.000Z', list1);
        expect(await store.grants.get('g-a')).toMatchObject({ revokedAt: '2026-01-04T00:00:00.000Z', revokedBy: 'staff p-staff', revokeReason: 'ethics withdrawn' });
        expect(await store.grants.revocationList()).toEqual(list1);
        expect(await rejection(() => store.grants.revoke([], 'x', 'y', '2026-01-05T00:00:00.000Z', { ...list1, token: 'again' }))).toMatchObject({
          code: 'FAILED_PRECONDITION',
        });
        expect(await rejection(() => store.grants.revoke(['g-none'], 'x', 'y', '2026-01-05T00:00:00.000Z', { version: 2, issuedAt: 'x', token: 'list-2' }))).toMatchObject({
          code: 'NOT_FOUND',
        });
        // The failed revocation changed nothing.
        expect(await store.grants.revocationList()).toEqual(list1);
        expect((await store.grants.revokedUnexpired('2026-01-05T00:00:00.000Z')).map((g) => g.id)).toEqual(['g-a', 'g-b']);
        expect((await store.grants.revokedUnexpired('2026-01-11T00:00:00.000Z')).map((g) => g.id)).toEqual(['g-a']);
        // Revoking again keeps the first revocation's record.
        await store.grants.revoke(['g-a'], 'other', 'again', '2026-01-06T00:00:00.000Z', { version: 2, issuedAt: '2026-01-06T00:00:00.000Z', token: 'list-2' });
        expect((await store.grants.get('g-a'))?.revokedBy).toBe('staff p-staff');
        expect((await store.grants.revocationList())?.version).toBe(2);
      }),
    );

    test(
      'deliveries keep hash, size and time, in order',
      withRequest(async (store) => {
        await store.grants.add(sampleGrant('g-a'));
        const d1 = { id: 'd-1', requestId: 'req-1', nodeId: 'north', grantId: 'g-a', sha256: 'c'.repeat(64), bytes: 900, at: '2026-01-07T00:00:00.000Z' };
        const d2 = { ...d1, id: 'd-0', bytes: 901 };
        await store.grants.addDelivery(d1);
        await store.grants.addDelivery(d2);
        expect(await store.grants.deliveries('req-1')).toEqual([d1, d2]);
        expect(await store.grants.deliveries('req-other')).toEqual([]);
      }),
    );

    if (factory.reopen) {
      test('a restart loses no grant, revocation or delivery', async () => {
        let store = await factory.open();
        try {
          await store.requests.create(sampleRequest('req-1'), created('req-1'));
          await store.grants.add(sampleGrant('g-a'));
          await store.grants.revoke(['g-a'], 'x', 'y', '2026-01-04T00:00:00.000Z', { version: 1, issuedAt: '2026-01-04T00:00:00.000Z', token: 'list-1' });
          await store.grants.addDelivery({ id: 'd-1', requestId: 'req-1', nodeId: 'north', grantId: 'g-a', sha256: 'c'.repeat(64), bytes: 9, at: 'now' });
          const before = { grant: await store.grants.get('g-a'), list: await store.grants.revocationList(), deliveries: await store.grants.deliveries('req-1') };
          store = await factory.reopen!(store);
          expect({ grant: await store.grants.get('g-a'), list: await store.grants.revocationList(), deliveries: await store.grants.deliveries('req-1') }).toEqual(before);
        } finally {
          await store.close();
        }
      });
    }
  });
}

export function membershipRepositoryCompliance(name: string, factory: StoreFactory): void {
  describe(`MembershipRepository compliance: ${name}`, () => {
    const node = (over: Partial<Membership> = {}): Membership => ({
      nodeId: 'north',
      name: 'North',
      endpoint: 'north.example:50051',
      jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'x', kid: 'k1' }] },
      contact: 'it@north.example',
      state: 'applied',
      application: 'h.p.s',
      updatedAt: '2026-01-01T00:00:00.000Z',
      ...over,
    });
    const operator: Actor = { personId: 'p-op', name: null, role: 'operator:north' };

    test(
      'an application is stored with its first transition; a second is refused unless it replaces the state named',
      withStore(factory, async (store) => {
        const stored = await store.memberships.put(node(), { nodeId: 'north', from: null, to: 'applied', actor: operator, at: '2026-01-01T00:00:00.000Z', reason: 'signed application' });
        expect(stored).toEqual(node());
        expect(await store.memberships.get('north')).toEqual(node());
        expect(await store.memberships.get('south')).toBeUndefined();
        expect(await rejection(() => store.memberships.put(node(), { nodeId: 'north', from: null, to: 'applied', actor: operator, at: 'x', reason: '' })))
          .toMatchObject({ code: 'FAILED_PRECONDITION', message: 'node north is already applied' });
        await store.memberships.transition('north', 'applied', 'declined', staff, '2026-01-02T00:00:00.000Z', 'unknown institution');
        const again = await store.memberships.put(node({ endpoint: 'north2.example:50051', updatedAt: '2026-01-03T00:00:00.000Z' }), { nodeId: 'north', from: 'declined', to: 'applied', actor: operator, at: '2026-01-03T00:00:00.000Z', reason: 'again' }, 'declined');
        expect(again).toMatchObject({ state: 'applied', endpoint: 'north2.example:50051' });
        expect((await store.memberships.history('north')).map((t) => [t.from, t.to, t.actor.role, t.reason])).toEqual([
          [null, 'applied', 'operator:north', 'signed application'],
          ['applied', 'declined', 'staff', 'unknown institution'],
          ['declined', 'applied', 'operator:north', 'again'],
        ]);
      }),
    );

    test(
      'transitions are compare-and-set; lists are by node id',
      withStore(factory, async (store) => {
        await store.memberships.put(node({ nodeId: 'south' }), { nodeId: 'south', from: null, to: 'applied', actor: operator, at: 'x', reason: '' });
        await store.memberships.put(node(), { nodeId: 'north', from: null, to: 'applied', actor: operator, at: 'x', reason: '' });
        expect((await store.memberships.transition('north', 'applied', 'approved', staff, '2026-01-02T00:00:00.000Z', '')).state).toBe('approved');
        expect(await rejection(() => store.memberships.transition('north', 'applied', 'approved', staff, 'y', ''))).toMatchObject({
          code: 'FAILED_PRECONDITION',
          message: 'node north is now approved, not applied',
        });
        expect(await rejection(() => store.memberships.transition('west', 'applied', 'approved', staff, 'y', ''))).toMatchObject({ code: 'NOT_FOUND' });
        expect((await store.memberships.list()).map((m) => [m.nodeId, m.state])).toEqual([
          ['north', 'approved'],
          ['south', 'applied'],
        ]);
      }),
    );

    if (factory.reopen) {
      test('a restart loses no membership or transition', async () => {
        let store = await factory.open();
        try {
          await store.memberships.put(node(), { nodeId: 'north', from: null, to: 'applied', actor: operator, at: 'x', reason: '' });
          await store.memberships.transition('north', 'applied', 'approved', staff, 'y', 'ok');
          const before = { m: await store.memberships.get('north'), h: await store.memberships.history('north') };
          store = await factory.reopen!(store);
          expect({ m: await store.memberships.get('north'), h: await store.memberships.history('north') }).toEqual(before);
        } finally {
          await store.close();
        }
      });
    }
  });
}

/**
 * Two stores on the same data (two coordinators on one database) racing: of several moves
 * from one state made at once, exactly one succeeds and the others are FAILED_PRECONDITION,
 * and the timeline records the one that succeeded only.
 */
export function concurrentWriterCompliance(name: string, factory: Required<Pick<StoreFactory, 'open' | 'openAnother'>>): void {
  describe(`access store concurrent writers: ${name}`, () => {
    const RACERS = 6;
    let one: AccessStore;
    let other: AccessStore;
    beforeEach(async () => {
      one = await factory.open();
      other = await factory.openAnother();
    });
    afterEach(async () => {
      await one.close();
      await other.close();
    });
    /** Runs `move` RACERS times at once, alternating between the two stores; the codes of the failures. */
    async function race(move: (store: AccessStore) => Promise<unknown>): Promise<{ won: number; codes: (string | undefined)[] }> {
      const outcomes = await Promise.allSettled(Array.from({ length: RACERS }, (_, i) => move(i % 2 === 0 ? one : other)));
      return {
        won: outcomes.filter((o) => o.status === 'fulfilled').length,
        codes: outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as { code?: string }).code] : [])),
      };
    }
    const failedPreconditions = Array.from({ length: RACERS - 1 }, () => 'FAILED_PRECONDITION');

    test('a request moves once from the state both saw, and so does a site', async () => {
      await one.requests.create(sampleRequest('req-1', { state: 'under_review' }), created('req-1'));
      const approve = (store: AccessStore) =>
        store.requests.transition({ requestId: 'req-1', nodeId: null, from: 'under_review', to: 'approved', action: 'approve', actor: staff, at: '2026-01-02T00:00:00.000Z', reason: '' });
      expect(await race(approve)).toEqual({ won: 1, codes: failedPreconditions });
      const hold = (store: AccessStore) =>
        store.requests.transition({ requestId: 'req-1', nodeId: 'north', from: 'pending', to: 'on_hold', action: 'hold', actor: steward, at: '2026-01-03T00:00:00.000Z', reason: '' });
      expect(await race(hold)).toEqual({ won: 1, codes: failedPreconditions });
      expect((await other.requests.timeline('req-1')).map((t) => `${t.nodeId ?? 'request'}:${t.to}`)).toEqual(['request:draft', 'request:approved', 'north:on_hold']);
      expect((await other.requests.get('req-1'))?.sites.map((s) => s.state)).toEqual(['on_hold', 'pending']);
    });

    test('a membership is decided once, and a revocation list version is stored once', async () => {
      const operator: Actor = { personId: 'p-op', name: null, role: 'operator:north' };
      const membership: Membership = {
        nodeId: 'north',
        name: 'North',
        endpoint: 'north.example:50051',
        jwks: { keys: [] },
        contact: null,
        state: 'applied',
        application: 'h.p.s',
        updatedAt: '2026-01-01T00:00:00.000Z',
      };
      const apply = (store: AccessStore) => store.memberships.put(membership, { nodeId: 'north', from: null, to: 'applied', actor: operator, at: 'x', reason: '' });
      expect(await race(apply)).toEqual({ won: 1, codes: failedPreconditions });
      expect(await race((store) => store.memberships.transition('north', 'applied', 'approved', staff, 'y', ''))).toEqual({ won: 1, codes: failedPreconditions });
      expect((await one.memberships.history('north')).map((t) => t.to)).toEqual(['applied', 'approved']);

      await one.requests.create(sampleRequest('req-1'), created('req-1'));
      await one.grants.add(sampleGrant('g-a'));
      const revoke = (store: AccessStore) => store.grants.revoke(['g-a'], 'staff', 'ethics withdrawn', '2026-01-04T00:00:00.000Z', { version: 1, issuedAt: 'x', token: 'list-1' });
      expect(await race(revoke)).toEqual({ won: 1, codes: failedPreconditions });
      expect(await other.grants.revocationList()).toEqual({ version: 1, issuedAt: 'x', token: 'list-1' });
    });
  });
}
