/**
 * The asynchronous face of a hash-chained audit log, for a store that may be a database server:
 * the coordinator's log lives in SQLite (an {@link AuditLog}) or in PostgreSQL shared by several
 * coordinators (packages/postgres). Every implementation passes testing/audit-store-compliance.ts.
 */
import type { AuditEntry, AuditInput, AuditListOptions, AuditLog } from './audit-log.js';
import type { AuditVerification, AuditVerifyOptions } from './audit-verify.js';
import type { KeyRing } from './keys.js';

export interface AuditStore {
  /**
   * Appends `entry` after every entry committed before it, by this process or another sharing the
   * store, and resolves once it has committed.
   */
  record(entry: AuditInput): Promise<AuditEntry>;
  list(options?: AuditListOptions): Promise<AuditEntry[]>;
  size(): Promise<{ entries: number; lastSeq: number }>;
  /** Signs a checkpoint of the current head now if the log grew (a store with a signer), and returns its seq. */
  checkpoint(): Promise<number>;
  /** Checks the chain and every signed checkpoint against `keys`. */
  verify(keys: KeyRing, options?: AuditVerifyOptions): Promise<AuditVerification>;
  /** Signs a last checkpoint (with a signer) and closes. */
  close(): Promise<void>;
}

/** An SQLite audit log as an {@link AuditStore}. */
export function auditStoreOf(log: AuditLog): AuditStore {
  return {
    record: (entry) => log.record(entry),
    list: async (options) => log.list(options),
    size: async () => log.size(),
    checkpoint: async () => log.checkpoint().seq,
    verify: (keys, options) => log.verify(keys, options),
    close: async () => log.close(),
  };
}
