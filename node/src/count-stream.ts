import type { ServerDuplexStream } from '@grpc/grpc-js';
import { BiospecError, toGrpcError, type CountResponse, type CountStreamRequest, type CountStreamResponse } from '@biospec/protocol';
import type { Logger } from 'pino';
import type { AnswerContext } from './count-pipeline.js';

/**
 * Queries of one stream answered at once, unless `node.json` says otherwise; more are
 * refused at once (BUSY), not queued, so one caller cannot pile up unbounded work behind a single call.
 */
export const DEFAULT_STREAM_QUERIES_IN_FLIGHT = 256;

export interface CountStreamsInit {
  /**
   * The node's whole answer path for one signed query (admission, verify, count, protect, sign,
   * audit), told the query's deadline and a signal aborted when its stream goes away.
   */
  answer: (signedQuery: string, context: AnswerContext) => Promise<CountResponse>;
  logger: Logger;
  /** Default {@link DEFAULT_STREAM_QUERIES_IN_FLIGHT}. */
  maxInFlight?: number;
  /** The retry hint sent when a stream is over its limit. */
  retryAfterMs?: () => number;
  /** Called for each query refused because its stream has too many in flight. */
  onBusy?: () => void;
  now?: () => number;
}

/**
 * What serving a stream uses of its call: a gRPC CountStream call, or a connect-out link, which
 * brings the coordinator's queries to the node the same way over the connection the node dialled.
 */
export type CountStreamCall =
  | ServerDuplexStream<CountStreamRequest, CountStreamResponse>
  | {
      on(event: 'data', listener: (request: CountStreamRequest) => void): unknown;
      on(event: 'cancelled' | 'error' | 'end', listener: () => void): unknown;
      write(response: CountStreamResponse): unknown;
      end(): unknown;
      getPeer(): string;
    };

/** The node's side of NodeService.CountStream. */
export interface CountStreams {
  /** Serves one stream: every request goes through `answer`, exactly as a unary Count would. */
  serve(call: CountStreamCall): void;
  /** Ends every open stream once the queries it has in flight are answered; refuses queries sent meanwhile. */
  close(): void;
}

/** What a unary Count would have ended with (status, details, and the trailers' reason and retry hint), as the answer to request `id`. */
function refusal(id: number, reason: unknown): CountStreamResponse {
  const refused = toGrpcError(reason);
  return { id, error: { code: refused.code, message: refused.details, reason: refused.reason, retryAfterMs: refused.retryAfterMs ?? 0 } };
}

export function createCountStreams(init: CountStreamsInit): CountStreams {
  const maxInFlight = init.maxInFlight ?? DEFAULT_STREAM_QUERIES_IN_FLIGHT;
  const now = init.now ?? Date.now;
  const open = new Set<() => void>();
  let closing = false;

  return {
    serve(call) {
      let inFlight = 0;
      let halfClosed = false;
      let gone = false;
      // Aborted when the caller goes away: its queries still waiting are dropped, not counted.
      const callerGone = new AbortController();
      const peer = typeof call.getPeer === 'function' ? call.getPeer() : undefined;
      const send = (message: CountStreamResponse) => {
        if (!gone) call.write(message);
      };
      const endWhenIdle = () => {
        if (gone || inFlight > 0 || !(halfClosed || closing)) return;
        gone = true;
        open.delete(endWhenIdle);
        call.end();
      };
      open.add(endWhenIdle);
      const abandon = () => {
        gone = true;
        open.delete(endWhenIdle);
        callerGone.abort();
      };
      call.on('cancelled', abandon);
      call.on('error', abandon);
      call.on('end', () => {
        halfClosed = true;
        endWhenIdle();
      });

      call.on('data', (request: CountStreamRequest) => {
        const { id } = request;
        // Relative, so the two machines' clocks need not agree; counted from when this message is read.
        const deadline = request.timeoutMs > 0 ? new Date(now() + request.timeoutMs) : undefined;
        if (closing) {
          send(refusal(id, new BiospecError('UNAVAILABLE', 'node is shutting down')));
          return;
        }
        if (inFlight >= maxInFlight) {
          init.logger.warn({ inFlight }, 'stream query refused: too many in flight');
          init.onBusy?.();
          const retryAfterMs = init.retryAfterMs?.();
          send(refusal(id, new BiospecError('BUSY', `node busy: more than ${maxInFlight} queries in flight on one stream`, retryAfterMs === undefined ? {} : { retryAfterMs })));
          return;
        }
        inFlight += 1;
        const context: AnswerContext = { signal: callerGone.signal, ...(deadline ? { deadline } : {}), ...(peer ? { peer } : {}) };
        const answerOne = async () => {
          let message: CountStreamResponse;
          try {
            message = { id, signedResult: (await init.answer(request.signedQuery, context)).signedResult };
          } catch (reason) {
            message = refusal(id, reason);
          }
          inFlight -= 1;
          send(message);
          endWhenIdle();
        };
        // A write that throws means the stream is broken: say so, and drop its other queries.
        answerOne().catch((err: unknown) => {
          init.logger.error({ err, id }, 'cannot send the answer to a stream query; abandoning the stream');
          abandon();
        });
      });
    },
    close() {
      closing = true;
      for (const endWhenIdle of [...open]) endWhenIdle();
    },
  };
}
