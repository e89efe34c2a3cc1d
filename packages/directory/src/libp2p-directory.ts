import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { gossipsub, TopicValidatorResult, type SubscriptionChangeData } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { PeerId, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { lpStream } from '@libp2p/utils';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { BiospecError, type Issue } from '@biospec/protocol';
import { DIRECTORY_TOPIC } from './descriptor.js';
import { createDirectoryCore, resolveSettings, type Receive } from './directory-core.js';
import type { Directory, DirectoryOptions } from './directory.js';
import type { DirectoryState, DirectoryStateSettings, Verdict } from './directory-state.js';
import { DIRECTORY_SCORE_THRESHOLDS, directoryScoreParams } from './scoring.js';

/** Options of the libp2p directory, on top of {@link DirectoryOptions}. */
export interface Libp2pDirectoryOptions extends DirectoryOptions {
  /** Multiaddrs to listen on. Default `/ip4/127.0.0.1/tcp/0` (loopback, any free port). */
  listen?: string[];
  /** Multiaddrs to tell other peers instead of the listening ones (behind NAT or a proxy). */
  announce?: string[];
  /**
   * The only way into the network: multiaddrs of peers to dial, from config. With `/p2p/<peer id>`
   * the dialled peer's identity is checked; without it, any peer at that address is accepted.
   * There is no public DHT and no built-in bootstrap list.
   */
  bootstrap?: string[];
  /** This peer's libp2p identity (see {@link generatePeerKey}); a fresh one when absent. */
  peerKey?: Uint8Array;
  /** Connections kept: below this, peers named in descriptors are dialled. Default 8. */
  targetPeers?: number;
  /** How often bootstrap peers are redialled and connections topped up. Default 10 s. */
  dialIntervalMs?: number;
}

/** A directory on libp2p gossipsub, with what operators and tests may look at. */
export interface Libp2pDirectory extends Directory {
  /** The multiaddrs other peers can dial (each ends with `/p2p/<peer id>`). */
  addresses(): string[];
  /** Peer ids currently connected. */
  connectedPeers(): string[];
  /** gossipsub's score of a peer as seen from here (negative after rejected descriptors). */
  peerScore(peerId: string): number;
}

/** A new libp2p identity, protobuf-encoded, to keep in a file so the peer id survives restarts. */
export async function generatePeerKey(): Promise<Uint8Array> {
  return privateKeyToProtobuf(await generateKeyPair('Ed25519'));
}

const VALIDATOR_RESULT: Record<Verdict['action'], TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

/** Starts a libp2p peer (TCP, Noise, Yamux, identify, gossipsub) carrying the directory topic. Loaded through `libp2p-loader.ts`. */
export async function startLibp2pDirectory(options: Libp2pDirectoryOptions = {}): Promise<Libp2pDirectory> {
  const listen = parseAddrs(options.listen ?? ['/ip4/127.0.0.1/tcp/0'], 'listen');
  const announce = parseAddrs(options.announce ?? [], 'announce');
  const bootstrap = parseAddrs(options.bootstrap ?? [], 'bootstrap');
  const issues = [listen, announce, bootstrap].flatMap((r) => r.issues);
  if (issues.length > 0) throw new BiospecError('INVALID_CONFIG', `invalid directory address: ${issues[0]?.message ?? ''}`, { issues });
  const targetPeers = options.targetPeers ?? 8;
  const settings = resolveSettings(options);
  const dialIntervalMs = options.dialIntervalMs ?? 10_000;

  let node: Awaited<ReturnType<typeof startNode>> | undefined;
  const directory = await createDirectoryCore(options, async (receive, state, hooks) => {
    node = await startNode(options, listen.addrs, announce.addrs);
    try {
      await node.handle(SYNC_PROTOCOL, (stream) => serveSync(stream, hooks.tokens(), settings), { maxInboundStreams: 2 });
    } catch (error) {
      await node.stop();
      throw error;
    }
    const pubsub = node.services.pubsub;
    pubsub.topicValidators.set(DIRECTORY_TOPIC, async (peer, message) => VALIDATOR_RESULT[(await receive(message.data, peer.toString())).action]);
    pubsub.subscribe(DIRECTORY_TOPIC);
    const started = node;
    // A peer that joins the topic is asked for everything its directory holds (sync), so a newcomer,
    // or a node back from a restart, knows the network at once instead of after a refresh interval.
    // Announcements are not repeated for it: that would be every peer announcing to everyone.
    // Only an announcement that reached nobody (this node was alone) is repeated when a peer appears.
    // A peer is pulled from at most once a minute, so one that reconnects over and over cannot make
    // this directory check its whole list each time.
    let lastReachedNobody = false;
    const pulledAt = new Map<string, number>();
    const onSubscription = (event: CustomEvent<SubscriptionChangeData>) => {
      const { peerId, subscriptions } = event.detail;
      if (!subscriptions.some((s) => s.subscribe && s.topic === DIRECTORY_TOPIC)) return;
      if (lastReachedNobody) hooks.announceSoon();
      const peer = peerId.toString();
      const now = Date.now();
      if (now - (pulledAt.get(peer) ?? -Infinity) < SYNC_MIN_INTERVAL_MS) return;
      for (const [known, at] of pulledAt) if (now - at >= SYNC_MIN_INTERVAL_MS) pulledAt.delete(known);
      pulledAt.set(peer, now);
      pullFrom(started, peerId, receive, settings).catch((error: unknown) => state.emit('error', error instanceof Error ? error : new Error(String(error))));
    };
    pubsub.addEventListener('subscription-change', onSubscription);
    const dialer = createDialer(started, state, bootstrap.addrs, targetPeers);
    const dialTimer = setInterval(() => dialer.run(), dialIntervalMs);
    dialTimer.unref();
    // A newly heard-of node may be the peer this one needs to reach its target.
    const offChange = state.on('change', () => {
      if (started.getPeers().length < targetPeers) dialer.run();
    });
    dialer.run();
    return {
      peerId: started.peerId.toString(),
      contact: () => ({ peerId: started.peerId.toString(), addrs: started.getMultiaddrs().slice(0, 8).map(String) }),
      async broadcast(token) {
        const { recipients } = await pubsub.publish(DIRECTORY_TOPIC, new TextEncoder().encode(token));
        lastReachedNobody = recipients.length === 0;
      },
      async stop() {
        clearInterval(dialTimer);
        offChange();
        pubsub.removeEventListener('subscription-change', onSubscription);
        await started.stop();
      },
    };
  });
  const started = node!;
  return {
    ...directory,
    addresses: () => started.getMultiaddrs().map(String),
    connectedPeers: () => started.getPeers().map(String),
    // The GossipSub interface does not declare getScore; the implementation has it.
    peerScore: (peerId) => (started.services.pubsub as unknown as { getScore(id: string): number }).getScore(peerId),
  };
}

function peerKeyOf(encoded: Uint8Array) {
  try {
    return privateKeyFromProtobuf(encoded);
  } catch (cause) {
    throw new BiospecError('INVALID_CONFIG', 'invalid directory peer key', { issues: [{ field: 'peerKey', message: (cause as Error).message }], cause });
  }
}

async function startNode(options: Libp2pDirectoryOptions, listen: Multiaddr[], announce: Multiaddr[]) {
  return createLibp2p({
    ...(options.peerKey ? { privateKey: peerKeyOf(options.peerKey) } : {}),
    addresses: { listen: listen.map(String), ...(announce.length > 0 ? { announce: announce.map(String) } : {}) },
    // libp2p limits inbound connections per remote host (5 a second, 10 pending). Peers on loopback
    // are several nodes on one machine (a demo, a test), not one host flooding: they are exempt, as
    // they are from gossipsub's IP-colocation penalty (scoring.ts).
    connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        // Descriptors carry their own signature; a second, per-message libp2p signature adds
        // nothing, and without it the message id is the hash of the bytes, so one descriptor is one message.
        globalSignaturePolicy: 'StrictNoSign',
        // The first node of a network publishes before anyone listens; that is not an error.
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        // Remember subscriptions to this topic only: a peer cannot fill memory with others.
        allowedTopics: [DIRECTORY_TOPIC],
        scoreParams: directoryScoreParams(),
        scoreThresholds: DIRECTORY_SCORE_THRESHOLDS,
      }),
    },
  });
}

type Node = Awaited<ReturnType<typeof startNode>>;

/**
 * Keeps this peer connected: every bootstrap peer it is not connected to is dialled, and
 * while fewer than `targetPeers` are connected, peers named in fresh descriptors are too.
 * Dial failures are expected (a peer down, a node that only dials out) and only retried.
 */
function createDialer(node: Node, state: DirectoryState, bootstrap: Multiaddr[], targetPeers: number) {
  const bootstrapPeers = new Map<string, string>();
  let running = false;

  async function dial(addrs: Multiaddr | Multiaddr[]): Promise<string | undefined> {
    try {
      const connection = await node.dial(addrs, { signal: AbortSignal.timeout(5000) });
      return connection.remotePeer.toString();
    } catch {
      return undefined;
    }
  }

  async function once(): Promise<void> {
    const self = node.peerId.toString();
    const connected = new Set(node.getPeers().map(String));
    const dials: Promise<unknown>[] = [];
    for (const addr of bootstrap) {
      const key = addr.toString();
      const known = addr.getComponents().find((c) => c.name === 'p2p')?.value ?? bootstrapPeers.get(key);
      if (known === self || (known !== undefined && connected.has(known))) continue;
      dials.push(dial(addr).then((peer) => peer && bootstrapPeers.set(key, peer)));
    }
    const missing = targetPeers - connected.size - dials.length;
    if (missing > 0) {
      const candidates = state
        .current()
        .flatMap((e) => (!e.stale && e.descriptor.p2p && e.descriptor.p2p.addrs.length > 0 ? [e.descriptor.p2p] : []))
        .filter((p) => p.peerId !== self && !connected.has(p.peerId));
      for (const contact of shuffle(candidates).slice(0, missing)) {
        const addrs = contact.addrs.flatMap((a) => {
          try {
            return [multiaddr(a)];
          } catch {
            return [];
          }
        });
        if (addrs.length > 0) dials.push(dial(addrs));
      }
    }
    await Promise.all(dials);
  }

  return {
    run(): void {
      if (running || node.status !== 'started') return;
      running = true;
      // Each dial catches its own failure; anything else is a bug, reported as the directory's error.
      once()
        .catch((error: unknown) => state.emit('error', error instanceof Error ? error : new Error(String(error))))
        .finally(() => {
          running = false;
        });
    },
  };
}

/** The directory sync protocol: the responder writes its live descriptors, length-prefixed, and closes. */
const SYNC_PROTOCOL = '/biospec/directory/sync/1';
const SYNC_TIMEOUT_MS = 10_000;
const SYNC_MIN_INTERVAL_MS = 60_000;

async function serveSync(stream: Stream, tokens: string[], settings: DirectoryStateSettings): Promise<void> {
  const signal = AbortSignal.timeout(SYNC_TIMEOUT_MS);
  try {
    const framed = lpStream(stream, { maxDataLength: settings.maxDescriptorBytes });
    for (const token of tokens.slice(0, settings.maxNodes)) await framed.write(new TextEncoder().encode(token), { signal });
    await stream.close({ signal });
  } catch (error) {
    stream.abort(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * Asks one peer for its live descriptors and offers each to this directory, exactly as if gossip had
 * brought it (same checks, same counters). At most `maxNodes` are read, each at most `maxDescriptorBytes`;
 * a peer that does not speak the protocol, or breaks off, simply contributes nothing.
 */
async function pullFrom(node: Node, peer: PeerId, receive: Receive, settings: DirectoryStateSettings): Promise<void> {
  const signal = AbortSignal.timeout(SYNC_TIMEOUT_MS);
  let stream: Stream;
  try {
    stream = await node.dialProtocol(peer, SYNC_PROTOCOL, { signal });
  } catch {
    return;
  }
  const framed = lpStream(stream, { maxDataLength: settings.maxDescriptorBytes });
  const source = peer.toString();
  try {
    for (let i = 0; i < settings.maxNodes; i++) {
      const token = await framed.read({ signal });
      await receive(token.subarray(), source);
    }
  } catch {
    // The end of the responder's list, or a broken stream: either way, done with this peer.
  } finally {
    await stream.close({ signal }).catch(() => stream.abort(new Error('directory sync closed')));
  }
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function parseAddrs(addrs: string[], field: string): { addrs: Multiaddr[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const parsed: Multiaddr[] = [];
  addrs.forEach((addr, i) => {
    try {
      parsed.push(multiaddr(addr));
    } catch (cause) {
      issues.push({ field: `${field}[${i}]`, message: `${addr}: ${(cause as Error).message}` });
    }
  });
  return { addrs: parsed, issues };
}
