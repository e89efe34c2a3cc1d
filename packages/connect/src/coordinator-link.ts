import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { toGrpcError, type ConnectRequest, type ConnectResponse, type BiospecError } from '@biospec/protocol';
import { callError, refusalError, timeLeft } from '@biospec/federation';

/** One authenticated connect-out call, as the coordinator uses it: a node's queries go here. */
export interface CoordinatorLink {
  readonly nodeId: string;
  /** When the node's proof was accepted. */
  readonly since: Date;
  /** The node's address as the connection shows it. */
  readonly peer: string;
  /**
   * Sends a signed query and resolves with the node's signed answer, or rejects exactly as a
   * CountStream query would (the node's refusal with its reason and retry hint, DEADLINE_EXCEEDED
   * at the deadline, UNAVAILABLE when the link ends first).
   */
  count(signedQuery: string, deadline: Date): Promise<string>;
  /** Relays a unary NodeService call (`method` is its full path) and resolves with the encoded response. */
  relay(method: string, request: Uint8Array, deadline: Date): Promise<Buffer>;
  /** Ends the call, with `error` as its status (OK without), and fails what waits on it as UNAVAILABLE with `why`. */
  close(why: string, error?: BiospecError): void;
  /** True until the link has ended, from either side. */
  isOpen(): boolean;
}

interface Waiting<T> {
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
  timer: NodeJS.Timeout;
}

export type ConnectCall = ServerDuplexStream<ConnectRequest, ConnectResponse>;

/**
 * Wraps an accepted Connect call: queries and relayed calls go out with their own ids and
 * deadlines, answers come back in any order. The caller feeds it every message the node sends
 * (`receive`) and tells it when the call has ended (`ended`); `onEnded` runs once, whichever
 * side ended it.
 */
export function createCoordinatorLink(
  call: ConnectCall,
  nodeId: string,
  onEnded: (link: CoordinatorLink, why: string) => void,
): CoordinatorLink & { receive(message: ConnectRequest): void; ended(why: string): void } {
  const queries = new Map<number, Waiting<string>>();
  const relayed = new Map<number, Waiting<Buffer>>();
  let nextId = 1;
  let open = true;
  const peer = call.getPeer();

  function settle<T>(waiting: Map<number, Waiting<T>>, id: number): Waiting<T> | undefined {
    const entry = waiting.get(id);
    if (entry === undefined) return undefined;
    waiting.delete(id);
    clearTimeout(entry.timer);
    return entry;
  }

  /** Registers a request and sends it; its timer rejects it at the deadline. */
  function send<T>(waiting: Map<number, Waiting<T>>, deadline: Date, message: (id: number) => ConnectResponse): Promise<T> {
    if (!open) return Promise.reject(callError(GrpcStatus.UNAVAILABLE, `the connect-out link of node ${nodeId} has ended`));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (settle(waiting, id)) reject(callError(GrpcStatus.DEADLINE_EXCEEDED, 'no answer within the deadline'));
      }, Math.max(0, deadline.getTime() - Date.now()));
      waiting.set(id, { resolve, reject, timer });
      call.write(message(id));
    });
  }

  function failAll(why: string) {
    for (const map of [queries, relayed] as Map<number, Waiting<unknown>>[]) {
      for (const id of [...map.keys()]) settle(map, id)!.reject(callError(GrpcStatus.UNAVAILABLE, why));
    }
  }

  const link = {
    nodeId,
    since: new Date(),
    peer,
    count: (signedQuery: string, deadline: Date) =>
      send(queries, deadline, (id) => ({ query: { id, signedQuery, timeoutMs: timeLeft(deadline) } })),
    relay: (method: string, request: Uint8Array, deadline: Date) =>
      send(relayed, deadline, (id) => ({ call: { id, method, request: Buffer.from(request), timeoutMs: timeLeft(deadline) } })),
    isOpen: () => open,
    close(why: string, error?: BiospecError) {
      if (!open) return;
      link.ended(why);
      if (error) call.emit('error', toGrpcError(error));
      else call.end();
    },
    ended(why: string) {
      if (!open) return;
      open = false;
      failAll(why);
      onEnded(link, why);
    },
    receive(message: ConnectRequest) {
      if (message.answer !== undefined) {
        const { answer } = message;
        const waiting = settle(queries, answer.id);
        if (waiting === undefined) return;
        if (answer.error !== undefined) waiting.reject(refusalError(answer.error));
        else if (answer.signedResult !== undefined) waiting.resolve(answer.signedResult);
        else waiting.reject(callError(GrpcStatus.INTERNAL, 'the node sent an answer with neither a result nor an error'));
      } else if (message.callResult !== undefined) {
        const result = message.callResult;
        const waiting = settle(relayed, result.id);
        if (waiting === undefined) return;
        if (result.error !== undefined) waiting.reject(refusalError(result.error));
        else waiting.resolve(result.response ?? Buffer.alloc(0));
      }
      // A second proof, or a message of a later protocol version, carries nothing for this link.
    },
  };
  return link;
}
