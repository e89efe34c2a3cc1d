import { Metadata, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { NodeServiceClient, SiteStatus, type CountStreamResponse } from '@biospec/protocol';
import { siteFailureOf } from '@biospec/federation';
import type { Query } from '@biospec/query';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';
import { holdCounts, nodeCounts, outcomeOf, signMany, sleep, waitFor } from './harness/load.js';

let node: SingleNode;

beforeAll(async () => {
  // One question at a time and room for every question sent: nothing here is refused for load.
  node = await startSingleNode({ donors: 150, configure: (config) => ({ ...config, admission: { concurrent: 1, queued: 100_000, perStream: 100_000 } }) });
}, 60_000);

afterAll(async () => {
  await node?.stop();
});

/** A question that costs the node some work per answer (every cell protected on its own). */
const HEAVY: Query = { unit: 'specimens', stratify: ['material_type', 'sex', 'storage_temperature'] };

const dropped = (reason: string) =>
  node.node.audit.list({ kind: 'query', limit: 100_000 }).filter((e) => e.outcome === 'dropped' && e.detail?.['reason'] === reason).length;

test('questions whose deadline passed while they waited are dropped before they are counted, and audited', async () => {
  const sent = 400;
  const tokens = await signMany(node.coordinatorKey, NODE_ID, sent);
  // The node's own stream, written to directly: each question carries its 2 s deadline and this side
  // never gives up or cancels, so whatever is not counted was dropped by the node's own deadline check.
  const client = new NodeServiceClient(node.server.address, credentials.createInsecure());
  const call = client.countStream();
  const replies = new Map<number, CountStreamResponse>();
  call.on('data', (reply: CountStreamResponse) => replies.set(reply.id, reply));
  try {
    const before = node.server.load();
    const held = holdCounts(node.node.catalogue);
    tokens.forEach((signedQuery, i) => call.write({ id: i + 1, signedQuery, timeoutMs: 2000 }));
    await waitFor(() => node.server.load().queued >= 100, 'questions waiting at the node');
    const waiting = node.server.load().queued;
    // Every question waiting now was read with 2 s left; the first holds the node's one slot until those have passed.
    await sleep(2001);
    held.release();
    await waitFor(() => replies.size === sent, 'an answer or a refusal for every question');
    const load = node.server.load();
    const expired = load.droppedExpired - before.droppedExpired;
    expect(expired).toBeGreaterThanOrEqual(waiting);
    expect(load.droppedCancelled - before.droppedCancelled).toBe(0);
    expect(load.started - before.started + expired + (load.refusedBusy - before.refusedBusy)).toBe(sent);
    await waitFor(() => dropped('deadline') >= expired, 'the drops to be audited');

    // The coordinator's side sees those as DEADLINE_EXCEEDED (a timeout), never as answers. So does a
    // question started just before its deadline that the node finds past it when it comes to count.
    const started = load.started - before.started;
    const refused = [...replies.values()].filter((r) => r.error !== undefined);
    const timedOut = refused.filter((r) => r.error!.code === GrpcStatus.DEADLINE_EXCEEDED).length;
    const answered = [...replies.values()].filter((r) => r.signedResult !== undefined).length;
    expect(timedOut).toBeGreaterThanOrEqual(expired);
    expect(answered).toBe(started - (timedOut - expired));
  } finally {
    call.end();
    client.close();
  }
}, 60_000);

test('a cancelled stream stops the work it left waiting: the node counts only what it had started', async () => {
  const sent = 400;
  const tokens = await signMany(node.coordinatorKey, NODE_ID, sent, HEAVY);
  const client = nodeCounts(node.server.address);
  const before = node.server.load();
  const auditedBefore = dropped('cancelled');
  const held = holdCounts(node.node.catalogue);
  // A far deadline: the node's cost estimate still carries the 2 s question held above, and none of these may be refused as busy.
  const results = Promise.all(tokens.map((token) => outcomeOf(client.counts.count(token, new Date(Date.now() + 600_000)))));
  await waitFor(() => node.server.load().queued >= 100, 'questions waiting at the node');
  const waiting = node.server.load().queued;
  client.close();
  await results;
  await waitFor(() => node.server.load().queued === 0, 'the node to drop the cancelled queue');
  held.release();
  await waitFor(() => node.server.load().running === 0, 'the held question to finish');
  const load = node.server.load();
  const computed = load.started - before.started;
  const cancelled = load.droppedCancelled - before.droppedCancelled;
  // Everything waiting when the stream was cancelled is dropped; only the question holding the slot was
  // counted; what the coordinator had not sent yet never arrives.
  expect(cancelled).toBeGreaterThanOrEqual(waiting);
  expect(computed).toBe(1);
  expect(computed + cancelled).toBeLessThanOrEqual(sent);
  await waitFor(() => dropped('cancelled') - auditedBefore === cancelled, 'the drops to be audited');
  expect(node.node.audit.verifyChain().ok).toBe(true);
}, 60_000);

test("a unary Count's gRPC deadline reaches the node: a call that could not be answered in time is refused at once", async () => {
  // Enough waiting work that the queue outlasts the deadline even where one answer takes under a millisecond.
  const tokens = await signMany(node.coordinatorKey, NODE_ID, 2000, HEAVY);
  const [unaryToken] = await signMany(node.coordinatorKey, NODE_ID, 1);
  const client = nodeCounts(node.server.address);
  const deadlineMs = 500;
  try {
    const flood = Promise.all(tokens.map((token) => outcomeOf(client.counts.count(token, new Date(Date.now() + 60_000)))));
    await waitFor(() => {
      const load = node.server.load();
      return (load.queued + 1) * load.costMs > 2 * deadlineMs;
    }, 'more work queued than the deadline allows');
    const started = Date.now();
    const refused = await new Promise<ServiceError>((resolve, reject) =>
      node.client.count({ signedQuery: unaryToken! }, new Metadata(), { deadline: Date.now() + deadlineMs }, (err) =>
        err ? resolve(err) : reject(new Error('expected a refusal')),
      ),
    );
    expect(Date.now() - started).toBeLessThan(deadlineMs);
    expect(refused.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(siteFailureOf(refused)).toMatchObject({ status: SiteStatus.SITE_STATUS_BUSY, retryAfterMs: expect.any(Number) });
    expect(refused.metadata.get('biospec-error-code')).toEqual(['BUSY']);
    client.close();
    await flood;
  } finally {
    client.close();
  }
}, 60_000);
