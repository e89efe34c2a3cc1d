import { BiospecError } from '@biospec/protocol';
import type { SigningKey } from '@biospec/trust';
import { DEFAULT_MAX_DESCRIPTOR_BYTES, signDescriptor, type PeerContact } from './descriptor.js';
import {
  DEFAULT_MAX_CLOCK_SKEW_MS,
  DEFAULT_MAX_NODES,
  DEFAULT_REFRESH_INTERVAL_MS,
  DEFAULT_REPLAY_GRACE_MS,
  type DescriptorSource,
  type Directory,
  type DirectoryEntry,
  type DirectoryOptions,
} from './directory.js';
import { createDirectoryState, type DirectoryState, type DirectoryStateSettings, type Verdict } from './directory-state.js';

/** What an implementation adds to the shared core: a way to reach the other peers. */
export interface DirectoryTransport {
  readonly peerId: string;
  /** How other peers reach this one; carried in every descriptor this node signs. */
  contact(): PeerContact | undefined;
  /** Sends a signed descriptor to every other peer. */
  broadcast(token: string): Promise<void>;
  stop(): Promise<void>;
}

/** Hands each received descriptor to the directory; the verdict says how the transport treats its sender. */
export type Receive = (data: Uint8Array | string, source: string) => Promise<Verdict>;

/** What a transport may ask of the core. */
export interface CoreHooks {
  /**
   * Re-announce this node's descriptor shortly (once for several calls close together): its last
   * announcement reached nobody, and a peer has just appeared.
   */
  announceSoon(): void;
  /** The signed descriptors of every live node this directory holds, for a peer that asks (sync). */
  tokens(): string[];
}

/** Calls to {@link CoreHooks.announceSoon} this close together make one announcement, and none comes sooner than this after the previous one. */
const ANNOUNCE_SOON_MS = 1000;

/** Every option with its default applied. */
export function resolveSettings(options: DirectoryOptions): DirectoryStateSettings & { refreshIntervalMs: number } {
  const refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  const staleAfterMs = options.staleAfterMs ?? 3 * refreshIntervalMs;
  const settings = {
    pinnedKeys: options.pinnedKeys,
    refreshIntervalMs,
    staleAfterMs,
    maxAgeMs: options.maxAgeMs ?? staleAfterMs,
    maxClockSkewMs: options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS,
    replayGraceMs: options.replayGraceMs ?? DEFAULT_REPLAY_GRACE_MS,
    maxDescriptorBytes: options.maxDescriptorBytes ?? DEFAULT_MAX_DESCRIPTOR_BYTES,
    maxNodes: options.maxNodes ?? DEFAULT_MAX_NODES,
    now: options.now ?? Date.now,
  };
  const issues = (['refreshIntervalMs', 'staleAfterMs', 'maxAgeMs', 'maxDescriptorBytes', 'maxNodes'] as const)
    .filter((key) => !(Number.isFinite(settings[key]) && settings[key] > 0))
    .map((key) => ({ field: key, message: 'must be a positive number' }));
  if (issues.length > 0) throw new BiospecError('INVALID_CONFIG', 'invalid directory options', { issues });
  return settings;
}

/**
 * The part of a directory every implementation shares: the state, the staleness sweep,
 * signing and re-announcing this node's descriptor. `startTransport` connects it to a network.
 */
export async function createDirectoryCore<T extends DirectoryTransport>(
  options: DirectoryOptions,
  startTransport: (receive: Receive, state: DirectoryState, hooks: CoreHooks) => Promise<T>,
): Promise<Directory & { transport: T }> {
  const settings = resolveSettings(options);
  const state = createDirectoryState(settings);
  await state.restore(options.restore ?? []);
  let refreshTimer: NodeJS.Timeout | undefined;
  let source: DescriptorSource | undefined;
  let signingKey: SigningKey | undefined;
  let lastSeq = 0;
  let stopped = false;
  let soonTimer: NodeJS.Timeout | undefined;
  let lastAnnounced = 0;
  const reportError = (error: unknown) => state.emit('error', error instanceof Error ? error : new Error(String(error)));
  const hooks: CoreHooks = {
    announceSoon() {
      if (soonTimer !== undefined || source === undefined || stopped) return;
      const wait = Math.max(ANNOUNCE_SOON_MS / 4, lastAnnounced + ANNOUNCE_SOON_MS - performance.now());
      soonTimer = setTimeout(() => {
        soonTimer = undefined;
        if (!stopped) announce().catch(reportError);
      }, wait);
      soonTimer.unref();
    },
    tokens: () => state.current().flatMap((e) => (e.stale ? [] : [e.token])),
  };
  const transport = await startTransport((data, from) => state.offer(data, from), state, hooks);

  // Often enough that a node shows as stale within a quarter of `staleAfterMs` of crossing it.
  const sweepTimer = setInterval(() => state.sweep(), Math.max(50, Math.min(1000, settings.staleAfterMs / 4)));
  sweepTimer.unref();

  // One announcement at a time, each reading the source and key when it starts: a re-announcement
  // still waiting for an (async) source must not sign old content after a newer publish.
  let queue: Promise<unknown> = Promise.resolve();
  function announce(): Promise<DirectoryEntry> {
    const next = queue.then(announceNow);
    queue = next.catch(() => undefined);
    return next;
  }

  async function announceNow(): Promise<DirectoryEntry> {
    if (source === undefined || signingKey === undefined) throw new BiospecError('FAILED_PRECONDITION', 'nothing to publish: no descriptor or signing key');
    const key = signingKey;
    const input = typeof source === 'function' ? await source() : source;
    const now = settings.now();
    // After a restart the restored entry holds this node's last sequence; never go below it.
    const own = state.get(input.nodeId)?.descriptor.seq ?? 0;
    lastSeq = Math.max(now, lastSeq + 1, own + 1);
    lastAnnounced = performance.now();
    const contact = transport.contact();
    const token = signDescriptor(input, key, { seq: lastSeq, iat: Math.floor(now / 1000), ...(contact ? { p2p: contact } : {}) });
    const verdict = await state.offer(token, transport.peerId);
    if (verdict.action !== 'accept') {
      throw new BiospecError('FAILED_PRECONDITION', `own descriptor would be dropped (${verdict.reason}): ${verdict.detail}`);
    }
    await transport.broadcast(token);
    return verdict.entry;
  }

  return {
    transport,
    peerId: transport.peerId,
    async publish(next, key) {
      if (stopped) throw new BiospecError('FAILED_PRECONDITION', 'directory stopped');
      source = next;
      if (key !== undefined) signingKey = key;
      const entry = await announce();
      if (refreshTimer === undefined) {
        refreshTimer = setInterval(() => {
          announce().catch(reportError);
        }, settings.refreshIntervalMs);
        refreshTimer.unref();
      }
      return entry;
    },
    current: () => state.current(),
    get: (nodeId) => state.get(nodeId),
    stats: () => state.stats(),
    on: (event, listener) => state.on(event, listener),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(sweepTimer);
      if (refreshTimer !== undefined) clearInterval(refreshTimer);
      if (soonTimer !== undefined) clearTimeout(soonTimer);
      await transport.stop();
    },
  };
}
