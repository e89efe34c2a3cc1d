import { NodeServiceClient, readJsonFile, channelCredentials, type ClientTlsFiles } from '@biospec/protocol';
import { createKeyRing, type KeyRing } from '@biospec/trust';
import { createNodeCountClient, type NodeCountClient } from '@biospec/federation';
import type { CoordinatorConfig } from './config.js';

/** A member node as the coordinator knows it: where it is, its pinned keys, a client. */
export interface Member {
  id: string;
  name: string;
  endpoint: string;
  keys: KeyRing;
  /** The node's public JWKS document, republished to researchers for offline verification. */
  jwks: { keys: unknown[] };
  client: NodeServiceClient;
  /** Signed queries to this node, over one long-lived stream. */
  counts: NodeCountClient;
  /** A second channel for granted answers, which may be larger than any count (up to {@link MAX_GRANTED_ANSWER_BYTES}). */
  access: NodeServiceClient;
}

/** Largest answer a node may send; results are small, strata included. */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** Largest encrypted granted answer a node may send (10,000 specimens fit in under 3 MiB). */
export const MAX_GRANTED_ANSWER_BYTES = 8 * 1024 * 1024;

/** Where a member is and which keys it signs with: from `coordinator.json` (add-node) or an approved membership. */
export interface MemberEntry {
  id: string;
  name: string;
  endpoint: string;
  jwks: { keys: unknown[] };
  tls?: ClientTlsFiles;
}

/** Opens the clients of one member node. */
export async function openMember(config: CoordinatorConfig, entry: MemberEntry): Promise<Member> {
  const keys = await createKeyRing(entry.jwks.keys as Parameters<typeof createKeyRing>[0]);
  const tls: ClientTlsFiles | undefined = entry.tls ?? config.nodeTls;
  const options = {
    // Fail fast on a dead node instead of queueing until the deadline.
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 2000,
    // A connection dropped without a FIN or RST (a NAT or firewall forgetting it, a cable) is noticed by
    // its unanswered ping within timeMs + timeoutMs, also between queries, not at some query's deadline.
    'grpc.keepalive_time_ms': config.nodeKeepalive.timeMs,
    'grpc.keepalive_timeout_ms': config.nodeKeepalive.timeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
  };
  const client = new NodeServiceClient(entry.endpoint, channelCredentials(tls), { ...options, 'grpc.max_receive_message_length': MAX_ANSWER_BYTES });
  const access = new NodeServiceClient(entry.endpoint, channelCredentials(tls), {
    ...options,
    'grpc.max_receive_message_length': MAX_GRANTED_ANSWER_BYTES,
    // Its own connection, so a large granted answer never sits in front of counts on the shared one.
    'grpc.use_local_subchannel_pool': 1,
  });
  const counts = createNodeCountClient(client);
  return { id: entry.id, name: entry.name, endpoint: entry.endpoint, keys, jwks: { keys: keys.jwks().keys }, client, counts, access };
}

/** Closes a member's clients (its stream's queries in flight fail as unavailable). */
export function closeMember(member: Member): void {
  member.counts.close();
  member.client.close();
  member.access.close();
}

/** The members of `coordinator.json` (admitted with add-node). */
export async function openMembers(config: CoordinatorConfig): Promise<Member[]> {
  return Promise.all(config.nodes.map((node) => openMember(config, configEntry(node))));
}

/** A `coordinator.json` node as a member entry: its pinned keys read from its JWKS file. */
export function configEntry(node: CoordinatorConfig['nodes'][number]): MemberEntry {
  const jwks = readJsonFile(node.jwks, `keys of node ${node.id}`) as { keys: unknown[] };
  return { id: node.id, name: node.name, endpoint: node.endpoint, jwks, ...(node.tls ? { tls: node.tls } : {}) };
}

/**
 * The nodes the coordinator asks, as they change: members are admitted (an approved
 * membership, or add-node at start) and removed (suspended) while the coordinator runs.
 */
export interface MemberRegistry {
  /** Every member asked now, in the order they were admitted. */
  current(): readonly Member[];
  get(nodeId: string): Member | undefined;
  /** Starts asking a node (replacing a member with the same id). */
  admit(entry: MemberEntry): Promise<Member>;
  /** Stops asking a node; nothing happens for one that is not a member. */
  remove(nodeId: string): void;
  close(): void;
}

export function createMemberRegistry(config: CoordinatorConfig, initial: readonly Member[]): MemberRegistry {
  let members: Member[] = [...initial];
  return {
    current: () => members,
    get: (nodeId) => members.find((m) => m.id === nodeId),
    async admit(entry) {
      const member = await openMember(config, entry);
      const previous = members.find((m) => m.id === entry.id);
      members = [...members.filter((m) => m.id !== entry.id), member];
      if (previous) closeMember(previous);
      return member;
    },
    remove(nodeId) {
      const previous = members.find((m) => m.id === nodeId);
      if (previous === undefined) return;
      members = members.filter((m) => m.id !== nodeId);
      closeMember(previous);
    },
    close() {
      for (const member of members) closeMember(member);
      members = [];
    },
  };
}
