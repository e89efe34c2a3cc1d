/**
 * A node's held questions for a steward working through the coordinator, at the node's own gRPC
 * port (127.0.0.1, port 0) with real signatures: the listing carries the questions and never the
 * figures; a decision is taken and audited with the steward and reason; and a request for another
 * site, with another role, replayed, signed by an unpinned key, of the wrong kind, or sent to a
 * node whose config does not take decisions from the coordinator, is refused with its status.
 */
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { DisclosureKind, type DecideHoldResponse, type ListHoldsResponse } from '@biospec/protocol';
import { EXACT_POLICY } from '@biospec/privacy';
import { decideHold } from '@biospec/node';
import { generateSigningKey, importSigningKey, signQuery, signStewardRequest, type SignStewardRequestInput, type SigningKey } from '@biospec/trust';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';

const HOLD_POLICY = { ...EXACT_POLICY, release: 'hold' as const, rateLimits: [{ limit: 100000, windowSeconds: 60 }] };
const STEWARD = { person: 'p-steward', name: 'Dr. Steward', role: `steward:${NODE_ID}` };

let node: SingleNode;
/** The same node's policy, with decisions from the coordinator left off (the default). */
let closed: SingleNode;

beforeAll(async () => {
  node = await startSingleNode({ donors: 60, policy: HOLD_POLICY, configure: (c) => ({ ...c, holds: { decisionsFromCoordinator: true } }) });
  closed = await startSingleNode({ donors: 60, policy: HOLD_POLICY, nodeId: 'closed-node' });
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await closed?.stop();
});

type Unary<Res> = (request: { signedRequest: string }, metadata: Metadata, options: { deadline: number }, callback: (err: ServiceError | null, res?: Res) => void) => unknown;

function call<Res>(target: SingleNode, method: 'listHolds' | 'decideHold', signedRequest: string): Promise<Res> {
  const fn = (target.client[method] as unknown as Unary<Res>).bind(target.client);
  return new Promise((resolve, reject) => fn({ signedRequest }, new Metadata(), { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(err) : resolve(res!))));
}

function steward(input: Partial<SignStewardRequestInput> & Pick<SignStewardRequestInput, 'action'>, key: SigningKey = node.coordinatorKey): string {
  return signStewardRequest({ issuer: 'coordinator', audience: NODE_ID, steward: STEWARD, ...input }, key);
}

const list = (token: string, target = node) => call<ListHoldsResponse>(target, 'listHolds', token);
const decide = (token: string, target = node) => call<DecideHoldResponse>(target, 'decideHold', token);

async function refusal(promise: Promise<unknown>): Promise<{ code: number | undefined; details: string }> {
  try {
    await promise;
  } catch (error) {
    const err = error as ServiceError;
    return { code: err.code, details: err.details };
  }
  throw new Error('expected a refusal');
}

/** Asks the node a count as a coordinator would, for `researcher`. */
async function ask(target: SingleNode, researcher: string, sex: 'female' | 'male') {
  const token = await signQuery(
    { query: { unit: 'specimens', where: { op: 'in', field: 'sex', values: [sex] } }, purpose: 'DUO:0000006', researcher, project: `project-${sex}`, audience: target === node ? NODE_ID : 'closed-node', issuer: 'coordinator' },
    target.coordinatorKey,
  );
  return target.count(token);
}

test('a steward lists the held questions without their figures, releases one with a reason, and the repeat gets the figures', async () => {
  const first = await ask(node, 'r-alice', 'female');
  expect(first.result?.total?.disclosure?.kind).toBe(DisclosureKind.DISCLOSURE_KIND_HELD);

  const listed = await list(steward({ action: 'list-holds' }));
  expect(listed.total).toBe(1);
  const [hold] = listed.holds;
  expect(hold).toMatchObject({ status: 'held', researcher: 'r-alice', purpose: 'DUO:0000006', project: 'project-female', decidedBy: '', reason: '' });
  expect(JSON.parse(hold!.canonicalQuery)).toMatchObject({ unit: 'specimens' });
  // Only the question travels: no figure, no display of one, nothing named like the released answer.
  expect(Object.keys(hold!).sort()).toEqual(['canonicalQuery', 'dataEpoch', 'decidedAt', 'decidedBy', 'heldAt', 'id', 'project', 'purpose', 'queryHash', 'reason', 'researcher', 'status']);

  const decided = await decide(steward({ action: 'release-hold', hold: hold!.id, reason: 'coarse enough to release' }));
  expect(decided.hold).toMatchObject({ id: hold!.id, status: 'released', decidedBy: 'Dr. Steward', reason: 'coarse enough to release' });

  const entry = node.node.audit.list({ kind: 'hold-decision' }).at(-1);
  expect(entry).toMatchObject({ actor: 'Dr. Steward', subject: hold!.queryHash, outcome: 'released' });
  expect(entry?.detail).toMatchObject({ hold: hold!.id, reason: 'coarse enough to release', via: 'coordinator', coordinator: 'coordinator', person: 'p-steward', role: `steward:${NODE_ID}` });

  const again = await ask(node, 'r-alice', 'female');
  expect(again.result?.total?.disclosure?.kind).toBe(DisclosureKind.DISCLOSURE_KIND_EXACT);
  expect(again.result?.total?.value).toBeGreaterThan(0);
});

test("a declined question is refused to the researcher with the steward's reason; a decision is final", async () => {
  await ask(node, 'r-bob', 'male');
  const { holds } = await list(steward({ action: 'list-holds', status: 'held' }));
  const hold = holds.find((h) => h.researcher === 'r-bob')!;
  const declined = await decide(steward({ action: 'decline-hold', hold: hold.id, reason: 'too identifying for this project' }));
  expect(declined.hold).toMatchObject({ status: 'declined', reason: 'too identifying for this project' });
  const repeat = await refusal(ask(node, 'r-bob', 'male'));
  expect(repeat).toEqual({ code: GrpcStatus.PERMISSION_DENIED, details: expect.stringContaining('the steward declined this question: too identifying for this project') });

  expect(await refusal(decide(steward({ action: 'release-hold', hold: hold.id })))).toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION, details: expect.stringContaining('already declined') });
  expect(await refusal(decide(steward({ action: 'release-hold', hold: 'no-such-hold' })))).toMatchObject({ code: GrpcStatus.NOT_FOUND });
  // Decided ones come after every held one, newest first.
  const all = await list(steward({ action: 'list-holds' }));
  expect(all.holds.map((h) => h.status)).toEqual(['declined', 'released']);
});

test('another site, another role, a replay, an unpinned key, the wrong kind of token or action are refused before anything is read', async () => {
  const other = await refusal(list(steward({ action: 'list-holds', audience: 'other-node' })));
  expect(other).toEqual({ code: GrpcStatus.PERMISSION_DENIED, details: expect.stringContaining("steward's request is for another node") });

  const otherSite = await refusal(list(steward({ action: 'list-holds', steward: { ...STEWARD, role: 'steward:other-node' } })));
  expect(otherSite).toEqual({ code: GrpcStatus.PERMISSION_DENIED, details: expect.stringContaining(`needs steward:${NODE_ID}`) });
  const staff = await refusal(decide(steward({ action: 'release-hold', hold: 'x', steward: { ...STEWARD, role: 'staff' } })));
  expect(staff.code).toBe(GrpcStatus.PERMISSION_DENIED);

  const token = steward({ action: 'list-holds' });
  await list(token);
  expect(await refusal(list(token))).toEqual({ code: GrpcStatus.PERMISSION_DENIED, details: expect.stringContaining('replayed token') });

  const stranger = await importSigningKey((await generateSigningKey()).privateJwk);
  expect((await refusal(list(steward({ action: 'list-holds' }, stranger)))).code).toBe(GrpcStatus.UNAUTHENTICATED);

  const queryToken = await signQuery(
    { query: { unit: 'donors' }, purpose: 'DUO:0000006', researcher: 'r-x', project: 'p', audience: NODE_ID, issuer: 'coordinator' },
    node.coordinatorKey,
  );
  expect(await refusal(list(queryToken))).toEqual({ code: GrpcStatus.UNAUTHENTICATED, details: expect.stringContaining('token type biospec-query+jwt not allowed') });
  expect(await refusal(decide(steward({ action: 'list-holds' })))).toEqual({ code: GrpcStatus.PERMISSION_DENIED, details: expect.stringContaining('token is for list-holds') });
});

test('a node whose config does not take decisions from the coordinator refuses a valid request as FAILED_PRECONDITION, and audits it', async () => {
  await ask(closed, 'r-carol', 'female');
  const token = signStewardRequest({ issuer: 'coordinator', audience: 'closed-node', action: 'list-holds', steward: { ...STEWARD, role: 'steward:closed-node' } }, closed.coordinatorKey);
  expect(await refusal(list(token, closed))).toEqual({ code: GrpcStatus.FAILED_PRECONDITION, details: expect.stringContaining('holds.decisionsFromCoordinator is off') });
  const [held] = closed.node.holds.list('held');
  const release = signStewardRequest(
    { issuer: 'coordinator', audience: 'closed-node', action: 'release-hold', hold: held!.id, steward: { ...STEWARD, role: 'steward:closed-node' } },
    closed.coordinatorKey,
  );
  expect((await refusal(decide(release, closed))).code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(closed.node.holds.list('held')).toHaveLength(1);
  expect(closed.node.audit.list({ kind: 'hold-decision' }).at(-1)).toMatchObject({ actor: 'Dr. Steward', outcome: 'rejected', detail: expect.objectContaining({ code: 'FAILED_PRECONDITION' }) });

  // At the node itself the steward still decides, through the same function the CLI uses, audited the same way.
  await decideHold(closed.node, held!.id, { action: 'release', steward: 'steward at the node', source: { kind: 'cli' } });
  expect(closed.node.audit.list({ kind: 'hold-decision' }).at(-1)).toMatchObject({ actor: 'steward at the node', outcome: 'released', detail: expect.objectContaining({ via: 'cli' }) });
});
