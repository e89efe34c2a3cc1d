import { EventEmitter } from 'node:events';
import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { pino } from 'pino';
import { BiospecError, type CountResponse, type CountStreamRequest, type CountStreamResponse } from '@biospec/protocol';
import { createCountStreams } from './count-stream.js';
import type { AnswerContext } from './count-pipeline.js';

/** The server side of one stream as grpc-js hands it over: requests come in as 'data', answers go out through write. */
class FakeCall extends EventEmitter {
  written: CountStreamResponse[] = [];
  ended = false;
  write(message: CountStreamResponse) {
    if (this.ended) throw new Error('write after end');
    this.written.push(message);
    return true;
  }
  end() {
    this.ended = true;
  }
  send(id: number, signedQuery: string, timeoutMs = 0) {
    this.emit('data', { id, signedQuery, timeoutMs });
  }
}

/** An answer path the test settles by hand, to hold queries in flight. */
function heldAnswers() {
  const waiting = new Map<string, { resolve: (r: CountResponse) => void; reject: (e: unknown) => void }>();
  const contexts = new Map<string, AnswerContext>();
  const answer = (signedQuery: string, context: AnswerContext) =>
    new Promise<CountResponse>((resolve, reject) => {
      waiting.set(signedQuery, { resolve, reject });
      contexts.set(signedQuery, context);
    });
  const release = (signedQuery: string) => waiting.get(signedQuery)!.resolve({ signedResult: `signed:${signedQuery}` });
  const refuse = (signedQuery: string, err: unknown) => waiting.get(signedQuery)!.reject(err);
  return { answer, release, refuse, contexts };
}

const logger = pino({ level: 'silent' });
const flush = () => new Promise((resolve) => setImmediate(resolve));
const serve = (streams: ReturnType<typeof createCountStreams>, call: FakeCall) =>
  streams.serve(call as unknown as ServerDuplexStream<CountStreamRequest, CountStreamResponse>);

test('each query is answered with its id, refusals carry the status and details of the unary call', async () => {
  const held = heldAnswers();
  const streams = createCountStreams({ answer: held.answer, logger });
  const call = new FakeCall();
  serve(streams, call);
  call.send(7, 'a');
  call.send(8, 'b');
  held.refuse('a', new BiospecError('PERMISSION_DENIED', 'replayed token', { issues: [{ field: 'jti', message: 'replayed token' }] }));
  held.release('b');
  await flush();
  expect(call.written).toEqual([
    { id: 7, error: { code: GrpcStatus.PERMISSION_DENIED, message: 'PERMISSION_DENIED: replayed token: field jti: replayed token', reason: 'PERMISSION_DENIED', retryAfterMs: 0 } },
    { id: 8, signedResult: 'signed:b' },
  ]);
  expect(call.ended).toBe(false);
});

test('queries over the in-flight limit are refused at once as busy, with a retry hint, not queued', async () => {
  const held = heldAnswers();
  const streams = createCountStreams({ answer: held.answer, logger, maxInFlight: 2, retryAfterMs: () => 40 });
  const call = new FakeCall();
  serve(streams, call);
  call.send(1, 'a');
  call.send(2, 'b');
  call.send(3, 'c');
  expect(call.written).toEqual([
    {
      id: 3,
      error: { code: GrpcStatus.RESOURCE_EXHAUSTED, message: 'BUSY: node busy: more than 2 queries in flight on one stream', reason: 'BUSY', retryAfterMs: 40 },
    },
  ]);
  held.release('a');
  await flush();
  call.send(4, 'd');
  held.release('d');
  await flush();
  expect(call.written.map((m) => m.id)).toEqual([3, 1, 4]);
});

test('a caller that stops sending gets its answers before the stream ends', async () => {
  const held = heldAnswers();
  const streams = createCountStreams({ answer: held.answer, logger });
  const call = new FakeCall();
  serve(streams, call);
  call.send(1, 'a');
  call.emit('end');
  expect(call.ended).toBe(false);
  held.release('a');
  await flush();
  expect(call.written).toEqual([{ id: 1, signedResult: 'signed:a' }]);
  expect(call.ended).toBe(true);
});

test('closing ends idle streams at once and busy ones after their answers, refusing new queries meanwhile', async () => {
  const held = heldAnswers();
  const streams = createCountStreams({ answer: held.answer, logger });
  const idle = new FakeCall();
  const busy = new FakeCall();
  serve(streams, idle);
  serve(streams, busy);
  busy.send(1, 'a');
  streams.close();
  expect(idle.ended).toBe(true);
  expect(busy.ended).toBe(false);
  busy.send(2, 'late');
  expect(busy.written).toEqual([
    { id: 2, error: { code: GrpcStatus.UNAVAILABLE, message: 'UNAVAILABLE: node is shutting down', reason: 'UNAVAILABLE', retryAfterMs: 0 } },
  ]);
  held.release('a');
  await flush();
  expect(busy.written[1]).toEqual({ id: 1, signedResult: 'signed:a' });
  expect(busy.ended).toBe(true);
});

test('answers to a caller that went away are dropped', async () => {
  const held = heldAnswers();
  const streams = createCountStreams({ answer: held.answer, logger });
  const call = new FakeCall();
  serve(streams, call);
  call.send(1, 'a');
  call.emit('cancelled');
  held.release('a');
  await flush();
  expect(call.written).toEqual([]);
});

test('each query is answered with its deadline, counted from when the node read it', () => {
  const held = heldAnswers();
  let clock = 1_000_000;
  const streams = createCountStreams({ answer: held.answer, logger, now: () => clock });
  const call = new FakeCall();
  serve(streams, call);
  call.send(1, 'timed', 1500);
  clock += 40;
  call.send(2, 'untimed', 0);
  expect(held.contexts.get('timed')!.deadline).toEqual(new Date(1_000_000 + 1500));
  expect(held.contexts.get('untimed')!.deadline).toBeUndefined();
});

test("a cancelled stream aborts its queries' signal, so work not yet started is dropped", () => {
  const held = heldAnswers();
  const streams = createCountStreams({ answer: held.answer, logger });
  const call = new FakeCall();
  serve(streams, call);
  call.send(1, 'a', 1000);
  const { signal } = held.contexts.get('a')!;
  expect(signal?.aborted).toBe(false);
  call.emit('cancelled');
  expect(signal?.aborted).toBe(true);
});

test('an answer the stream cannot take is logged and the stream abandoned, never an unhandled rejection', async () => {
  const held = heldAnswers();
  const lines: { msg: string; id?: number; err?: { message: string } }[] = [];
  const capture = pino({ level: 'error' }, { write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]) });
  const streams = createCountStreams({ answer: held.answer, logger: capture });
  const call = new FakeCall();
  call.write = () => {
    throw new Error('stream already closed');
  };
  serve(streams, call);
  call.send(3, 'a');
  call.send(4, 'b');
  held.release('a');
  await flush();
  expect(lines).toMatchObject([{ msg: 'cannot send the answer to a stream query; abandoning the stream', id: 3, err: { message: 'stream already closed' } }]);
  // The other query of the broken stream is told its caller is gone.
  expect(held.contexts.get('b')!.signal!.aborted).toBe(true);
});
