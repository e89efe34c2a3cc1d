import fs from 'node:fs';
import path from 'node:path';
import { Server, ServerCredentials, credentials, status as GrpcStatus, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { NodeServiceClient, NodeServiceService, toGrpcError, type CountRequest, type CountResponse, type NodeServiceServer } from '@biospec/protocol';
import { createKeyRing, signQuery, verifyResult } from '@biospec/trust';
import { createNodeCountClient, type CountCalls, type NodeCountClient } from '@biospec/federation';
import { canonicalise, queryHash, referenceCount, type Query } from '@biospec/query';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';

let node: SingleNode;

beforeAll(async () => {
  node = await startSingleNode({ configure: (config) => ({ ...config, maxMessageBytes: 16 * 1024 }) });
}, 60_000);

afterAll(async () => {
  await node?.stop();
});

const female = (minAge: number): Query => ({
  unit: 'specimens',
  where: { op: 'and', args: [{ op: 'in', field: 'sex', values: ['female'] }, { op: 'age_range', min: minAge }] },
});
const sign = (query: Query, audience = NODE_ID) =>
  signQuery({ query, purpose: 'DUO:0000006', researcher: 'r-test', project: 'p', audience, issuer: 'coordinator' }, node.coordinatorKey);
const soon = () => new Date(Date.now() + 10_000);

/** A client over the node's real gRPC client that counts the streams it opens. */
function countingClient(calls: CountCalls = node.client): { client: NodeCountClient; opened: () => number } {
  let opened = 0;
  const client = createNodeCountClient({
    count: (...args) => calls.count(...args),
    countStream: () => {
      opened += 1;
      return calls.countStream();
    },
  });
  return { client, opened: () => opened };
}

async function failureOf(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error('expected the query to be refused');
}

test('answers, replays and forged tokens share one stream, each ending as the unary call would', async () => {
  const { client, opened } = countingClient();
  const keys = await createKeyRing([node.node.signingKey.publicJwk]);
  const token = await sign(female(30));

  const answer = await verifyResult(await client.count(token, soon()), keys, { expectedNodeId: NODE_ID });
  expect(answer.total?.value).toBe(referenceCount(female(30), node.records).total);

  const replay = await failureOf(client.count(token, soon()));
  expect(replay.code).toBe(GrpcStatus.PERMISSION_DENIED);
  expect(replay.details).toMatch(/replayed/);
  const unsigned = await failureOf(client.count('', soon()));
  expect(unsigned.code).toBe(GrpcStatus.UNAUTHENTICATED);
  expect(unsigned.details).toMatch(/not signed/);
  const elsewhere = await failureOf(client.count(await sign(female(30), 'another-node'), soon()));
  expect(elsewhere.code).toBe(GrpcStatus.PERMISSION_DENIED);
  expect(elsewhere.details).toMatch(/another node/);

  const after = await verifyResult(await client.count(await sign(female(50)), soon()), keys);
  expect(after.total?.value).toBe(referenceCount(female(50), node.records).total);
  expect(opened()).toBe(1);

  await node.node.preAuthRefusals.flush(true);
  const refusals = node.node.audit.list({ limit: 10_000 }).filter((e) => e.kind === 'refusal' || e.kind === 'refusals');
  const refused = refusals.reduce((n, e) => n + (e.kind === 'refusal' ? 1 : (e.detail as { count: number }).count), 0);
  expect(refused).toBeGreaterThanOrEqual(3);
  expect(node.node.audit.verifyChain().ok).toBe(true);
  client.close();
});

test('many queries in flight on one stream each get the answer to their own question', async () => {
  const { client, opened } = countingClient();
  const keys = await createKeyRing([node.node.signingKey.publicJwk]);
  const ages = Array.from({ length: 40 }, (_, i) => 20 + i);
  const answers = await Promise.all(ages.map(async (age) => verifyResult(await client.count(await sign(female(age)), soon()), keys)));
  answers.forEach((answer, i) => {
    expect(answer.queryHash).toBe(queryHash(canonicalise(female(ages[i]!))));
    expect(answer.total?.value).toBe(referenceCount(female(ages[i]!), node.records).total);
  });
  expect(opened()).toBe(1);
  client.close();
});

test('a message over the node limit fails its stream with RESOURCE_EXHAUSTED; the next query opens a new one', async () => {
  const { client, opened } = countingClient();
  const oversized = await failureOf(client.count('A'.repeat(20_000), soon()));
  expect(oversized.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
  await expect(client.count(await sign(female(40)), soon())).resolves.toMatch(/^ey/);
  expect(opened()).toBe(2);
  client.close();
});

test('a node without CountStream (an older release) is asked with unary calls', async () => {
  const server = new Server();
  // Only the methods an older node had; grpc-js answers UNIMPLEMENTED for the rest.
  const older = {
    count: (call: ServerUnaryCall<CountRequest, CountResponse>, callback: sendUnaryData<CountResponse>) => {
      node.node.pipeline.answer(call.request.signedQuery).then(
        (response) => callback(null, response),
        (reason: unknown) => callback(toGrpcError(reason)),
      );
    },
  };
  server.addService(NodeServiceService, older as unknown as NodeServiceServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const grpcClient = new NodeServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const { client, opened } = countingClient(grpcClient);
  try {
    const keys = await createKeyRing([node.node.signingKey.publicJwk]);
    const first = await Promise.all([30, 31, 32].map(async (age) => verifyResult(await client.count(await sign(female(age)), soon()), keys)));
    expect(first.map((a) => a.total?.value)).toEqual([30, 31, 32].map((age) => referenceCount(female(age), node.records).total));
    await expect(client.count(await sign(female(33)), soon())).resolves.toMatch(/^ey/);
    expect(opened()).toBe(1);
  } finally {
    client.close();
    grpcClient.close();
    server.forceShutdown();
  }
});

test('a node that stops ends its open streams rather than waiting out the grace period', async () => {
  const stopping = await startSingleNode({ donors: 20 });
  const { client } = countingClient(stopping.client);
  try {
    await client.count(
      await signQuery(
        { query: female(30), purpose: 'DUO:0000006', researcher: 'r-test', project: 'p', audience: NODE_ID, issuer: 'coordinator' },
        stopping.coordinatorKey,
      ),
      soon(),
    );
    const started = Date.now();
    await stopping.server.stop(60_000);
    expect(Date.now() - started).toBeLessThan(20_000);
    const afterStop = await failureOf(client.count('any', soon()));
    expect(afterStop.code).toBe(GrpcStatus.UNAVAILABLE);
  } finally {
    client.close();
    stopping.client.close();
    fs.rmSync(path.dirname(stopping.dir), { recursive: true, force: true });
  }
});
