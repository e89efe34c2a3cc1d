import { Metadata, type Client } from '@grpc/grpc-js';
import { DescribeRequest, NodeServiceService, type DescribeResponse, type NodeServiceClient } from '@biospec/protocol';
import { createNodeCountClient, type NodeCountClient } from '@biospec/federation';
import type { ConnectLinks } from '@biospec/connect';

/** A unary NodeService method as grpc-js describes it (`NodeServiceService.availability`, …). */
export interface UnaryMethod<Req, Res> {
  path: string;
  requestSerialize: (request: Req) => Buffer;
  responseDeserialize: (bytes: Buffer) => Res;
}

/** How the coordinator asks one member: its counts, its Describe and its other unary calls, over whichever way reaches it now. */
export interface MemberCalls {
  counts: NodeCountClient;
  describe(deadline: Date): Promise<DescribeResponse>;
  call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, deadline: Date, options?: { large?: boolean }): Promise<Res>;
  /** Closes the member's channels (its stream's queries in flight fail as unavailable). */
  close(): void;
}

/**
 * A member is asked over its connect-out link while it has one, and otherwise at its endpoint;
 * a member without an endpoint (`connect-out`, no client) that is not connected fails at once as
 * unreachable. Both ways carry the same signed queries and answers, and every failure is mapped
 * to the same site status (`packages/federation/src/site-status.ts`). `large` is the endpoint's
 * second channel for granted answers.
 */
export function memberCalls(nodeId: string, client: NodeServiceClient | undefined, large: NodeServiceClient | undefined, links: ConnectLinks): MemberCalls {
  const linked = links.counts(nodeId);
  const direct = client && createNodeCountClient(client);
  const overLink = () => client === undefined || links.connected(nodeId);
  function call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, deadline: Date, options: { large?: boolean } = {}): Promise<Res> {
    if (overLink()) return links.relay(nodeId, method.path, method.requestSerialize(request), deadline).then(method.responseDeserialize);
    const channel: Client = (options.large ? large : client)!;
    return new Promise<Res>((resolve, reject) =>
      channel.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new Metadata(), { deadline }, (err, res) =>
        err ? reject(err) : resolve(res!),
      ),
    );
  }
  return {
    counts: {
      count: (signedQuery, deadline) => (direct === undefined || links.connected(nodeId) ? linked : direct).count(signedQuery, deadline),
      close: () => direct?.close(),
    },
    describe: (deadline) => call(NodeServiceService.describe, DescribeRequest.fromPartial({}), deadline),
    call,
    close() {
      direct?.close();
      client?.close();
      large?.close();
    },
  };
}
