import { SiteStatus } from '@biospec/protocol';

/** Statuses that say the node failed us (down, stalled, broken), as opposed to a refusal of one person's question or load. */
const FAILURES: ReadonlySet<SiteStatus> = new Set([SiteStatus.SITE_STATUS_TIMEOUT, SiteStatus.SITE_STATUS_UNREACHABLE, SiteStatus.SITE_STATUS_ERROR]);

/** One site's recent record, as coordinator staff read it. */
export interface SiteHealth {
  nodeId: string;
  /** The status of the latest call, or undefined when the node was never asked. */
  lastStatus: SiteStatus | undefined;
  /** When the node last answered (any status but timeout, unreachable or error); ISO 8601, or null. */
  lastSeenAt: string | null;
  /** Calls within the window. */
  calls: number;
  /** Share of those that failed (timeout, unreachable, error); null without calls. */
  errorRate: number | null;
  /** Median and 95th percentile of the latency of the answered calls in the window; null without any. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  /** Calls within the window by status. */
  byStatus: Partial<Record<SiteStatus, number>>;
}

export interface SiteHealthTracker {
  record(nodeId: string, status: SiteStatus, latencyMs: number): void;
  health(nodeId: string): SiteHealth;
  /** The window the figures cover, in milliseconds. */
  readonly windowMs: number;
}

interface Sample {
  at: number;
  status: SiteStatus;
  latencyMs: number;
}

/** The value at quantile q of ascending `sorted` (nearest rank). */
function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/**
 * Keeps each node's recent call outcomes in memory (the newest `maxSamples` within `windowMs`)
 * and summarises them for the network health view. Counts nothing about specimens: only
 * statuses and latencies the coordinator sees anyway (and exports in /metrics).
 */
export function createSiteHealthTracker(options: { windowMs?: number; maxSamples?: number; now?: () => number } = {}): SiteHealthTracker {
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxSamples = options.maxSamples ?? 1000;
  const now = options.now ?? Date.now;
  const samples = new Map<string, Sample[]>();
  const lastSeen = new Map<string, number>();
  const last = new Map<string, SiteStatus>();

  const recent = (nodeId: string): Sample[] => {
    const list = samples.get(nodeId) ?? [];
    const from = now() - windowMs;
    const first = list.findIndex((s) => s.at >= from);
    const kept = first === -1 ? [] : list.slice(first);
    samples.set(nodeId, kept);
    return kept;
  };

  return {
    windowMs,
    record(nodeId, status, latencyMs) {
      const at = now();
      const list = samples.get(nodeId) ?? [];
      list.push({ at, status, latencyMs });
      if (list.length > maxSamples) list.splice(0, list.length - maxSamples);
      samples.set(nodeId, list);
      last.set(nodeId, status);
      if (!FAILURES.has(status)) lastSeen.set(nodeId, at);
    },
    health(nodeId) {
      const list = recent(nodeId);
      const byStatus: Partial<Record<SiteStatus, number>> = {};
      for (const s of list) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
      const failed = list.filter((s) => FAILURES.has(s.status)).length;
      const latencies = list
        .filter((s) => !FAILURES.has(s.status))
        .map((s) => s.latencyMs)
        .sort((a, b) => a - b);
      const seen = lastSeen.get(nodeId);
      return {
        nodeId,
        lastStatus: last.get(nodeId),
        lastSeenAt: seen === undefined ? null : new Date(seen).toISOString(),
        calls: list.length,
        errorRate: list.length === 0 ? null : failed / list.length,
        latencyP50Ms: quantile(latencies, 0.5),
        latencyP95Ms: quantile(latencies, 0.95),
        byStatus,
      };
    },
  };
}
