import { Metadata, status as GrpcStatus, type CallOptions, type ClientDuplexStream, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import type { CountRequest, CountResponse, CountStreamError, CountStreamRequest, CountStreamResponse } from '@biospec/protocol';
import { refusalTrailers } from './node-refusal.js';

/** The two NodeService calls this client uses; a NodeServiceClient has both. */
export interface CountCalls {
  count(
    request: CountRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: CountResponse) => void,
  ): unknown;
  countStream(): ClientDuplexStream<CountStreamRequest, CountStreamResponse>;
}

/** Sends signed queries to one node and returns its signed answers. */
export interface NodeCountClient {
  /**
   * Resolves with the node's signed answer, or rejects with an error carrying the gRPC
   * `code`, `details` and trailing `metadata` the node (or the transport) ended this query
   * with, as a unary call would. The node learns the deadline too, as the time left.
   */
  count(signedQuery: string, deadline: Date): Promise<string>;
  /** Fails every query in flight (UNAVAILABLE) and ends the stream. */
  close(): void;
}

/** A rejected query, shaped like the ServiceError of a unary call, so one mapping serves both. */
export function callError(code: GrpcStatus, details: string, metadata = new Metadata()): Error & { code: GrpcStatus; details: string; metadata: Metadata } {
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata });
}

/** A refusal sent as a stream message, with the trailers the unary call would have carried. */
export function refusalError(error: CountStreamError): Error {
  return callError(error.code, error.message, refusalTrailers(error.reason, error.retryAfterMs));
}

/** Milliseconds left until `deadline`, as the node is told them: at least 1 (0 would mean "no deadline"). */
export function timeLeft(deadline: Date): number {
  return Math.min(0xffffffff, Math.max(1, Math.ceil(deadline.getTime() - Date.now())));
}

interface Pending {
  signedQuery: string;
  deadline: Date;
  resolve: (signedResult: string) => void;
  reject: (reason: unknown) => void;
  timer: NodeJS.Timeout;
  /** Answers the stream had delivered when this query was sent. */
  heardBefore: number;
}

interface OpenStream {
  call: ClientDuplexStream<CountStreamRequest, CountStreamResponse>;
  pending: Map<number, Pending>;
  heard: number;
  /** Set when new queries go to a fresh stream instead; a retired stream is cancelled once its queries settle. */
  retired: boolean;
  /** Why this side cancelled the stream, if it did. */
  cancelledBecause?: string;
}

/**
 * Multiplexes queries to one node over a long-lived CountStream, opened on the first
 * query and again after it ends: a unary call costs several times the CPU of a message
 * on an open stream, on both sides. A node that does not offer CountStream (UNIMPLEMENTED)
 * is asked with unary Count calls from then on, the queries in flight included.
 * A stream that delivers nothing while one of its queries times out is retired: new
 * queries go to a fresh stream, the ones already on it keep their own deadlines (a stalled
 * node is a timeout, not unreachable), and it is cancelled when the last of them settles.
 * A connection that is really gone is noticed by the channel's keepalive pings, which
 * end every stream on it with UNAVAILABLE.
 */
export function createNodeCountClient(calls: CountCalls): NodeCountClient {
  let stream: OpenStream | undefined;
  /** Every stream not yet ended: the current one and retired ones still waiting for answers. */
  const live = new Set<OpenStream>();
  let unaryOnly = false;
  let nextId = 1;
  let closed = false;

  const unary = (signedQuery: string, deadline: Date) =>
    new Promise<string>((resolve, reject) =>
      calls.count({ signedQuery }, new Metadata(), { deadline }, (error, response) => (error ? reject(error) : resolve(response.signedResult))),
    );

  function settle(s: OpenStream, id: number): Pending | undefined {
    const pending = s.pending.get(id);
    if (pending === undefined) return undefined;
    s.pending.delete(id);
    clearTimeout(pending.timer);
    return pending;
  }

  /** Cancels a retired stream once nothing waits on it any more. */
  function releaseIfRetired(s: OpenStream) {
    if (!s.retired || s.pending.size > 0 || !live.has(s)) return;
    live.delete(s);
    s.cancelledBecause = 'the node stopped answering on its stream';
    s.call.cancel();
  }

  function ended(s: OpenStream, status: StatusObject) {
    if (stream === s) stream = undefined;
    live.delete(s);
    if (status.code === GrpcStatus.UNIMPLEMENTED) unaryOnly = true;
    for (const id of [...s.pending.keys()]) {
      const pending = settle(s, id)!;
      if (unaryOnly && !closed) {
        // The node never read these tokens, so sending them again cannot be a replay.
        unary(pending.signedQuery, pending.deadline).then(pending.resolve, pending.reject);
      } else if (s.cancelledBecause !== undefined) {
        pending.reject(callError(GrpcStatus.UNAVAILABLE, s.cancelledBecause));
      } else if (status.code === GrpcStatus.OK) {
        pending.reject(callError(GrpcStatus.UNAVAILABLE, 'the node closed its stream'));
      } else {
        pending.reject(callError(status.code, status.details));
      }
    }
  }

  function open(): OpenStream {
    const s: OpenStream = { call: calls.countStream(), pending: new Map(), heard: 0, retired: false };
    s.call.on('data', (response: CountStreamResponse) => {
      s.heard += 1;
      const pending = settle(s, response.id);
      if (pending === undefined) return;
      releaseIfRetired(s);
      if (response.error !== undefined) pending.reject(refusalError(response.error));
      else if (response.signedResult !== undefined) pending.resolve(response.signedResult);
      else pending.reject(callError(GrpcStatus.INTERNAL, 'the node sent an answer with neither a result nor an error'));
    });
    // 'status' reports every end, so 'error' needs no handling beyond being listened to.
    s.call.on('error', () => undefined);
    s.call.on('status', (status: StatusObject) => ended(s, status));
    live.add(s);
    return s;
  }

  function timeOut(s: OpenStream, id: number) {
    const pending = s.pending.get(id);
    if (pending === undefined) return;
    if (s.heard === pending.heardBefore && stream === s) {
      stream = undefined;
      s.retired = true;
    }
    settle(s, id);
    releaseIfRetired(s);
    pending.reject(callError(GrpcStatus.DEADLINE_EXCEEDED, 'no answer within the deadline'));
  }

  return {
    count(signedQuery, deadline) {
      if (closed) return Promise.reject(callError(GrpcStatus.UNAVAILABLE, 'the coordinator is closing'));
      if (unaryOnly) return unary(signedQuery, deadline);
      const s = (stream ??= open());
      const id = nextId++;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => timeOut(s, id), Math.max(0, deadline.getTime() - Date.now()));
        s.pending.set(id, { signedQuery, deadline, resolve, reject, timer, heardBefore: s.heard });
        s.call.write({ id, signedQuery, timeoutMs: timeLeft(deadline) });
      });
    },
    close() {
      closed = true;
      stream = undefined;
      for (const s of [...live]) {
        live.delete(s);
        s.cancelledBecause = 'the coordinator is closing';
        s.call.cancel();
      }
    },
  };
}
