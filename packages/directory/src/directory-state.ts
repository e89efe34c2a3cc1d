import type { PublicJwk } from './descriptor.js';
import { descriptorContent } from './descriptor.js';
import type { DirectoryEntry, DirectoryEvents, DirectoryStats, DroppedDescriptor, RestoredEntry } from './directory.js';
import { DROP_REASONS, inspectDescriptor, type DropReason } from './inspect-descriptor.js';

/** The settings {@link createDirectoryState} needs, every default already applied. */
export interface DirectoryStateSettings {
  pinnedKeys?: ((nodeId: string) => readonly PublicJwk[] | undefined) | undefined;
  staleAfterMs: number;
  maxAgeMs: number;
  maxClockSkewMs: number;
  replayGraceMs: number;
  maxDescriptorBytes: number;
  maxNodes: number;
  now: () => number;
}

/**
 * What to tell the transport about one received descriptor. `reject` is for what the
 * sender should have known not to pass on (gossipsub then penalises it, P4); `ignore`
 * drops without blame.
 */
export type Verdict =
  | { action: 'accept'; entry: DirectoryEntry }
  | { action: 'ignore'; reason: DropReason | 'duplicate' | 'superseded'; detail: string }
  | { action: 'reject'; reason: DropReason; detail: string };

/** The directory's bookkeeping, without any network: trust, ordering, staleness, counters, events. */
export interface DirectoryState {
  offer(data: Uint8Array | string, source?: string): Promise<Verdict>;
  restore(entries: readonly RestoredEntry[]): Promise<void>;
  /** Marks nodes not heard of for `staleAfterMs` as stale, emitting `stale` once per node. */
  sweep(): void;
  current(): DirectoryEntry[];
  get(nodeId: string): DirectoryEntry | undefined;
  stats(): DirectoryStats;
  on<E extends keyof DirectoryEvents>(event: E, listener: DirectoryEvents[E]): () => void;
  emit<E extends keyof DirectoryEvents>(event: E, ...args: Parameters<DirectoryEvents[E]>): void;
}

interface NodeRecord {
  entry: DirectoryEntry;
  /** First-use trust: the `x` of every key the latest accepted descriptor listed. */
  trusted: Set<string>;
}

export function createDirectoryState(settings: DirectoryStateSettings): DirectoryState {
  const records = new Map<string, NodeRecord>();
  const stats: DirectoryStats = {
    accepted: 0,
    duplicates: 0,
    superseded: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
  };
  const listeners: { [E in keyof DirectoryEvents]: Set<DirectoryEvents[E]> } = {
    change: new Set(),
    stale: new Set(),
    dropped: new Set(),
    error: new Set(),
  };

  function emit<E extends keyof DirectoryEvents>(event: E, ...args: Parameters<DirectoryEvents[E]>): void {
    for (const listener of listeners[event]) {
      try {
        (listener as (...a: Parameters<DirectoryEvents[E]>) => void)(...args);
      } catch (error) {
        // A listener's bug must not decide a descriptor's verdict; it is reported, not rethrown.
        if (event !== 'error') emit('error', error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  function drop(action: 'ignore' | 'reject', reason: DropReason, detail: string, nodeId?: string, source?: string): Verdict {
    stats.dropped[reason] += 1;
    const dropped: DroppedDescriptor = { reason, detail, ...(nodeId ? { nodeId } : {}), ...(source ? { source } : {}) };
    emit('dropped', dropped);
    return { action, reason, detail };
  }

  function pinnedSet(nodeId: string): Set<string> | undefined {
    const pinned = settings.pinnedKeys?.(nodeId);
    return pinned === undefined ? undefined : new Set(pinned.map((k) => k.x));
  }

  /** Makes room for one more node: evicts the longest-stale one, or reports that none can go. */
  function makeRoom(): boolean {
    if (records.size < settings.maxNodes) return true;
    let oldest: NodeRecord | undefined;
    for (const record of records.values()) {
      if (record.entry.stale && (oldest === undefined || record.entry.lastSeenAt < oldest.entry.lastSeenAt)) oldest = record;
    }
    if (oldest === undefined) return false;
    records.delete(oldest.entry.nodeId);
    return true;
  }

  async function offer(data: Uint8Array | string, source?: string): Promise<Verdict> {
    const inspected = await inspectDescriptor(data, settings.maxDescriptorBytes);
    if (!inspected.ok) return drop('reject', inspected.reason, inspected.detail, undefined, source);
    // Everything below runs without awaiting, so concurrent offers for one node are ordered.
    const { descriptor, signer, token } = inspected;
    const { nodeId } = descriptor;
    const now = settings.now();

    const signedAt = Math.max(descriptor.iat * 1000, descriptor.seq);
    if (signedAt > now + settings.maxClockSkewMs) {
      return drop('ignore', 'future', `signed ${signedAt - now} ms ahead of this clock`, nodeId, source);
    }
    // `iat` has whole seconds: a descriptor is expired only when even the end of its second is too old.
    if (descriptor.iat * 1000 + 999 < now - settings.maxAgeMs) {
      return drop('reject', 'expired', `signed ${Math.round(now / 1000 - descriptor.iat)} s ago`, nodeId, source);
    }

    const record = records.get(nodeId);
    const pinned = pinnedSet(nodeId);
    const trusted = pinned ?? record?.trusted;
    if (trusted !== undefined && !trusted.has(signer.x)) {
      return drop('reject', 'untrusted-key', `key ${signer.kid} is not trusted for node ${nodeId}`, nodeId, source);
    }

    const previous = record?.entry;
    if (previous !== undefined && descriptor.seq <= previous.descriptor.seq) {
      if (token === previous.token) {
        stats.duplicates += 1;
        return { action: 'ignore', reason: 'duplicate', detail: 'already have this descriptor' };
      }
      const detail = `sequence ${descriptor.seq}, latest ${previous.descriptor.seq}`;
      // Equal sequence, other content: the signer said two things at once; never an accident of gossip.
      if (descriptor.seq < previous.descriptor.seq && previous.descriptor.seq - descriptor.seq < settings.replayGraceMs) {
        stats.superseded += 1;
        return { action: 'ignore', reason: 'superseded', detail };
      }
      return drop('reject', 'replayed', detail, nodeId, source);
    }
    if (record === undefined && !makeRoom()) {
      return drop('ignore', 'capacity', `already tracking ${settings.maxNodes} live nodes`, nodeId, source);
    }

    const changed = previous === undefined || previous.stale || descriptorContent(previous.descriptor) !== descriptorContent(descriptor);
    const entry: DirectoryEntry = {
      nodeId,
      descriptor,
      token,
      signedBy: signer.kid,
      trust: pinned ? 'pinned' : 'first-use',
      firstSeenAt: previous?.firstSeenAt ?? now,
      lastSeenAt: now,
      changedAt: changed ? now : (previous?.changedAt ?? now),
      stale: false,
    };
    // The accepted descriptor was signed by a trusted key, so the keys it lists are the node's keys from now on (rotation).
    records.set(nodeId, { entry, trusted: new Set(descriptor.jwks.keys.map((k) => k.x)) });
    stats.accepted += 1;
    if (changed) emit('change', entry, previous);
    return { action: 'accept', entry };
  }

  async function restore(entries: readonly RestoredEntry[]): Promise<void> {
    for (const restored of entries) {
      const inspected = await inspectDescriptor(restored.token, settings.maxDescriptorBytes);
      if (!inspected.ok) continue;
      const { descriptor, signer, token } = inspected;
      const pinned = pinnedSet(descriptor.nodeId);
      const current = records.get(descriptor.nodeId);
      if ((pinned !== undefined && !pinned.has(signer.x)) || (current !== undefined && current.entry.descriptor.seq >= descriptor.seq)) continue;
      if (current === undefined && records.size >= settings.maxNodes) continue;
      records.set(descriptor.nodeId, {
        entry: {
          nodeId: descriptor.nodeId,
          descriptor,
          token,
          signedBy: signer.kid,
          trust: pinned ? 'pinned' : 'first-use',
          firstSeenAt: restored.firstSeenAt,
          lastSeenAt: restored.lastSeenAt,
          changedAt: restored.lastSeenAt,
          // Nothing has been heard since the restart: the node must announce itself again to count as live.
          stale: true,
        },
        trusted: new Set(descriptor.jwks.keys.map((k) => k.x)),
      });
    }
  }

  function sweep(): void {
    const now = settings.now();
    for (const record of records.values()) {
      if (!record.entry.stale && now - record.entry.lastSeenAt > settings.staleAfterMs) {
        record.entry = { ...record.entry, stale: true };
        emit('stale', record.entry);
      }
    }
  }

  return {
    offer,
    restore,
    sweep,
    current: () => [...records.values()].map((r) => r.entry).sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0)),
    get: (nodeId) => records.get(nodeId)?.entry,
    stats: () => ({ ...stats, dropped: { ...stats.dropped } }),
    on(event, listener) {
      listeners[event].add(listener);
      return () => {
        listeners[event].delete(listener);
      };
    },
    emit,
  };
}
