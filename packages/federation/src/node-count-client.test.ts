import { EventEmitter } from 'node:events';
import { Metadata, status as GrpcStatus, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import { SiteStatus, type CountStreamRequest, type CountStreamResponse } from '@biospec/protocol';
import { createNodeCountClient, type CountCalls } from './node-count-client.js';
import { siteFailureOf } from './site-status.js';

/** A stand-in for grpc-js's client side of CountStream: records writes, lets the test answer and end it. */
class FakeStream extends EventEmitter {
  written: CountStreamRequest[] = [];
  cancelled = false;
  write(message: CountStreamRequest) {
    this.written.push(message);
    return true;
  }
  cancel() {
    this.cancelled = true;
    this.finish(GrpcStatus.CANCELLED, 'Cancelled on client');
  }
  answer(response: CountStreamResponse) {
    this.emit('data', response);
  }
  finish(code: GrpcStatus, details: string) {
    const status: StatusObject = { code, details, metadata: new Metadata() };
    if (code !== GrpcStatus.OK) this.emit('error', Object.assign(new Error(details), status));
    this.emit('status', status);
  }
}

function fakeCalls() {
  const streams: FakeStream[] = [];
  const unary: { signedQuery: string; deadline: unknown }[] = [];
  const calls: CountCalls = {
    countStream: () => {
      const stream = new FakeStream();
      streams.push(stream);
      return stream as unknown as ClientDuplexStream<CountStreamRequest, CountStreamResponse>;
    },
    count: (request, _metadata, options, callback) => {
      unary.push({ signedQuery: request.signedQuery, deadline: options.deadline });
      setImmediate(() => callback(null, { signedResult: `unary:${request.signedQuery}` }));
    },
  };
  return { calls, streams, unary };
}

const soon = () => new Date(Date.now() + 10_000);

async function failureOf(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: number; details: string };
  }
  throw new Error('expected the query to fail');
}

test('queries share one stream and each answer settles its own query, in any order', async () => {
  const { calls, streams } = fakeCalls();
  const client = createNodeCountClient(calls);
  const first = client.count('token-a', soon());
  const second = client.count('token-b', soon());
  expect(streams).toHaveLength(1);
  const [a, b] = streams[0]!.written;
  expect(a!.signedQuery).toBe('token-a');
  expect(b!.signedQuery).toBe('token-b');
  expect(a!.id).not.toBe(b!.id);

  streams[0]!.answer({ id: b!.id, signedResult: 'result-b' });
  streams[0]!.answer({ id: a!.id, signedResult: 'result-a' });
  await expect(first).resolves.toBe('result-a');
  await expect(second).resolves.toBe('result-b');
  client.close();
});

test("a refused query fails alone, with the node's status, as a unary call would", async () => {
  const { calls, streams } = fakeCalls();
  const client = createNodeCountClient(calls);
  const refused = client.count('replayed', soon());
  const answered = client.count('fresh', soon());
  const [r, f] = streams[0]!.written;
  streams[0]!.answer({ id: r!.id, error: { code: GrpcStatus.PERMISSION_DENIED, message: 'PERMISSION_DENIED: replayed token', reason: 'PERMISSION_DENIED', retryAfterMs: 0 } });
  streams[0]!.answer({ id: f!.id, signedResult: 'ok' });

  const failure = await failureOf(refused);
  expect(failure).toMatchObject({ code: GrpcStatus.PERMISSION_DENIED, details: 'PERMISSION_DENIED: replayed token' });
  expect(siteFailureOf(failure)).toEqual({ status: SiteStatus.SITE_STATUS_REJECTED, message: 'PERMISSION_DENIED: replayed token', reason: 'PERMISSION_DENIED' });
  await expect(answered).resolves.toBe('ok');
  client.close();
});

test('a stream that ends fails its queries with its status, and the next query opens a new stream', async () => {
  const { calls, streams } = fakeCalls();
  const client = createNodeCountClient(calls);
  const lost = client.count('token', soon());
  streams[0]!.finish(GrpcStatus.UNAVAILABLE, 'connection dropped');
  expect(siteFailureOf(await failureOf(lost)).status).toBe(SiteStatus.SITE_STATUS_UNREACHABLE);

  const closedByNode = client.count('token-2', soon());
  expect(streams).toHaveLength(2);
  streams[1]!.finish(GrpcStatus.OK, '');
  expect(await failureOf(closedByNode)).toMatchObject({ code: GrpcStatus.UNAVAILABLE, details: 'the node closed its stream' });

  const next = client.count('token-3', soon());
  expect(streams).toHaveLength(3);
  streams[2]!.answer({ id: streams[2]!.written[0]!.id, signedResult: 'again' });
  await expect(next).resolves.toBe('again');
  client.close();
});

test('a node without CountStream is asked with unary calls, the queries already sent included', async () => {
  const { calls, streams, unary } = fakeCalls();
  const client = createNodeCountClient(calls);
  const deadline = soon();
  const pending = [client.count('t1', deadline), client.count('t2', deadline)];
  streams[0]!.finish(GrpcStatus.UNIMPLEMENTED, 'The server does not implement the method /biospecimen.v1.NodeService/CountStream');
  await expect(Promise.all(pending)).resolves.toEqual(['unary:t1', 'unary:t2']);
  expect(unary.map((u) => u.deadline)).toEqual([deadline, deadline]);

  await expect(client.count('t3', soon())).resolves.toBe('unary:t3');
  expect(streams).toHaveLength(1);
  client.close();
});

test('a query without an answer by its deadline times out; a silent stream is replaced, a live one kept', async () => {
  const { calls, streams } = fakeCalls();
  const client = createNodeCountClient(calls);

  // Another answer arrives meanwhile: the node is alive, only this query is slow.
  const slow = client.count('slow', new Date(Date.now() + 30));
  const quick = client.count('quick', soon());
  streams[0]!.answer({ id: streams[0]!.written[1]!.id, signedResult: 'quick' });
  await expect(quick).resolves.toBe('quick');
  const timedOut = await failureOf(slow);
  expect(siteFailureOf(timedOut).status).toBe(SiteStatus.SITE_STATUS_TIMEOUT);
  expect(streams[0]!.cancelled).toBe(false);

  // Nothing arrives at all (a stalled node): new queries go to a fresh stream, while the
  // queries already sent keep waiting for their own answers or deadlines.
  const silent = client.count('silent', new Date(Date.now() + 30));
  const bystander = client.count('bystander', new Date(Date.now() + 120));
  expect(siteFailureOf(await failureOf(silent)).status).toBe(SiteStatus.SITE_STATUS_TIMEOUT);
  expect(streams[0]!.cancelled).toBe(false);
  const fresh = client.count('fresh', soon());
  expect(streams).toHaveLength(2);
  streams[1]!.answer({ id: streams[1]!.written[0]!.id, signedResult: 'fresh' });
  await expect(fresh).resolves.toBe('fresh');

  // The stalled node's bystander times out as a timeout too, and only then is the old stream cancelled.
  expect(siteFailureOf(await failureOf(bystander))).toEqual({ status: SiteStatus.SITE_STATUS_TIMEOUT, message: 'no answer within the deadline' });
  expect(streams[0]!.cancelled).toBe(true);
  expect(streams[1]!.cancelled).toBe(false);
  client.close();
});

test('a retired stream that answers late still settles its queries, then is cancelled', async () => {
  const { calls, streams } = fakeCalls();
  const client = createNodeCountClient(calls);
  const silent = client.count('silent', new Date(Date.now() + 30));
  const late = client.count('late', soon());
  await failureOf(silent);
  client.count('next', soon()).catch(() => undefined);
  expect(streams).toHaveLength(2);
  streams[0]!.answer({ id: streams[0]!.written[1]!.id, signedResult: 'late answer' });
  await expect(late).resolves.toBe('late answer');
  expect(streams[0]!.cancelled).toBe(true);
  client.close();
});

test('each streamed query tells the node how long it waits, in milliseconds from now', () => {
  const { calls, streams } = fakeCalls();
  const client = createNodeCountClient(calls);
  client.count('a', new Date(Date.now() + 4000)).catch(() => undefined);
  client.count('b', new Date(Date.now() - 50)).catch(() => undefined);
  const [a, b] = streams[0]!.written;
  expect(a!.timeoutMs).toBeGreaterThan(3900);
  expect(a!.timeoutMs).toBeLessThanOrEqual(4000);
  // Already past: 1 ms, never 0, which would mean "no deadline".
  expect(b!.timeoutMs).toBe(1);
  client.close();
});

test("a node's reason decides the site status: busy and warming up apart from rate limits and unreachable", async () => {
  const { calls, streams } = fakeCalls();
  const client = createNodeCountClient(calls);
  const queries = ['busy', 'warming', 'limited', 'budget', 'old-busy'].map((q) => client.count(q, soon()));
  const ids = streams[0]!.written.map((w) => w.id);
  const answer = (i: number, error: CountStreamResponse['error']) => streams[0]!.answer({ id: ids[i]!, error });
  answer(0, { code: GrpcStatus.RESOURCE_EXHAUSTED, message: 'BUSY: node busy', reason: 'BUSY', retryAfterMs: 120 });
  answer(1, { code: GrpcStatus.UNAVAILABLE, message: 'WARMING_UP: index loading', reason: 'WARMING_UP', retryAfterMs: 0 });
  answer(2, { code: GrpcStatus.RESOURCE_EXHAUSTED, message: 'RATE_LIMITED: too many', reason: 'RATE_LIMITED', retryAfterMs: 30_000 });
  answer(3, { code: GrpcStatus.RESOURCE_EXHAUSTED, message: 'BUDGET_EXHAUSTED: spent', reason: 'BUDGET_EXHAUSTED', retryAfterMs: 0 });
  // A node release without the reason field: the details prefix still tells.
  answer(4, { code: GrpcStatus.RESOURCE_EXHAUSTED, message: 'BUSY: node busy', reason: '', retryAfterMs: 0 });
  const failures = await Promise.all(queries.map((q) => failureOf(q).then(siteFailureOf)));
  expect(failures).toEqual([
    { status: SiteStatus.SITE_STATUS_BUSY, message: 'BUSY: node busy', retryAfterMs: 120 },
    { status: SiteStatus.SITE_STATUS_WARMING_UP, message: 'count index warming up' },
    { status: SiteStatus.SITE_STATUS_REJECTED, message: 'RATE_LIMITED: too many', reason: 'RATE_LIMITED', retryAfterMs: 30_000 },
    { status: SiteStatus.SITE_STATUS_REJECTED, message: 'BUDGET_EXHAUSTED: spent', reason: 'BUDGET_EXHAUSTED' },
    { status: SiteStatus.SITE_STATUS_BUSY, message: 'BUSY: node busy' },
  ]);
  client.close();
});

test('a reason that disagrees with the status code is ignored: a crash is not "busy"', () => {
  const metadata = new Metadata();
  metadata.set('biospec-error-code', 'BUSY');
  metadata.set('retry-after-ms', '50');
  expect(siteFailureOf({ code: GrpcStatus.INTERNAL, details: 'INTERNAL: internal error', metadata }).status).toBe(SiteStatus.SITE_STATUS_ERROR);
  expect(siteFailureOf({ code: GrpcStatus.UNAVAILABLE, details: 'Connection dropped', metadata: new Metadata() }).status).toBe(
    SiteStatus.SITE_STATUS_UNREACHABLE,
  );
  expect(siteFailureOf({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: 'BUSY: node busy', metadata })).toEqual({
    status: SiteStatus.SITE_STATUS_BUSY,
    message: 'BUSY: node busy',
    retryAfterMs: 50,
  });
});

test('closing fails the queries in flight and refuses new ones', async () => {
  const { calls, streams } = fakeCalls();
  const client = createNodeCountClient(calls);
  const inFlight = client.count('token', soon());
  client.close();
  expect(streams[0]!.cancelled).toBe(true);
  expect(await failureOf(inFlight)).toMatchObject({ code: GrpcStatus.UNAVAILABLE, details: 'the coordinator is closing' });
  expect(await failureOf(client.count('later', soon()))).toMatchObject({ code: GrpcStatus.UNAVAILABLE });
  expect(streams).toHaveLength(1);
});
