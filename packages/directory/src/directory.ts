import type { SigningKey } from '@biospec/trust';
import type { DescriptorInput, NodeDescriptor, PublicJwk } from './descriptor.js';
import type { DropReason } from './inspect-descriptor.js';

/** What one directory knows about one node: its latest valid descriptor and when it was last heard of. */
export interface DirectoryEntry {
  nodeId: string;
  descriptor: NodeDescriptor;
  /** The signed descriptor as received, so anyone can verify it again. */
  token: string;
  /** The key id that signed {@link token}. */
  signedBy: string;
  /**
   * Why that key was trusted: `pinned` (the caller's key set for this node id, e.g. the
   * coordinator's membership) or `first-use` (the keys of the first descriptor seen for it,
   * carried forward by every accepted descriptor since).
   */
  trust: 'pinned' | 'first-use';
  /** Milliseconds since the epoch. */
  firstSeenAt: number;
  lastSeenAt: number;
  /** When the content (anything but the sequence, time and peer contact) last changed. */
  changedAt: number;
  /** Nothing valid heard from the node for longer than `staleAfterMs`. */
  stale: boolean;
}

/** Descriptors accepted and dropped since the directory started, dropped ones per reason. */
export interface DirectoryStats {
  accepted: number;
  /** The same signed descriptor again (not an error: gossip and sync repeat). */
  duplicates: number;
  /**
   * An older descriptor arriving within `replayGraceMs` of the latest one: gossip delivered two
   * announcements out of order. Dropped, not an error; an older one than that counts as `replayed`.
   */
  superseded: number;
  dropped: Record<DropReason, number>;
}

/** A dropped descriptor, as reported to `dropped` listeners. */
export interface DroppedDescriptor {
  reason: DropReason;
  detail: string;
  /** The node id the descriptor claimed, when it could be read. */
  nodeId?: string;
  /** The peer that passed it on (a libp2p peer id, or the in-memory bus member). */
  source?: string;
}

export interface DirectoryEvents {
  /** A node appeared, its descriptor changed, or it came back after being stale. */
  change: (entry: DirectoryEntry, previous: DirectoryEntry | undefined) => void;
  /** A node went quiet for longer than `staleAfterMs`. */
  stale: (entry: DirectoryEntry) => void;
  dropped: (dropped: DroppedDescriptor) => void;
  /** A background re-announcement or network task failed; the directory carries on. */
  error: (error: Error) => void;
}

/** A descriptor, or a function the directory calls for the current one at every announcement. */
export type DescriptorSource = DescriptorInput | (() => DescriptorInput | Promise<DescriptorInput>);

/**
 * The network directory of signed node descriptors. Services use only this interface;
 * `createLibp2pDirectory` and `createMemoryDirectory` implement it.
 */
export interface Directory {
  /** This directory's identity on its network (a libp2p peer id, or the bus member id). */
  readonly peerId: string;
  /**
   * Signs this node's descriptor and announces it now, then again every refresh interval
   * (re-reading a function source each time, so changes go out at the latest then).
   * `signingKey` replaces the key used from now on (key rotation); the first call needs one.
   * Throws when the directory itself would drop the descriptor (as every peer would).
   */
  publish(source: DescriptorSource, signingKey?: SigningKey): Promise<DirectoryEntry>;
  /** Every node known, stale ones included, sorted by node id. */
  current(): DirectoryEntry[];
  get(nodeId: string): DirectoryEntry | undefined;
  stats(): DirectoryStats;
  /** Adds a listener; the returned function removes it. */
  on<E extends keyof DirectoryEvents>(event: E, listener: DirectoryEvents[E]): () => void;
  /** Stops announcing, leaves the network, stops the timers. Idempotent. */
  stop(): Promise<void>;
}

/** What every implementation accepts; durations in milliseconds. */
export interface DirectoryOptions {
  /** Key sets a directory must use for these node ids instead of trust on first use (e.g. the coordinator's membership). Read at every check. */
  pinnedKeys?: (nodeId: string) => readonly PublicJwk[] | undefined;
  /** Re-announcement period of this node's descriptor. Default 30 s. */
  refreshIntervalMs?: number;
  /** A node is stale after this long without a valid descriptor. Default 3 refresh intervals. */
  staleAfterMs?: number;
  /** Descriptors signed longer ago than this are dropped as `expired`. Default `staleAfterMs`. */
  maxAgeMs?: number;
  /** Descriptors signed further in the future than this are ignored (`future`). Default 30 s. */
  maxClockSkewMs?: number;
  /**
   * An older descriptor arriving less than this after the latest one was signed is dropped
   * without penalising the peer that passed it on (two announcements crossing in flight);
   * an older one than that is penalised. Default 60 s.
   */
  replayGraceMs?: number;
  /** Default {@link DEFAULT_MAX_DESCRIPTOR_BYTES}. */
  maxDescriptorBytes?: number;
  /** Most nodes remembered; a new node beyond this evicts the longest-stale one, or is dropped (`capacity`). Default 1000. */
  maxNodes?: number;
  /** Entries to start from (e.g. a snapshot written before a restart): they keep first-use trust and start stale. */
  restore?: readonly RestoredEntry[];
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** A previously known descriptor handed back at start. */
export interface RestoredEntry {
  token: string;
  firstSeenAt: number;
  lastSeenAt: number;
}

export const DEFAULT_REFRESH_INTERVAL_MS = 30_000;
export const DEFAULT_MAX_CLOCK_SKEW_MS = 30_000;
export const DEFAULT_REPLAY_GRACE_MS = 60_000;
export const DEFAULT_MAX_NODES = 1000;
