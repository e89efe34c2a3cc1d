import type { Catalogue, CatalogueEvent } from '@biospec/catalogue';
import { storageError, storageFaultOf, type StorageFault } from '@biospec/protocol';
import type { AuditLog } from '@biospec/trust';

/** The catalogue and the node's audit log (and the audit log's file, for messages). */
export interface WithdrawalStores {
  catalogue: Catalogue;
  audit: AuditLog;
  auditFile: string;
}

export interface WithdrawalOptions {
  actor: string;
  reason: string;
  /**
   * Called once the catalogue has committed the withdrawal, before the audit entry is written:
   * the point a crash would separate the two (tests kill a process there).
   */
  onCatalogueCommitted?: () => void;
  /** Told of a storage fault (disk full, I/O error) and the file it concerns, before anything else is attempted. */
  onStorageFault?: (fault: StorageFault) => void;
}

/** The audit entry of a catalogue withdrawal event; `event` links the two. */
function auditEntryOf(event: CatalogueEvent, extra: Record<string, unknown> = {}) {
  return {
    kind: 'withdrawal',
    actor: event.actor ?? 'unknown',
    subject: event.donorId ?? 'unknown',
    outcome: 'withdrawn',
    detail: { event: event.id, specimens: event.withdrawn, epoch: event.epoch, reason: event.reason, ...extra },
  };
}

function withdrawalEvents(catalogue: Catalogue): CatalogueEvent[] {
  return catalogue
    .events(Number.MAX_SAFE_INTEGER)
    .filter((e) => e.kind === 'withdrawal')
    .reverse();
}

/**
 * Consent withdrawal of one donor, with its audit entry. The catalogue and the audit log are two
 * SQLite files in WAL mode, which SQLite cannot commit atomically together; so the catalogue commits
 * the withdrawal with its own event record first, then the audit entry follows, naming that event.
 * A crash between the two leaves an event without its entry, which {@link reconcileWithdrawals}
 * writes at the node's next start (and before the next withdrawal): they cannot stay separated.
 */
export function withdrawDonor(stores: WithdrawalStores, donorId: string, options: WithdrawalOptions): { specimens: number; epoch: number } {
  const { catalogue, audit, auditFile } = stores;
  reconcileWithdrawals(stores, options);
  const outcome = guarded(catalogue.path, options, 'nothing was withdrawn', () =>
    catalogue.withdrawDonor(donorId, { actor: options.actor, reason: options.reason }),
  );
  options.onCatalogueCommitted?.();
  const event = withdrawalEvents(catalogue)
    .reverse()
    .find((e) => e.donorId === donorId && e.epoch === outcome.epoch);
  if (event) {
    guarded(auditFile, options, "the donor is withdrawn; the audit entry is written at the node's next start", () => audit.append(auditEntryOf(event)));
  }
  return outcome;
}

/**
 * Appends the audit entry of every catalogue withdrawal that has none (a crash came between the
 * two writes), marked `reconciled`. Entries written before they named their event are matched by
 * donor and epoch. Returns how many entries it wrote.
 */
export function reconcileWithdrawals(stores: WithdrawalStores, options: Pick<WithdrawalOptions, 'onStorageFault'> = {}): number {
  const { catalogue, audit, auditFile } = stores;
  const audited = audit.list({ kind: 'withdrawal' });
  const byEvent = new Set(audited.map((e) => e.detail?.['event']).filter((id) => typeof id === 'number'));
  const byDonorEpoch = new Set(audited.filter((e) => e.detail?.['event'] === undefined).map((e) => `${e.subject}\n${String(e.detail?.['epoch'])}`));
  let written = 0;
  for (const event of withdrawalEvents(catalogue)) {
    if (byEvent.has(event.id) || byDonorEpoch.has(`${event.donorId}\n${event.epoch}`)) continue;
    guarded(auditFile, options, 'the withdrawal stays without its audit entry until the next start', () =>
      audit.append(auditEntryOf(event, { at: event.at, reconciled: true })),
    );
    written += 1;
  }
  return written;
}

/** Runs a write; a storage fault is told (with its file) first, then thrown as a clear error saying `outcome`. */
function guarded<T>(file: string, options: Pick<WithdrawalOptions, 'onStorageFault'>, outcome: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    const fault = storageFaultOf(error, file);
    if (!fault) throw error;
    options.onStorageFault?.(fault);
    throw storageError(fault, outcome, error);
  }
}
