import { Metadata } from '@grpc/grpc-js';
import { DescribeRequest, NodeServiceService, type DescribeResponse, type NodeServiceClient } from '@biospec/protocol';
import { createNodeCountClient, type NodeCountClient } from '@biospec/federation';
import type { ConnectLinks } from '@biospec/connect';

/** How the coordinator asks one member: its counts and its Describe, over whichever way reaches it now. */
export interface MemberCalls {
  counts: NodeCountClient;
  describe(deadline: Date): Promise<DescribeResponse>;
}

/**
 * A member is asked over its connect-out link while it has one, and otherwise at its endpoint;
 * a member without an endpoint (`connect-out`, no client) that is not connected fails at once as
 * unreachable. Both ways carry the same signed queries and answers, and every failure is mapped
 * to the same site status (`packages/federation/src/site-status.ts`).
 */
export function memberCalls(nodeId: string, client: NodeServiceClient | undefined, links: ConnectLinks): MemberCalls {
  const linked = links.counts(nodeId);
  const direct = client && createNodeCountClient(client);
  const describe = NodeServiceService.describe;
  return {
    counts: {
      count: (signedQuery, deadline) => (direct === undefined || links.connected(nodeId) ? linked : direct).count(signedQuery, deadline),
      close: () => direct?.close(),
    },
    describe(deadline) {
      if (client === undefined || links.connected(nodeId)) {
        return links.relay(nodeId, describe.path, describe.requestSerialize(DescribeRequest.fromPartial({})), deadline).then(describe.responseDeserialize);
      }
      return new Promise((resolve, reject) => client.describe({}, new Metadata(), { deadline }, (err, res) => (err ? reject(err) : resolve(res))));
    },
  };
}
