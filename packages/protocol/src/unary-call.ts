import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { toGrpcError } from './grpc-errors.js';

/**
 * Adapts a handler that returns (a promise of) the response to grpc-js's callback style: a
 * thrown or rejected error becomes its gRPC status (`toGrpcError`). Anything that fails after
 * that (a callback that throws on a call already ended) goes to `onFault`, so no failure
 * becomes an unhandled rejection.
 */
export function unaryCall<Req, Res>(
  handler: (call: ServerUnaryCall<Req, Res>) => Promise<Res> | Res,
  onFault: (err: unknown) => void,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    const respond = async () => {
      let response: Res;
      try {
        response = await handler(call);
      } catch (reason) {
        callback(toGrpcError(reason));
        return;
      }
      callback(null, response);
    };
    respond().catch(onFault);
  };
}
