import { NodeServiceClient, readJsonFile, channelCredentials, type ClientTlsFiles, type DescribeResponse } from '@biospec/protocol';
import { createKeyRing, type KeyRing } from '@biospec/trust';
import type { NodeCountClient } from '@biospec/federation';
import type { ConnectLinks } from '@biospec/connect';
import { CONNECT_OUT, type CoordinatorConfig } from './config.js';
import { memberCalls } from './member-connect.js';

/** A member node as the coordinator knows it: where it is, its pinned keys, a client. */
export interface Member {
  id: string;
  name: string;
  endpoint: string;
  keys: KeyRing;
  /** The node's public JWKS document, republished to researchers for offline verification. */
  jwks: { keys: unknown[] };
  /** A channel to its endpoint; undefined for a node that only connects out. */
  client: NodeServiceClient | undefined;
  /** Signed queries to this node, over one long-lived stream (or its connect-out link). */
  counts: NodeCountClient;
  /** The node's Describe, over the same way as its counts. */
  describe(deadline: Date): Promise<DescribeResponse>;
}

/** Largest answer a node may send; results are small, strata included. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export async function openMembers(config: CoordinatorConfig, links: ConnectLinks): Promise<Member[]> {
  return Promise.all(
    config.nodes.map(async (node) => {
      const jwks = readJsonFile(node.jwks, `keys of node ${node.id}`) as { keys: unknown[] };
      const keys = await createKeyRing(jwks.keys as Parameters<typeof createKeyRing>[0]);
      const tls: ClientTlsFiles | undefined = node.tls ?? config.nodeTls;
      const client = node.endpoint === CONNECT_OUT ? undefined : new NodeServiceClient(node.endpoint, channelCredentials(tls), {
        'grpc.max_receive_message_length': MAX_ANSWER_BYTES,
        // Fail fast on a dead node instead of queueing until the deadline.
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 2000,
        // A connection dropped without a FIN or RST (a NAT or firewall forgetting it, a cable) is noticed by
        // its unanswered ping within timeMs + timeoutMs, also between queries, not at some query's deadline.
        'grpc.keepalive_time_ms': config.nodeKeepalive.timeMs,
        'grpc.keepalive_timeout_ms': config.nodeKeepalive.timeoutMs,
        'grpc.keepalive_permit_without_calls': 1,
      });
      return { id: node.id, name: node.name, endpoint: node.endpoint, keys, jwks: { keys: keys.jwks().keys }, client, ...memberCalls(node.id, client, links) };
    }),
  );
}
