import { EventEmitter } from 'node:events';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { BiospecError, toGrpcError, type ConnectRequest } from '@biospec/protocol';
import { callError, type NodeCountClient } from '@biospec/federation';
import type { KeyRing } from '@biospec/trust';
import { newConnectNonce, verifyConnectProof } from './connect-proof.js';
import { createCoordinatorLink, type ConnectCall, type CoordinatorLink } from './coordinator-link.js';

/** The part of a pino logger this package writes to. */
export interface ConnectLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface ConnectLinksOptions {
  /** This coordinator's id: what a proof must name as its audience. */
  coordinatorId: string;
  /** A member's pinned keys; undefined for a node id that is not a member (its connection is refused). */
  keysOf: (nodeId: string) => KeyRing | undefined;
  /** How long a node has to answer the challenge; default 10 s. */
  proofTimeoutMs?: number;
  /** How often this coordinator pings each connection, told to the node when it is accepted. */
  keepaliveTimeMs: number;
  log?: ConnectLog;
  now?: () => number;
}

/** What the links have done since the coordinator started. */
export interface ConnectLinksStats {
  /** Nodes connected now. */
  connected: number;
  /** Proofs accepted. */
  accepted: number;
  /** Connections refused: no or bad proof, not a member, too slow. */
  refused: number;
  /** Links closed because the same node connected again (the newest wins). */
  replaced: number;
}

export interface ConnectLinks {
  /** Serves one NodeConnectService.Connect call: challenge, proof, then the link. */
  handle(call: ConnectCall): void;
  /** True while `nodeId` has an authenticated link. */
  connected(nodeId: string): boolean;
  /** The node's link now, if any. */
  link(nodeId: string): CoordinatorLink | undefined;
  /**
   * A count client for `nodeId` over its link, whichever link that is when a query is sent:
   * a node that is not connected fails at once (UNAVAILABLE → `unreachable`), not at the deadline.
   */
  counts(nodeId: string): NodeCountClient;
  /** Relays a unary NodeService call to `nodeId` over its link (UNAVAILABLE at once when it has none). */
  relay(nodeId: string, method: string, request: Uint8Array, deadline: Date): Promise<Buffer>;
  /** Ends every link with UNAVAILABLE (the coordinator is stopping) and refuses calls from now on. */
  close(): void;
  stats(): ConnectLinksStats;
  on(event: 'connected', listener: (link: CoordinatorLink) => void): this;
  on(event: 'disconnected', listener: (link: CoordinatorLink, why: string) => void): this;
}

const DEFAULT_PROOF_TIMEOUT_MS = 10_000;

const notConnected = (nodeId: string) => callError(GrpcStatus.UNAVAILABLE, `node ${nodeId} is not connected (connect-out)`);

/**
 * The coordinator's side of connect-out. Each Connect call gets a fresh nonce; the node must
 * answer with a proof signed by one of its pinned keys naming this coordinator and that nonce,
 * within `proofTimeoutMs`. An accepted call becomes the node's link. **The newest wins**: a second
 * authenticated call for a node id replaces the link it has (whose queries in flight fail as
 * UNAVAILABLE), because the usual reason is a node that lost its connection and dialled again
 * before this side noticed; a node id used by two running nodes shows as a stream of `replaced`
 * links in the log of both.
 */
export function createConnectLinks(options: ConnectLinksOptions): ConnectLinks {
  const events = new EventEmitter();
  const links = new Map<string, CoordinatorLink & { close(why: string, error?: BiospecError): void }>();
  const proofTimeoutMs = options.proofTimeoutMs ?? DEFAULT_PROOF_TIMEOUT_MS;
  const counters = { accepted: 0, refused: 0, replaced: 0 };
  let closing = false;

  function linkEnded(link: CoordinatorLink, why: string) {
    if (links.get(link.nodeId) === link) links.delete(link.nodeId);
    events.emit('disconnected', link, why);
  }

  function handle(call: ConnectCall) {
    if (closing) {
      call.emit('error', toGrpcError(new BiospecError('UNAVAILABLE', 'the coordinator is stopping')));
      return;
    }
    const nonce = newConnectNonce();
    const peer = call.getPeer();
    let link: ReturnType<typeof createCoordinatorLink> | undefined;
    let settled = false;
    const refuse = (error: BiospecError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      counters.refused += 1;
      options.log?.warn({ peer, reason: error.message }, 'connect-out: connection refused');
      call.emit('error', toGrpcError(error));
    };
    const timer = setTimeout(() => refuse(new BiospecError('DEADLINE_EXCEEDED', `no proof within ${proofTimeoutMs} ms`)), proofTimeoutMs);

    const accept = (nodeId: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (closing) {
        call.emit('error', toGrpcError(new BiospecError('UNAVAILABLE', 'the coordinator is stopping')));
        return;
      }
      link = createCoordinatorLink(call, nodeId, linkEnded);
      const previous = links.get(nodeId);
      links.set(nodeId, link);
      counters.accepted += 1;
      call.write({ accepted: { nodeId, keepaliveTimeMs: options.keepaliveTimeMs } });
      if (previous) {
        counters.replaced += 1;
        options.log?.warn({ node: nodeId, peer, previousPeer: previous.peer }, 'connect-out: node connected again; the newer connection replaces the older');
        previous.close('replaced by a newer connection of the same node', new BiospecError('UNAVAILABLE', 'replaced by a newer connection of the same node'));
      }
      options.log?.info({ node: nodeId, peer }, 'connect-out: node connected');
      events.emit('connected', link);
    };

    const gone = (why: string) => {
      if (link) link.ended(why);
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
      }
    };
    call.on('data', (message: ConnectRequest) => {
      if (link) {
        link.receive(message);
        return;
      }
      if (settled) return;
      if (message.proof === undefined) {
        refuse(new BiospecError('UNAUTHENTICATED', 'the first message must be the proof'));
        return;
      }
      verifyConnectProof(message.proof.token, {
        coordinatorId: options.coordinatorId,
        nonce,
        keysOf: options.keysOf,
        ...(options.now ? { now: options.now } : {}),
      }).then(
        (claims) => accept(claims.iss),
        (reason: unknown) => refuse(BiospecError.from(reason)),
      );
    });
    // The node half-closed (it is stopping): its link ends and this side ends the call.
    call.on('end', () => {
      if (link) link.close('the node closed its connect-out link');
      else if (!settled) refuse(new BiospecError('UNAUTHENTICATED', 'the node closed the call without a proof'));
    });
    call.on('cancelled', () => gone('the connect-out connection was lost'));
    call.on('error', () => gone('the connect-out connection failed'));
    call.write({ challenge: { nonce, coordinatorId: options.coordinatorId, proofTimeoutMs } });
  }

  const api = {
    handle,
    connected: (nodeId: string) => links.has(nodeId),
    link: (nodeId: string) => links.get(nodeId),
    counts(nodeId: string): NodeCountClient {
      return {
        count: (signedQuery, deadline) => links.get(nodeId)?.count(signedQuery, deadline) ?? Promise.reject(notConnected(nodeId)),
        // The link belongs to the node's connection, not to whoever holds this client.
        close: () => undefined,
      };
    },
    relay: (nodeId: string, method: string, request: Uint8Array, deadline: Date) =>
      links.get(nodeId)?.relay(method, request, deadline) ?? Promise.reject(notConnected(nodeId)),
    close() {
      closing = true;
      for (const link of [...links.values()]) link.close('the coordinator is stopping', new BiospecError('UNAVAILABLE', 'the coordinator is stopping'));
    },
    stats: () => ({ connected: links.size, ...counters }),
    on(event: string, listener: (...args: never[]) => void) {
      events.on(event, listener as (...args: unknown[]) => void);
      return api;
    },
  };
  return api as ConnectLinks;
}
