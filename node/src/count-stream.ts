import type { ServerDuplexStream } from '@grpc/grpc-js';
import { BiospecError, toGrpcError, type CountResponse, type CountStreamRequest, type CountStreamResponse } from '@biospec/protocol';
import type { Logger } from 'pino';

/**
 * Queries of one stream answered at once; more are refused at once, not queued,
 * so one caller cannot pile up unbounded work behind a single call.
 */
export const DEFAULT_STREAM_QUERIES_IN_FLIGHT = 256;

export interface CountStreamsInit {
  /** The node's whole answer path for one signed query (verify, count, protect, sign, audit). */
  answer: (signedQuery: string) => Promise<CountResponse>;
  logger: Logger;
  /** Default {@link DEFAULT_STREAM_QUERIES_IN_FLIGHT}. */
  maxInFlight?: number;
}

/** The node's side of NodeService.CountStream. */
export interface CountStreams {
  /** Serves one stream: every request goes through `answer`, exactly as a unary Count would. */
  serve(call: ServerDuplexStream<CountStreamRequest, CountStreamResponse>): void;
  /** Ends every open stream once the queries it has in flight are answered; refuses queries sent meanwhile. */
  close(): void;
}

/** What a unary Count would have ended with, as the answer to request `id`. */
function refusal(id: number, reason: unknown): CountStreamResponse {
  const { code, details } = toGrpcError(reason);
  return { id, error: { code, message: details } };
}

export function createCountStreams(init: CountStreamsInit): CountStreams {
  const maxInFlight = init.maxInFlight ?? DEFAULT_STREAM_QUERIES_IN_FLIGHT;
  const open = new Set<() => void>();
  let closing = false;

  return {
    serve(call) {
      let inFlight = 0;
      let halfClosed = false;
      let gone = false;
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
      };
      call.on('cancelled', abandon);
      call.on('error', abandon);
      call.on('end', () => {
        halfClosed = true;
        endWhenIdle();
      });

      call.on('data', (request: CountStreamRequest) => {
        const { id } = request;
        if (closing) {
          send(refusal(id, new BiospecError('UNAVAILABLE', 'node is shutting down')));
          return;
        }
        if (inFlight >= maxInFlight) {
          init.logger.warn({ inFlight }, 'stream query refused: too many in flight');
          send(refusal(id, new BiospecError('RATE_LIMITED', `more than ${maxInFlight} queries in flight on one stream`)));
          return;
        }
        inFlight += 1;
        init
          .answer(request.signedQuery)
          .then(
            (response): CountStreamResponse => ({ id, signedResult: response.signedResult }),
            (reason: unknown) => refusal(id, reason),
          )
          .then((message) => {
            inFlight -= 1;
            send(message);
            endWhenIdle();
          });
      });
    },
    close() {
      closing = true;
      for (const endWhenIdle of [...open]) endWhenIdle();
    },
  };
}
