import type { BiospecError } from '@biospec/protocol';
import type { AuditLog } from '@biospec/trust';

/**
 * Refusals that come before a query token verifies (garbage, expired, foreign
 * keys, replays), recorded per peer address without letting anyone who can
 * reach the port grow the audit log by a row per call.
 */
export interface PreAuthRefusals {
  /** Records one refusal: the first from a peer in a window in full, later ones as counts. */
  record(peer: string, error: BiospecError): Promise<void>;
  /** Writes the counts of every window that has ended (all of them when `all`). */
  flush(all?: boolean): Promise<void>;
}

export interface PreAuthRefusalsInit {
  audit: AuditLog;
  /** Length of one window per peer; default one minute. */
  windowMs?: number;
  /** Peers tracked at once; refusals from further peers are counted under "other peers". Default 10,000. */
  maxPeers?: number;
  now?: () => number;
}

interface PeerWindow {
  startedAt: number;
  /** Refusals after the first, by error code. */
  more: Map<string, number>;
}

const OTHER_PEERS = 'other peers';

/**
 * Per peer and window: the first refusal is an audit entry of its own (kind
 * `refusal`), every further one adds to a count written as one `refusals`
 * entry when the window ends. So a flood costs the log at most two rows per
 * peer per window, and nothing is lost: every refusal is in a count.
 */
export function createPreAuthRefusals(init: PreAuthRefusalsInit): PreAuthRefusals {
  const windowMs = init.windowMs ?? 60_000;
  const maxPeers = init.maxPeers ?? 10_000;
  const now = init.now ?? Date.now;
  const windows = new Map<string, PeerWindow>();

  const writeSummary = async (peer: string, window: PeerWindow, endedAt: number) => {
    if (window.more.size === 0) return;
    const count = [...window.more.values()].reduce((a, b) => a + b, 0);
    await init.audit.record({
      kind: 'refusals',
      actor: peer,
      subject: 'unverified',
      outcome: 'rejected',
      detail: { count, codes: Object.fromEntries(window.more), from: new Date(window.startedAt).toISOString(), to: new Date(endedAt).toISOString() },
    });
  };

  return {
    async record(peer, error) {
      const at = now();
      const key = windows.has(peer) || windows.size < maxPeers ? peer : OTHER_PEERS;
      const open = windows.get(key);
      if (open !== undefined && at - open.startedAt < windowMs) {
        open.more.set(error.code, (open.more.get(error.code) ?? 0) + 1);
        return;
      }
      if (open !== undefined) {
        windows.delete(key);
        await writeSummary(key, open, at);
      }
      windows.set(key, { startedAt: at, more: new Map() });
      await init.audit.record({
        kind: 'refusal',
        actor: key,
        subject: 'unverified',
        outcome: 'rejected',
        detail: { code: error.code, reason: error.message },
      });
    },
    async flush(all = false) {
      const at = now();
      for (const [peer, window] of [...windows]) {
        if (!all && at - window.startedAt < windowMs) continue;
        windows.delete(peer);
        await writeSummary(peer, window, at);
      }
    },
  };
}
